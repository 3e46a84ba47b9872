"""Search on the newsroom home: the full-text index, its place in the workflow, filters, hostile input."""
import re
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.contrib.postgres.search import SearchQuery
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from releases import search
from releases.importers import import_digest
from releases.models import Release

from .factories import make_advisory, make_release, make_source, publish

SEED = Path(__file__).resolve().parents[1] / "releases" / "demo" / "digest.txt"
MOLDOVA = "/releases/nato-encourages-scientific-cooperation-with-moldova-at-nato-day-in-chisinau/"
ENTRY_LINK = re.compile(r'class="entry-title"><a href="([^"]+)"')


def found(client, q, **params):
    """The addresses of the results, in order, for a search on the home page."""
    response = client.get(reverse("releases:home"), {"q": q, **params})
    assert response.status_code == 200
    return ENTRY_LINK.findall(response.content.decode())


@pytest.fixture
def seed(db):
    import_digest(SEED, publish=True)


@pytest.mark.parametrize("q", ["Chișinău", "chisinau", "CHISINAU", "Chisinău", "chișinau"])
def test_moldova_story_is_found_with_or_without_diacritics(client, seed, q):
    assert found(client, q)[0] == MOLDOVA


def test_decomposed_unicode_query_finds_the_same_story(client, seed):
    """A keyboard may send "ș" as "s" plus a combining comma: the query is normalised first."""
    assert found(client, "Chis\u0326ina\u0306u")[0] == MOLDOVA


def test_last_word_is_a_prefix(client, seed):
    assert MOLDOVA in found(client, "Moldova Chișin")


def test_search_looks_at_summary_and_body_not_only_titles(client, seed):
    # "Cabo Verde" is in a title; "Stoltenberg" appears only in bodies and summaries.
    assert found(client, "Stoltenberg")
    assert all(link.startswith(("/releases/", "/advisories/")) for link in found(client, "Stoltenberg"))


def test_title_matches_rank_above_body_matches(client, writer, reviewer):
    in_title = publish(make_release(author=writer, title="Kraken exercise concludes", body="The exercise ended."),
                       reviewer, at=timezone.now() - timedelta(days=3))
    in_body = publish(make_release(author=writer, title="Naval news", body="Ships joined the Kraken exercise."),
                      reviewer)
    assert found(client, "kraken") == [in_title.get_absolute_url(), in_body.get_absolute_url()]


def test_search_finds_advisories_by_place(client, writer, reviewer):
    advisory = publish(make_advisory(author=writer, title="Press conference", venue="Egmont Palace", city="Brussels"),
                       reviewer)
    assert found(client, "Egmont") == [advisory.get_absolute_url()]


def test_search_combines_with_source_kind_and_date_filters(client, writer, reviewer):
    nato, europol = make_source("NATO", slug="nato"), make_source("Europol", slug="europol")
    old = publish(make_release(source=nato, author=writer, title="Cyber defence pledge"), reviewer,
                  at=timezone.now() - timedelta(days=30))
    new = publish(make_release(source=nato, author=writer, title="Cyber defence centre opens"), reviewer)
    other = publish(make_release(source=europol, author=writer, title="Cyber crime report"), reviewer)
    event = publish(make_advisory(source=nato, author=writer, title="Cyber defence briefing"), reviewer)
    everything = {old.get_absolute_url(), new.get_absolute_url(), other.get_absolute_url(), event.get_absolute_url()}

    assert set(found(client, "cyber")) == everything
    assert set(found(client, "cyber", source="nato")) == everything - {other.get_absolute_url()}
    assert found(client, "cyber", source="nato", kind="advisory") == [event.get_absolute_url()]
    since = (timezone.now() - timedelta(days=7)).date().isoformat()
    assert set(found(client, "cyber defence", source="nato", kind="release", date_from=since)) == {
        new.get_absolute_url()
    }
    assert found(client, "cyber", date_to=(timezone.now() - timedelta(days=20)).date().isoformat()) == [
        old.get_absolute_url()
    ]


