"""List entries rendered once per edition (releases/fragments.py): reused, and never stale."""
import re
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone

import pytest
import time_machine
from django.db import connection
from django.test.signals import template_rendered
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from releases import fragments

from .factories import make_advisory, make_picture, make_release, make_source, publish


@pytest.fixture(autouse=True)
def no_page_cache(settings):
    """The page cache off, so each request renders its page and the entries' cache is the only one."""
    settings.NEWSROOM_PAGE_CACHE = False


@pytest.fixture
def entry_renders():
    """How many times entry.html has been rendered."""
    rendered = []

    def count(sender, template, context, **kwargs):
        if template.name == fragments.ENTRY_TEMPLATE:
            rendered.append(context.get("entry"))

    template_rendered.connect(count)
    yield rendered
    template_rendered.disconnect(count)


def entry_block(page, title):
    """The <article> of the entry that names ``title``."""
    for block in page.split("<article")[1:]:
        if title in block:
            return block.split("</article>")[0]
    raise AssertionError(f"{title} is not on the page")


def home(client):
    response = client.get(reverse("releases:home"))
    assert response.status_code == 200
    return response.content.decode()


def test_an_entry_is_rendered_once_and_reused(client, writer, reviewer, entry_renders):
    for n in range(3):
        publish(make_release(title=f"Release {n}", author=writer), reviewer)
    first = home(client)
    assert len(entry_renders) == 3
    second = home(client)
    assert len(entry_renders) == 3, "the second request rendered the entries again"
    assert first == second


def test_a_page_of_entries_is_one_cache_round_trip(client, writer, reviewer, monkeypatch):
    for n in range(3):
        publish(make_release(title=f"Release {n}", author=writer), reviewer)
    calls = []
    original = fragments.default_cache.get_many

    def counted(keys, *args, **kwargs):
        calls.append(list(keys))
        return original(keys, *args, **kwargs)

    monkeypatch.setattr(fragments.default_cache, "get_many", counted)
    home(client)
    home(client)
    # Without Redis the public state's own read comes through get_many too (newsroom.cache.cache_values).
    entries = [keys for keys in calls if any(key.startswith("entry:") for key in keys)]
    assert [len(keys) for keys in entries] == [3, 3], "each page reads its entries in one get_many"
    assert all(key.startswith("entry:") for keys in entries for key in keys)


def edition_reads(queries):
    """The queries that read an edition's text (a list's key query reads its stamps, never its title)."""
    return [q["sql"] for q in queries if re.search(r'"releases_(release|advisory)"\."title"', q["sql"])]


def test_cached_entries_cost_no_read_of_their_editions(client, writer, reviewer, entry_renders, monkeypatch):
    source = make_source(name="Quiet Office")
    release = publish(make_release(source=source, title="Release", author=writer), reviewer)
    make_picture(release, is_lead=True)
    publish(make_advisory(source=source, title="Advisory", author=writer), reviewer)
    url = source.get_absolute_url()  # a list without the home page's box of upcoming events
    client.get(url)  # the public state and the entries stored
    with CaptureQueriesContext(connection) as hit:
        assert "Advisory" in client.get(url).content.decode()
    monkeypatch.setattr(fragments, "template_version", lambda: "a-new-deploy")
    with CaptureQueriesContext(connection) as miss:
        assert "Advisory" in client.get(url).content.decode()
    assert len(entry_renders) == 4
    assert edition_reads(hit) == [], "a cached entry's edition was read in full"
    assert len(edition_reads(miss)) == 2, "each kind's missing entries are read in one query"
    assert len(miss) == len(hit) + 4, "a miss reads each kind's editions and their pictures; a hit neither"


