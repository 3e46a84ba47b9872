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
        assert ENTRY_LINK.findall(page) or "Nothing has been published that matches." in page


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