@override_settings(NEWSROOM_PAGE_SIZE=10)
def test_search_results_are_paginated_and_keep_the_query(client, writer, reviewer):
    for number in range(13):
        publish(make_release(author=writer, title=f"Summit note {number:02d}"), reviewer,
                at=timezone.now() - timedelta(minutes=number))
    publish(make_release(author=writer, title="Unrelated"), reviewer)
    first = client.get(reverse("releases:home"), {"q": "summit"}).content.decode()
    assert len(ENTRY_LINK.findall(first)) == 10
    assert 'rel="next" href="?q=summit&amp;page=2"' in first
    assert len(found(client, "summit", page=2)) == 3


def test_bad_date_with_a_search_is_a_form_error(client, seed):
    response = client.get(reverse("releases:home"), {"q": "NATO", "date_from": "31/02/2023"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter a valid date." in page
    assert not ENTRY_LINK.findall(page)


HOSTILE = [
    '"', '"NATO', 'NATO"', "'", "it's", 'NEAR(', 'NEAR(NATO Moldova', 'NATO NEAR Moldova', "NEAR(NATO, 2)",
    "*", "NATO*", "*NATO", "-", "-NATO", "NATO -Europol", "(((", ")", "(NATO", "NATO AND", "OR", "AND NOT",
    "^NATO", "title:NATO", "body : x", "{title body}: NATO", "+NATO", "NATO + Europol", "~", "!", "&|!",
    "😀", "NATO 😀 🇪🇺", "x" * 2000, "NATO " * 400, "NATO\x00", "\x00", "%", "_", "__", "\\", "%_%",
    "'; DROP TABLE releases_release; --", "<script>alert(1)</script>", "   ", "\t\n", "\u200b", "s\u0326",
    "ı", "Ⅻ", "٣", "ｎａｔｏ", "a" * 300 + " " + "b" * 300,
]


@pytest.mark.parametrize("q", HOSTILE, ids=lambda q: repr(q[:20]))
def test_hostile_query_answers_200(client, seed, q):
    for params in ({}, {"kind": "advisory", "source": "nato", "page": "2"}):
        response = client.get(reverse("releases:home"), {"q": q, **params})
        assert response.status_code == 200
        page = response.content.decode()
        # Results, a heading saying how many there are (none on a page past the last one), or a form error.
        assert ENTRY_LINK.findall(page) or 'class="results-heading"' in page or "Nothing has been published" in page


def test_operators_are_words_not_syntax(client, seed):
    """Quotes, stars and minus signs are dropped; the words around them still search."""
    nato = set(found(client, "NATO"))
    assert nato
    assert set(found(client, '"NATO')) == nato
    assert set(found(client, "NATO*")) == nato
    assert set(found(client, "(NATO")) == nato
    assert MOLDOVA in found(client, '("Moldova", Chișinău*)')


def test_a_query_without_words_shows_the_whole_list(client, seed):
    assert found(client, "*** ---") == found(client, "")


def test_nul_byte_is_a_form_error(client, seed):
    page = client.get(reverse("releases:home"), {"q": "NATO\x00"}).content.decode()
    assert "Null characters are not allowed." in page


# --- the index follows the workflow --------------------------------------------------------------

def test_unpublished_items_are_not_found(client, writer, reviewer):
    draft = make_release(author=writer, title="Quasar draft")
    in_review = make_release(author=writer, title="Quasar in review")
    in_review.submit(writer)
    publish(make_advisory(author=writer, title="Quasar scheduled"), reviewer, at=timezone.now() + timedelta(hours=2))
    assert found(client, "quasar") == []
    publish(draft, reviewer)
    assert found(client, "quasar") == [draft.get_absolute_url()]


def test_scheduled_item_is_found_from_its_time(client, writer, reviewer):
    moment = timezone.now().replace(microsecond=0) + timedelta(minutes=10)
    item = publish(make_release(author=writer, title="Embargoed pulsar findings"), reviewer, at=moment)
    with time_machine.travel(moment - timedelta(seconds=1), tick=False):
        assert found(client, "pulsar") == []
    with time_machine.travel(moment + timedelta(seconds=1), tick=False):
        assert found(client, "pulsar") == [item.get_absolute_url()]


def test_approved_edit_replaces_the_indexed_text(client, writer, reviewer):
    live = publish(make_release(author=writer, title="Falcon agreement signed", body="Original wording."), reviewer)
    draft = live.start_new_draft(writer)
    draft.title, draft.body, draft.last_edited_by = "Osprey agreement signed", "Corrected wording.", writer
    draft.save()
    draft.submit(writer)
    # The edit is in review: the public search still knows only the live text.
    assert found(client, "osprey") == [] and found(client, "corrected") == []
    assert found(client, "falcon") == [live.get_absolute_url()]
    draft.approve(reviewer)
    assert found(client, "osprey") == [live.get_absolute_url()]
    assert found(client, "corrected") == [live.get_absolute_url()]
    assert found(client, "falcon") == [] and found(client, "original") == []


def test_withdrawn_item_is_not_found_and_comes_back_when_republished(client, writer, reviewer):
    item = publish(make_advisory(author=writer, title="Heron conference"), reviewer)
    item.withdraw(reviewer, "Cancelled.")
    assert found(client, "heron") == []
    again = item.start_new_draft(writer)
    again.last_edited_by = writer
    again.save()
    again.submit(writer)
    again.approve(reviewer)
    assert found(client, "heron") == [item.get_absolute_url()]


def test_imported_items_are_indexed_when_published(client, seed):
    assert found(client, "Olympics") == ["/releases/olympics-2024-security-topped-up/"]


def test_imported_items_in_review_are_not_found(client, db):
    import_digest(SEED)
    assert found(client, "Olympics") == []


def test_a_stale_index_row_cannot_show_an_unpublished_item(client, writer, reviewer):
    """Even if the index held a draft (a bug, a restore), search joins on published()."""
    draft = make_release(author=writer, title="Secret zephyr plan")
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("INSERT INTO releases_release_search (rowid, edition, title, body) VALUES (%s, %s, %s, '')",
                           [draft.pk, draft.pk, draft.title])
        else:
            cursor.execute("INSERT INTO releases_release_search (edition, vector) "
                           "VALUES (%s, to_tsvector('newsroom_search', %s))", [draft.pk, draft.title])
    assert found(client, "zephyr") == []


def test_rebuild_search_index_command_refills_the_index(client, seed):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM releases_release_search")
    assert found(client, "chisinau") == []
    output = StringIO()
    call_command("rebuild_search_index", stdout=output)
    assert "10 published editions indexed" in output.getvalue()
    assert found(client, "chisinau")[0] == MOLDOVA


def test_terms_keep_words_and_drop_everything_else():
    assert search.terms('NEAR("Chișinău", 2) -x* 😀\x00') == ["NEAR", "Chișinău", "2", "x"]
    assert len(search.terms("word " * 100)) == search.MAX_TERMS


@pytest.mark.postgres
def test_postgres_search_uses_the_gin_index(writer, reviewer):
    """The stored vectors are found through their GIN index and ranked without parsing the documents again."""
    publish(make_release(author=writer, title="NATO Day in Chișinău"), reviewer)
    queryset = search.search(Release.objects.published(), "chisinau")
    assert [release.title for release in queryset] == ["NATO Day in Chișinău"]
    assert "to_tsvector" not in queryset.explain()  # ranked from the stored vector
    matching = search.ReleaseSearchEntry.objects.filter(
        vector=SearchQuery(search.tsquery(["chisinau"]), config=search.POSTGRES_CONFIG, search_type="raw")
    ).values("edition")
    with connection.cursor() as cursor:
        # A handful of rows would be scanned anyway; forbid that to see whether the index fits.
        cursor.execute("SET LOCAL enable_seqscan = off")
        assert "Bitmap Index Scan on releases_release_search_vector" in matching.explain()


# --- results that explain themselves ---------------------------------------------------------------

HEADING = re.compile(r'<h2 id="latest-heading" class="results-heading">(.*?)</h2>', re.S)
CHIP = re.compile(r'<a class="chip" href="\?([^"]*)">')


def page_for(client, **params):
    response = client.get(reverse("releases:home"), params)
    assert response.status_code == 200
    return response, response.content.decode()


def heading(page):
    """The results heading as a reader sees it: <q> as quotes, other tags dropped, spaces collapsed."""
    match = HEADING.search(page)
    if not match:
        return None
    text = match.group(1).replace("<q>", "“").replace("</q>", "”")
    return " ".join(re.sub(r"<[^>]+>", "", text).split())


def test_highlighting_escapes_html_in_titles_and_snippets(client, writer, reviewer):
    """Only our own <mark> is markup: what the database returns is text, highlighted or not."""
    publish(make_release(
        author=writer, title="Cyber <b>defence</b> & <script>alert(1)</script> plan",
        summary="Summary <i>with</i> tags.",
        body="<p>The &lt;script&gt; tag and the &lt;b&gt; tag in a defence text.</p>",
    ), reviewer)
    publish(make_release(author=writer, title="Budget <script>alert(2)</script>",
                         body="<p>Planned defence spending, &lt;img src=x onerror=alert(3)&gt;.</p>"), reviewer)
    _, page = page_for(client, q="defence")
    assert "<script>" not in page and "<b>" not in page and "<i>" not in page and "<img" not in page
    assert "Cyber &lt;b&gt;<mark>defence</mark>&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt; plan" in page
    assert "Budget &lt;script&gt;alert(2)&lt;/script&gt;" in page  # a title without a match: escaped too
    assert "&lt;script&gt; tag and the &lt;b&gt; tag in a <mark>defence</mark> text" in page
    assert "&lt;img src=x onerror=alert" in page  # where the passage ends differs by database


def test_matched_words_are_highlighted_with_accents_folded(client, seed):
    _, page = page_for(client, q="chisinau")
    assert "<mark>Chișinău</mark>" in page
    _, page = page_for(client, q="Moldova Chișin")  # the last word a prefix
    assert "<mark>Moldova</mark>" in page and "<mark>Chișinău</mark>" in page


def test_a_snippet_shows_the_matching_passage_instead_of_the_summary(client, writer, reviewer):
    publish(make_release(author=writer, title="Annual report", summary="The year in figures.",
                         body="<p>" + "Filler words here. " * 40 + "The narwhal count rose.</p>"), reviewer)
    _, page = page_for(client, q="narwhal")
    assert "<mark>narwhal</mark> count rose" in page
    assert "The year in figures." not in page
    _, page = page_for(client, q="annual")  # a match in the title only: the summary, as in the list
    assert "<mark>Annual</mark> report" in page and "The year in figures." in page


@override_settings(NEWSROOM_PAGE_SIZE=5)
def test_result_count_singular_and_plural(client, writer, reviewer):
    for number in range(12):
        publish(make_release(author=writer, title=f"Cyber defence note {number}"), reviewer)
    publish(make_release(author=writer, title="Cyber crime report"), reviewer)
    assert heading(page_for(client, q="crime")[1]) == "1 result for “crime”"
    assert heading(page_for(client, q="cyber defence")[1]) == "12 results for “cyber defence”"
    assert heading(page_for(client, q="cyber defence", page="3")[1]) == "12 results for “cyber defence”"
    assert heading(page_for(client, q="cyber")[1]) == "13 results for “cyber”"
    assert heading(page_for(client, q="quokka")[1]) == "No results for “quokka”"
    assert heading(page_for(client)[1]) is None  # the list, not a search


@override_settings(NEWSROOM_PAGE_SIZE=2)
def test_result_count_stops_at_the_limit(client, writer, reviewer, monkeypatch):
    monkeypatch.setattr(search, "COUNT_LIMIT", 3)
    for number in range(5):
        publish(make_release(author=writer, title=f"Summit note {number}"), reviewer)
    assert heading(page_for(client, q="summit")[1]) == "More than 3 results for “summit”"


def test_search_heading_replaces_latest_and_the_query_stays_in_the_form(client, seed):
    _, page = page_for(client, q="Moldova science")
    assert "Latest from the press offices" not in page
    assert 'name="q" value="Moldova science"' in page
    assert "Latest from the press offices" in page_for(client)[1]


def test_no_results_suggests_a_spelling_that_finds_something(client, writer, reviewer):
    item = publish(make_release(author=writer, title="Cyber defence centre opens"), reviewer)
    _, page = page_for(client, q="cyber defnce")
    assert heading(page) == "No results for “cyber defnce”"
    link = re.search(r'<a href="\?([^"]*)">Search for <q>([^<]*)</q> instead</a>', page)
    assert link and link.group(2) == "cyber defence"
    assert found(client, **dict(pair.split("=") for pair in link.group(1).split("&"))) == [item.get_absolute_url()]
    # Nothing near: no spelling is made up.
    _, page = page_for(client, q="qwxzkj")
    assert "Search for <q>" not in page
    assert "Check the spelling" in page


@pytest.mark.postgres
def test_suggestions_ask_the_index_and_rank_only_the_newest_matches(client, writer, reviewer):
    """
    A search that finds nothing asks, word by word and filter by filter, whether anything matches.
    Left to itself PostgreSQL answers that EXISTS by reading vector after vector, expecting a match
    soon: every vector, for a word nobody wrote (1.8 s at a million items). So each is asked under
    ``SEARCH_PLANS["found"]`` (the GIN index's bitmap), and the word shown is taken from the newest
    matches only, not from ranking every match of a common word (2.4 s).
    """
    publish(make_release(author=writer, title="Cyber defence centre opens"), reviewer)
    with CaptureQueriesContext(connection) as queries:
        _, page = page_for(client, q="cyber defnce")
    assert "Search for <q>cyber defence</q> instead" in page
    sql = [query["sql"] for query in queries]
    asked = [index for index, text in enumerate(sql) if text.startswith('SELECT 1 AS "a"') and "@@" in text]
    assert asked, "no EXISTS was asked"
    for index in asked:
        assert "enable_seqscan" in sql[index - 1], f"asked without the index's plan: {sql[index]}"
    shown = [text for text in sql if "ts_headline" in text and "ORDER BY" in text and "LIMIT 1" in text]
    assert shown and all('"releases_release"."id" IN (' in text or '"releases_advisory"."id" IN (' in text
                         for text in shown), "the word shown was ranked among every match"


def test_the_vocabulary_is_read_once_for_searches_that_find_nothing(client, writer, reviewer):
    """Reading the index's terms costs ~135 ms a kind at a million items: kept a while, it only proposes words."""
    publish(make_release(author=writer, title="Cyber defence centre opens"), reviewer)

    def vocabulary_reads(q):
        with CaptureQueriesContext(connection) as queries:
            _, page = page_for(client, q=q)
        assert "Search for <q>cyber defence</q> instead" in page
        return [query for query in queries if "ts_stat" in query["sql"] or "fts5vocab" in query["sql"]]

    assert vocabulary_reads("cyber defnce")
    assert vocabulary_reads("cyber defenx") == [], "the same slice of the vocabulary was read again"
    # A kept slice never shows a word that isn't published: a withdrawn item's word is not proposed.
    Release.objects.get(title="Cyber defence centre opens").withdraw(reviewer, "Issued in error.")
    _, page = page_for(client, q="cyber defnce")
    assert "Search for <q>" not in page


def test_spelling_is_suggested_only_with_the_filters_still_finding_something(client, writer, reviewer):
    make_source("Europol", slug="europol")
    publish(make_release(source=make_source("NATO", slug="nato"), author=writer, title="Cyber defence centre"),
            reviewer)
    _, page = page_for(client, q="defnce", source="europol")
    assert "Search for <q>" not in page
    # Removing the filter alone finds nothing either ("defnce" is misspelt): not offered.
    assert "Remove the filter" not in page
    _, page = page_for(client, q="defnce", source="nato")
    assert re.search(r'<a href="\?q=defence&amp;source=nato">Search for <q>defence</q> instead</a>', page)


def test_a_scheduled_item_never_lends_a_word_to_a_suggestion(client, writer, reviewer):
    scheduled = publish(make_release(author=writer, title="Zeppelin fleet announced"), reviewer,
                        at=timezone.now() + timedelta(hours=2))
    _, page = page_for(client, q="zepelin")
    assert heading(page) == "No results for “zepelin”"
    assert "Zeppelin" not in page and "zeppelin" not in page
    publish(make_release(author=writer, title="Zeppelin museum reopens"), reviewer)
    assert "Search for <q>Zeppelin</q> instead" in page_for(client, q="zepelin")[1]
    assert scheduled.get_absolute_url() not in page_for(client, q="zeppelin")[1]


def test_no_results_offers_to_remove_only_the_filters_that_are_in_the_way(client, writer, reviewer):
    nato, europol = make_source("NATO", slug="nato"), make_source("Europol", slug="europol")
    publish(make_release(source=nato, author=writer, title="Cyber defence centre"), reviewer)
    publish(make_advisory(source=europol, author=writer, title="Press conference"), reviewer)
    _, page = page_for(client, q="cyber", source="europol", kind="advisory")
    assert heading(page) == "No results for “cyber”"
    removals = re.findall(r'<a href="\?([^"]*)">Remove the filter ([^<]*)</a>', page)
    # Without Europol, NATO's release is still not an advisory: only both removed would find it.
    assert removals == []
    _, page = page_for(client, q="cyber", source="europol", kind="release")
    removals = re.findall(r'<a href="\?([^"]*)">Remove the filter ([^<]*)</a>', page)
    assert [label for _, label in removals] == ["Source: Europol"]
    assert removals[0][0] == "q=cyber&amp;kind=release"


def test_chips_each_remove_exactly_one_filter(client, writer, reviewer):
    make_source("NATO", slug="nato")
    params = {"q": "cyber", "source": "nato", "kind": "release", "date_from": "2024-03-01", "date_to": "2024-03-31",
              "page": "2"}
    _, page = page_for(client, **params)
    chips = CHIP.findall(page)
    assert len(chips) == 5
    for chip, removed in zip(chips, ["q", "source", "kind", "date_from", "date_to"]):
        kept = dict(pair.split("=") for pair in chip.replace("&amp;", "&").split("&"))
        assert kept == {key: value for key, value in params.items() if key not in (removed, "page")}
    assert "Source: NATO" in page and "Kind: Press releases" in page and "From: 1 March 2024" in page
    assert "Search: cyber" in page
    assert '<span class="filter-count">(4 active)</span>' in page  # what the folded "Filter" holds: not the search
    assert CHIP.findall(page_for(client)[1]) == []  # nothing active, no chips


def test_results_pages_are_noindex_and_lists_are_not(client, seed):
    response, page = page_for(client, q="NATO")
    assert '<meta name="robots" content="noindex">' in page and response["X-Robots-Tag"] == "noindex"
    response, page = page_for(client, q="qwxzkj", source="nato")
    assert '<meta name="robots" content="noindex">' in page and response["X-Robots-Tag"] == "noindex"
    for params in ({}, {"kind": "advisory"}, {"source": "nato"}):
        response, page = page_for(client, **params)
        assert "noindex" not in page and "X-Robots-Tag" not in response
    source_page = client.get(reverse("releases:source", args=["nato"]), {"q": "Moldova"})
    assert source_page["X-Robots-Tag"] == "noindex"


def test_suggestions_cost_nothing_when_a_search_finds_something(client, seed):
    """The vocabulary is read only for a search that found nothing."""
    for q, expect_vocabulary in (("NATO", False), ("Moldva", True)):
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("releases:home"), {"q": q, "source": "nato"})
        sql = " ".join(query["sql"] for query in queries)
        assert (("fts5vocab" in sql or "ts_stat" in sql or "_vocab" in sql)) is expect_vocabulary, q


@override_settings(NEWSROOM_PAGE_SIZE=2)
def test_only_the_page_rows_are_highlighted(client, writer, reviewer):
    """Highlighting parses each document again: only the page's rows, read by their keys."""
    for number in range(6):
        publish(make_release(author=writer, title=f"Summit note {number}"), reviewer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("releases:home"), {"q": "summit"})
    assert response.content.decode().count("<mark>Summit</mark>") == 2
    highlighting = [q["sql"] for q in queries if "highlight(" in q["sql"] or "ts_headline(" in q["sql"]]
    assert len(highlighting) == 1  # the releases of the page; no advisory matched
    # The page's two rows and the one after them, read to know whether there is a next page.
    assert re.search(r'"id" IN \(\d+, \d+, \d+\)', highlighting[0]), highlighting[0]


# --- a bounded set of matches ranked (PostgreSQL) -------------------------------------------------

@pytest.mark.postgres
def test_a_common_query_ranks_only_its_newest_matches(client, writer, reviewer, monkeypatch):
    """Beyond ``RANKED_MATCHES`` of a kind, the older matches are left out, even a better one."""
    monkeypatch.setattr(search, "RANKED_MATCHES", 2)
    oldest = publish(make_release(author=writer, title="Kraken summit", body="Kraken."), reviewer,
                     at=timezone.now() - timedelta(days=3))
    older = publish(make_release(author=writer, title="Naval news", body="The Kraken exercise."), reviewer,
                    at=timezone.now() - timedelta(days=2))
    newest = publish(make_release(author=writer, title="Kraken exercise ends", body="It ended."), reviewer,
                     at=timezone.now() - timedelta(days=1))
    assert found(client, "kraken") == [newest.get_absolute_url(), older.get_absolute_url()]
    assert oldest.get_absolute_url() not in found(client, "kraken")


def test_a_scheduled_item_takes_no_place_among_the_ranked_matches(client, writer, reviewer, monkeypatch):
    """The newest matches are taken from what is published: a scheduled item neither shows nor pushes one out."""
    monkeypatch.setattr(search, "RANKED_MATCHES", 2)
    first = publish(make_release(author=writer, title="Kraken summit"), reviewer,
                    at=timezone.now() - timedelta(days=2))
    second = publish(make_release(author=writer, title="Kraken exercise"), reviewer,
                     at=timezone.now() - timedelta(days=1))
    scheduled = publish(make_release(author=writer, title="Kraken embargoed"), reviewer,
                        at=timezone.now() + timedelta(hours=1))
    results = found(client, "kraken")
    assert sorted(results) == sorted([first.get_absolute_url(), second.get_absolute_url()])
    assert scheduled.get_absolute_url() not in results


@pytest.mark.postgres
@pytest.mark.parametrize("way", ["walk", "bitmap"])
def test_the_newest_matches_are_found_in_a_window_of_the_index(client, writer, reviewer, monkeypatch, way):
    """
    With the newest matches looked for among the newest editions first (walked, or from the GIN
    index: ``search.newest_keys``), an edition approved early but published last (a low pk, the
    newest date) is still among them, a scheduled one takes no place, and the count is that of the
    whole archive.
    """
    monkeypatch.setattr(search, "RANKED_MATCHES", 2)
    monkeypatch.setattr(search, "COUNT_LIMIT", 2)
    if way == "walk":
        monkeypatch.setattr(search, "SEARCH_WALK", 4)
        monkeypatch.setattr(search, "estimated_count", lambda queryset: 10**6)
    else:
        monkeypatch.setattr(search, "SEARCH_WALK", 0)
        monkeypatch.setattr(search, "SEARCH_WINDOWS", (4,))
    published_last = publish(make_release(author=writer, title="Kraken briefing"), reviewer,
                             at=timezone.now() - timedelta(minutes=1))
    oldest = publish(make_release(author=writer, title="Kraken summit"), reviewer,
                     at=timezone.now() - timedelta(days=3))
    older = publish(make_release(author=writer, title="Kraken exercise"), reviewer,
                    at=timezone.now() - timedelta(days=2))
    newer = publish(make_release(author=writer, title="Kraken drill"), reviewer,
                    at=timezone.now() - timedelta(days=1))
    publish(make_release(author=writer, title="Kraken embargoed"), reviewer, at=timezone.now() + timedelta(hours=1))
    assert Release.objects.filter(pk__lt=oldest.pk, title__startswith="Kraken").get() == published_last
    with override_settings(NEWSROOM_PAGE_SIZE=1):  # a page before the last: the count is shown as counted
        assert heading(page_for(client, q="kraken", page="1")[1]) == "More than 2 results for “kraken”"
    results = found(client, "kraken")
    assert sorted(results) == sorted([published_last.get_absolute_url(), newer.get_absolute_url()])
    assert older.get_absolute_url() not in results


@pytest.mark.postgres
def test_a_window_with_too_few_matches_gives_way_to_the_whole_archive(client, writer, reviewer, monkeypatch):
    monkeypatch.setattr(search, "RANKED_MATCHES", 2)
    monkeypatch.setattr(search, "COUNT_LIMIT", 2)
    monkeypatch.setattr(search, "SEARCH_WALK", 3)
    monkeypatch.setattr(search, "estimated_count", lambda queryset: 10**6)
    monkeypatch.setattr(search, "SEARCH_WINDOWS", (2, 3))
    first = publish(make_release(author=writer, title="Narwhal census"), reviewer,
                    at=timezone.now() - timedelta(days=2))
    second = publish(make_release(author=writer, title="Narwhal tagging"), reviewer,
                     at=timezone.now() - timedelta(days=1))
    for number in range(3):
        publish(make_release(author=writer, title=f"Harbour note {number}"), reviewer)
    with override_settings(NEWSROOM_PAGE_SIZE=1):
        assert heading(page_for(client, q="narwhal", page="1")[1]) == "2 results for “narwhal”"
    assert sorted(found(client, "narwhal")) == sorted([first.get_absolute_url(), second.get_absolute_url()])


@pytest.mark.postgres
def test_a_search_of_one_kind_looks_in_windows_of_that_kind_only(client, writer, reviewer, monkeypatch):
    """The other kind's queryset is empty (``none()``): it is neither planned nor walked."""
    monkeypatch.setattr(search, "SEARCH_WALK", 1)
    items = [publish(make_release(author=writer, title=f"Walrus note {number}"), reviewer) for number in range(3)]
    for number in range(2):
        publish(make_advisory(author=writer, title=f"Walrus briefing {number}"), reviewer)
    assert sorted(found(client, "walrus", kind="release")) == sorted(item.get_absolute_url() for item in items)


def test_title_matches_still_rank_first_among_many_matches(client, writer, reviewer):
    body_matches = [
        publish(make_release(author=writer, title=f"Naval news {n}", body="Ships joined the Kraken exercise."),
                reviewer, at=timezone.now() - timedelta(hours=n))
        for n in range(1, 6)
    ]
    in_title = publish(make_release(author=writer, title="Kraken exercise concludes", body="It ended."), reviewer,
                       at=timezone.now() - timedelta(days=3))
    results = found(client, "kraken")
    assert results[0] == in_title.get_absolute_url()
    assert set(results[1:]) == {item.get_absolute_url() for item in body_matches}