def test_a_listed_stamp_has_its_editions_key(writer, reviewer):
    """The list's key query reads every stamp the key names: a stamp's key is its edition's."""
    from releases.models import Advisory, Release
    from releases.views import ListedNewestFirst, for_list

    release = publish(make_release(title="Pictured", author=writer), reviewer)
    make_picture(release, alt_text="Novák in Chișinău", is_lead=True)
    make_picture(release, alt_text="Not the lead")
    publish(make_release(title="Plain", author=writer), reviewer)
    publish(make_advisory(title="Briefing", author=writer), reviewer)
    stamps = ListedNewestFirst(Release.objects.published(), Advisory.objects.published())[:10]
    assert len(stamps) == 3
    models = {"release": Release, "advisory": Advisory}
    for stamp in stamps:
        edition = for_list(models[stamp.kind].objects.published()).get(pk=stamp.pk)
        assert fragments.entry_key(stamp) == fragments.entry_key(edition)
        assert stamp.html and stamp.html == fragments.render_entry(edition)


def test_an_edition_gone_before_it_is_read_is_left_out(writer, reviewer):
    from releases.models import Release

    edition = publish(make_release(title="Withdrawn meanwhile", author=writer), reviewer)
    stamps = Release.objects.filter(pk=edition.pk).values_list(*fragments.STAMP_FIELDS["release"]).get()
    rows = [("release", edition.pk, edition.published_at, stamps)]
    assert fragments.listed_entries(rows, lambda kind, pks: {}) == []
    assert [entry.pk for entry in fragments.listed_entries(rows, lambda kind, pks: {edition.pk: edition})] == [edition.pk]


def test_a_new_edition_renders_a_new_entry(client, writer, reviewer, entry_renders):
    edition = publish(make_release(title="First words", author=writer), reviewer)
    assert "First words" in home(client)
    draft = edition.start_new_draft(writer)
    draft.title = "Second words"
    draft.save_edit(writer, draft.revision, ["title"])
    draft.submit(writer)
    draft.approve(reviewer)
    page = home(client)
    assert "Second words" in page and "First words" not in page
    assert len(entry_renders) == 2


def test_a_withdrawn_edition_leaves_the_list(client, writer, reviewer):
    edition = publish(make_release(title="Issued in error", author=writer), reviewer)
    assert "Issued in error" in home(client)
    edition.withdraw(reviewer, "Issued in error.")
    assert "Issued in error" not in home(client)


def test_a_renamed_source_shows_its_new_name(client, writer, reviewer):
    source = make_source(name="Old Ministry")
    publish(make_release(source=source, title="About the ministry", author=writer), reviewer)
    assert "Old Ministry" in entry_block(home(client), "About the ministry")
    source.name = "Ministerul Afacerilor Externe, Chișinău"
    source.save()
    block = entry_block(home(client), "About the ministry")
    assert "Ministerul Afacerilor Externe, Chișinău" in block and "Old Ministry" not in block


def test_an_advisory_entry_turns_from_upcoming_to_past(client, writer, reviewer):
    day = date(2031, 6, 10)
    with time_machine.travel(datetime(2031, 5, 1, 9, 0, tzinfo=dt_timezone.utc)):
        publish(make_advisory(title="Summit briefing", event_date=day, event_time=time(10, 0), author=writer),
                reviewer)
    label = re.compile(r'event-status--(\w+)')
    with time_machine.travel(datetime(2031, 6, 9, 12, 0, tzinfo=dt_timezone.utc), tick=False):
        assert label.search(entry_block(home(client), "Summit briefing"))[1] == "upcoming"
    with time_machine.travel(datetime(2031, 6, 10, 12, 0, tzinfo=dt_timezone.utc), tick=False):
        assert label.search(entry_block(home(client), "Summit briefing"))[1] == "today"
    with time_machine.travel(datetime(2031, 6, 11, 12, 0, tzinfo=dt_timezone.utc), tick=False):
        assert label.search(entry_block(home(client), "Summit briefing"))[1] == "past"


