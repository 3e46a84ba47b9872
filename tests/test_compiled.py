"""A queryset compiled once and run again with new values (newsroom/compiled.py): the same rows, or refused."""
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import F
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext

from newsroom.compiled import CompiledQuery
from releases import fragments
from releases.models import Advisory, Release
from releases.views import PUBLIC_PAGE, public_pages

from .factories import make_advisory, make_release, make_source, now, publish


def rows(instances):
    """Every stored value of each instance and of its source, as the page and its key read them."""
    return [(fragments._row(item), fragments._row(item.source)) for item in instances]


@pytest.fixture
def archive(writer, reviewer):
    """Editions of one address in every state a detail page must tell apart, with Unicode in them."""
    source = make_source(name="Europol — Chișinău desk", slug="europol-chisinau")
    live = publish(make_release(source=source, title="Talks in Chișinău", author=writer), reviewer)
    draft = live.start_new_draft(writer)
    draft.title = "“Novák” — the second edition"
    draft.save_edit(writer, draft.revision, ["title"])
    scheduled = publish(make_release(source=source, title="Scheduled", author=writer), reviewer, at=now() + timedelta(days=2))
    withdrawn = publish(make_release(source=source, title="Withdrawn", author=writer), reviewer)
    withdrawn.withdraw(reviewer, "Issued in error")
    never_public = publish(make_release(source=source, title="Never public", author=writer), reviewer, at=now() + timedelta(days=1))
    # A row from before ``withdraw`` refused this: withdrawn before its time, never public, never shown.
    Release.objects.filter(pk=never_public.pk).update(state="withdrawn", withdrawn_at=now())
    advisory = publish(make_advisory(source=source, title="Briefing in Chișinău", author=writer), reviewer)
    return [live, scheduled, withdrawn, never_public, advisory]


@pytest.mark.parametrize("moment", [timedelta(days=-1), timedelta(0), timedelta(days=3), "before", "after"])
def test_a_detail_pages_query_returns_what_the_orm_returns(archive, moment):
    if isinstance(moment, str):
        # Either side of the scheduled time, told in a zone ahead of UTC: the time must reach the
        # database as the ORM sends it (SQLite compares UTC text), not as the wall clock reads there.
        minute = timedelta(minutes=1) if moment == "after" else -timedelta(minutes=1)
        at = (archive[1].published_at + minute).astimezone(ZoneInfo("Europe/Chisinau"))
    else:
        at = now() + moment
    slugs = {(type(item), item.slug) for item in archive} | {(Release, "no-such-item"), (Advisory, archive[0].slug)}
    for model, slug in slugs:
        expected = list(public_pages(model, at).filter(slug=slug))
        assert rows(PUBLIC_PAGE[model].all(now=at, slug=slug)) == rows(expected), (model, slug, moment)


def test_the_detail_page_shows_the_same_edition_through_it(client, archive):
    live, scheduled, withdrawn, never_public, advisory = archive
    assert "Talks in Chișinău" in client.get(live.get_absolute_url()).content.decode()
    assert "Briefing in Chișinău" in client.get(advisory.get_absolute_url()).content.decode()
    assert "Issued in error" in client.get(withdrawn.get_absolute_url()).content.decode()
    assert client.get(scheduled.get_absolute_url()).status_code == 404
    assert client.get(never_public.get_absolute_url()).status_code == 404
    assert client.get("/releases/no-such-item/").status_code == 404


def test_a_kept_detail_page_compiles_no_sql(client, settings, archive):
    settings.NEWSROOM_PAGE_CACHE = False
    live = archive[0]
    client.get(live.get_absolute_url())  # the page's parts kept, and its query compiled on this connection
    with mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql) as compiled:
        with CaptureQueriesContext(connection) as queries:
            for _ in range(3):
                assert "Talks in Chișinău" in client.get(live.get_absolute_url()).content.decode()
    assert len(queries) == 3 and compiled.call_count == 0


def test_a_value_the_lookup_changes_is_refused(db):
    # icontains sends %value% (escaped): the stand-in arrives changed, so the plain SQL would be wrong.
    query = CompiledQuery(lambda slug: Release.objects.filter(slug__icontains=slug), slug=str)
    with pytest.raises(ImproperlyConfigured, match="plain parameter"):
        query.all(slug="talks")


def test_a_value_that_does_not_reach_the_query_as_itself_is_refused(db):
    # The year lookup sends the bounds of the year, not the value: nowhere to put the next one.
    query = CompiledQuery(lambda now: Release.objects.filter(published_at__year=now.year), now=datetime)
    with pytest.raises(ImproperlyConfigured, match="plain parameter"):
        query.all(now=now())


def test_a_value_left_unused_is_refused(db):
    query = CompiledQuery(lambda now, slug: Release.objects.filter(slug=slug), now=datetime, slug=str)
    with pytest.raises(ImproperlyConfigured, match="plain parameter"):
        query.all(now=now(), slug="talks")


def test_values_and_annotations_are_refused(db):
    for build in (
        lambda slug: Release.objects.filter(slug=slug).values("title"),
        lambda slug: Release.objects.filter(slug=slug).annotate(when=F("published_at")),
    ):
        with pytest.raises(ImproperlyConfigured, match="model instances only"):
            CompiledQuery(build, slug=str).all(slug="talks")


def test_get_says_what_the_orm_says(archive):
    live = archive[0]
    query = CompiledQuery(lambda slug: Release.objects.filter(source__slug=slug), slug=str)
    with pytest.raises(Release.MultipleObjectsReturned):
        query.get(slug=live.source.slug)
    with pytest.raises(Release.DoesNotExist):
        query.get(slug="no-such-source")
    with pytest.raises(TypeError):
        query.get(source="talks")