def test_an_advisory_without_a_time_turns_to_time_not_stated(client, writer, reviewer):
    day = date(2031, 6, 10)
    with time_machine.travel(datetime(2031, 5, 1, 9, 0, tzinfo=dt_timezone.utc)):
        publish(make_advisory(title="Untimed briefing", event_date=day, event_time=None, author=writer), reviewer)
    with time_machine.travel(datetime(2031, 6, 9, 12, 0, tzinfo=dt_timezone.utc), tick=False):
        assert "time to be confirmed" in entry_block(home(client), "Untimed briefing")
    with time_machine.travel(datetime(2031, 6, 12, 12, 0, tzinfo=dt_timezone.utc), tick=False):
        block = entry_block(home(client), "Untimed briefing")
        assert "time not stated" in block and "time to be confirmed" not in block


def test_a_lead_picture_added_to_the_edition_shows(client, writer, reviewer):
    edition = publish(make_release(title="With a picture", author=writer), reviewer)
    assert "<picture>" not in entry_block(home(client), "With a picture")
    make_picture(edition, alt_text="Ministers in Chișinău", is_lead=True)
    block = entry_block(home(client), "With a picture")
    assert "<picture>" in block and 'alt="Ministers in Chișinău"' in block


def test_a_template_change_renders_again(client, writer, reviewer, entry_renders, monkeypatch):
    publish(make_release(title="Stable", author=writer), reviewer)
    home(client)
    home(client)
    assert len(entry_renders) == 1
    monkeypatch.setattr(fragments, "template_version", lambda: "a-new-deploy")
    home(client)
    assert len(entry_renders) == 2


def test_the_template_version_is_a_digest_of_the_templates(tmp_path):
    (tmp_path / "releases").mkdir()
    entry = tmp_path / "releases" / "entry.html"
    entry.write_text("<article>{{ entry.title }}</article>")
    before = fragments.templates_digest([tmp_path])
    assert fragments.templates_digest([tmp_path]) == before
    entry.write_text("<article class='entry'>{{ entry.title }}</article>")
    assert fragments.templates_digest([tmp_path]) != before


def test_the_cache_version_setting_is_in_the_key(settings, writer, reviewer):
    edition = publish(make_release(title="Versioned", author=writer), reviewer)
    fragments.template_version.cache_clear()
    try:
        before = fragments.entry_key(edition)
        settings.NEWSROOM_CACHE_VERSION = "deploy-2"
        fragments.template_version.cache_clear()
        assert fragments.entry_key(edition) != before
    finally:
        fragments.template_version.cache_clear()


def test_a_cached_entry_is_escaped_exactly_once(client, writer, reviewer):
    title = "<script>alert(1)</script> Novák’s “plan” & more"
    publish(make_release(title=title, summary="A <b>bold</b> claim", author=writer), reviewer)
    for _ in range(2):  # rendered, then from the cache
        block = entry_block(home(client), "Novák")
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Novák’s “plan” &amp; more" in block
        assert "A &lt;b&gt;bold&lt;/b&gt; claim" in block
        assert "<script>" not in block and "&amp;lt;" not in block


def test_entries_on_source_and_topic_pages_share_the_home_pages(client, writer, reviewer, entry_renders):
    source = make_source(name="Shared Office")
    publish(make_release(source=source, title="Everywhere", author=writer), reviewer)
    home(client)
    response = client.get(source.get_absolute_url())
    assert response.status_code == 200 and "Everywhere" in response.content.decode()
    assert len(entry_renders) == 1


def test_a_scheduled_edition_is_not_listed_before_its_time(client, writer, reviewer):
    at = datetime.now(dt_timezone.utc) + timedelta(hours=2)
    publish(make_release(title="Not yet", author=writer), reviewer, at=at)
    assert "Not yet" not in home(client)
    with time_machine.travel(at + timedelta(minutes=1)):
        assert "Not yet" in home(client)


@pytest.fixture
def form_renders():
    """How many times the filter form has been rendered."""
    rendered = []

    def count(sender, template, context, **kwargs):
        if template.name == "releases/includes/filters_form.html":
            rendered.append(template.name)

    template_rendered.connect(count)
    yield rendered
    template_rendered.disconnect(count)


def source_options(page):
    """The values of the filter form's source choices ([] where the form has no source field)."""
    form = page.split('<form class="filters"')[1].split("</form>")[0]
    select = re.search(r'<select name="source".*?</select>', form, re.S)
    return re.findall(r'<option value="([^"]*)"', select[0]) if select else []


def test_the_unfiltered_filter_form_is_rendered_once(client, writer, reviewer, form_renders):
    make_source(name="Europol")
    assert "europol" in source_options(home(client))
    home(client)
    client.get(reverse("releases:home") + "?before=1700000000000000.r1")  # a later page: the same form
    assert len(form_renders) == 1


def test_a_filtered_form_is_the_visitors_own_and_never_kept(client, writer, reviewer, form_renders):
    make_source(name="Europol")
    make_source(name="NATO")
    for query in ("?source=nato", "?source=nato", "?q=", "?date_from=0001-01-01"):
        page = client.get(reverse("releases:home") + query).content.decode()
        form = page.split('<form class="filters"')[1].split("</form>")[0]
        if query == "?source=nato":
            assert '<option value="nato" selected>' in form
        if "date_from" in query:
            assert "Give a date between" in form
    assert len(form_renders) == 4
    assert '<option value="nato" selected>' not in home(client), "a visitor's choice was served to another"


def test_the_filter_form_follows_a_source_renamed_added_or_deleted(client, form_renders):
    source = make_source(name="Old Ministry")
    gone = make_source(name="Closed Office")
    assert source_options(home(client)) == ["", "closed-office", "old-ministry"]
    source.name, source.slug = "Ministerul Afacerilor Externe, Chișinău", "mae"
    source.save()
    page = home(client)
    assert "Ministerul Afacerilor Externe, Chișinău" in page and source_options(page) == ["", "closed-office", "mae"]
    gone.delete()
    assert source_options(home(client)) == ["", "mae"]
    make_source(name="Europol")
    assert source_options(home(client)) == ["", "europol", "mae"]


def test_each_page_kind_and_language_has_its_own_form(client, settings, form_renders):
    settings.NEWSROOM_LANGUAGES = [("en", "English"), ("fr", "Français")]
    source = make_source(name="Europol")
    assert "europol" in source_options(home(client))
    assert source_options(client.get(source.get_absolute_url()).content.decode()) == [], "a source's page lists no sources"
    events = client.get(reverse("releases:events")).content.decode()
    assert 'name="month"' in events and 'name="kind"' not in events
    french = client.get("/fr/").content.decode()
    assert "Toutes les sources" in french and "All sources" not in french
    assert "All sources" in home(client)
    assert len(form_renders) == 4


def upcoming_box(page):
    return page.split('<section class="upcoming"')[1].split("</section>")[0] if '<section class="upcoming"' in page else ""


def test_the_upcoming_box_is_rendered_once_per_public_state(client, writer, reviewer):
    day = date(2031, 6, 10)
    with time_machine.travel(datetime(2031, 5, 1, 9, 0, tzinfo=dt_timezone.utc)):
        first = publish(make_advisory(title="Summit briefing", event_date=day, event_time=time(10, 0), author=writer),
                        reviewer)
    with time_machine.travel(datetime(2031, 6, 1, 12, 0, tzinfo=dt_timezone.utc), tick=False):
        assert "Summit briefing" in upcoming_box(home(client))
        with CaptureQueriesContext(connection) as hit:
            assert "Summit briefing" in upcoming_box(home(client))
        assert not [q for q in hit if "starts_at" in q["sql"] and "LIMIT 5" in q["sql"]], "the box was read again"
        publish(make_advisory(title="Press conference in Chișinău", event_date=date(2031, 6, 12), author=writer),
                reviewer)
        box = upcoming_box(home(client))
        assert "Summit briefing" in box and "Press conference in Chișinău" in box
        first.withdraw(reviewer, "Cancelled.")
        box = upcoming_box(home(client))
        assert "Summit briefing" not in box and "Press conference in Chișinău" in box
    with time_machine.travel(datetime(2031, 6, 13, 12, 0, tzinfo=dt_timezone.utc), tick=False):
        assert upcoming_box(home(client)) == "", "an event whose day has ended left the box"


# --- the site's chrome, kept in each process (templates/base.html, CACHES["local"]) ---------------------


def test_the_chrome_follows_a_setting_changed(client, settings):
    """The subscribe form names the digest's time: kept with the chrome, it follows the setting at once."""
    settings.NEWSROOM_DIGEST_TIME = "08:00"
    assert "at 08:00" in client.get(reverse("releases:home")).content.decode()
    settings.NEWSROOM_DIGEST_TIME = "07:30"
    text = client.get(reverse("releases:home")).content.decode()
    assert "at 07:30" in text and "at 08:00" not in text


def test_a_renamed_source_shows_at_once_in_its_subscribe_form(client, writer, reviewer):
    source = make_source(name="Old Ministry", slug="old-ministry")
    publish(make_release(source=source, title="News", author=writer), reviewer)
    assert "Get Old Ministry's news by e-mail" in client.get(source.get_absolute_url()).content.decode()
    source.name = "Ministerul Afacerilor Externe, Chișinău"
    source.save()
    text = client.get(source.get_absolute_url()).content.decode()
    assert "Get Ministerul Afacerilor Externe, Chișinău's news by e-mail" in text and "Old Ministry" not in text


def test_the_chrome_is_the_same_kept_as_rendered(client, writer, reviewer):
    from django.core.cache import caches

    release = publish(make_release(title="Chrome", author=writer), reviewer)
    pages = [reverse("releases:home"), release.get_absolute_url(), reverse("releases:events")]
    first = [client.get(url).content.decode() for url in pages]
    caches["local"].clear()
    again = [client.get(url).content.decode() for url in pages]
    kept = [client.get(url).content.decode() for url in pages]
    assert first == again == kept
    header = re.search(r'<header class="site-header">.*?</nav>', kept[1], re.S).group(0)
    assert 'href="/contacts/"' in header or "Press contacts" in header


def test_a_list_without_filters_never_builds_the_filter_form(writer, reviewer):
    """django-filter builds a form class per request: a list asked for no filter needs none (releases.filters)."""
    from django.http import QueryDict

    from releases.filters import EventFilter, NewsroomFilter
    from releases.models import Advisory, Release

    publish(make_release(title="Unfiltered", author=writer), reviewer)
    for data in ("", "before=abc", "page=2"):
        filterset = NewsroomFilter(QueryDict(data), queryset=Release.objects.published())
        assert filterset.unfiltered
        assert list(filterset.filter_for(Release.objects.published())) == list(Release.objects.published())
        assert filterset.chips() == [] and filterset.search_terms == [] and not filterset.errors
        events = EventFilter(QueryDict(data), queryset=Advisory.objects.published())
        assert events.unfiltered and not events.errors and list(events.qs) == list(Advisory.objects.published())
        assert not hasattr(filterset, "_form") and not hasattr(events, "_form")
    for data in ("q=", "kind=advisory", "date_from=2023-11-08", "source=nato"):
        assert not NewsroomFilter(QueryDict(data), queryset=Release.objects.published()).unfiltered
    assert not EventFilter(QueryDict("month=2023-11"), queryset=Advisory.objects.published()).unfiltered
    wrong = NewsroomFilter(QueryDict("date_from=0001-01-01"), queryset=Release.objects.published())
    assert wrong.errors and list(wrong.filter_for(Release.objects.published())) == []
