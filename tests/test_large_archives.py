"""What keeps pages flat as the archive grows: no OFFSET, no COUNT(*), estimated admin counts."""
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from releases.admin import EstimatedCountPaginator

from .factories import make_release, publish


def older_link(page):
    match = re.search(r'rel="next" href="\?([^"]+)"', page)
    return match.group(1).replace("&amp;", "&") if match else None


@pytest.fixture
def archive(writer, reviewer, settings):
    settings.NEWSROOM_PAGE_SIZE = 2
    settings.NEWSROOM_PAGE_CACHE = False
    return [
        publish(make_release(author=writer, title=f"Archive item {n}"), reviewer,
                at=timezone.now() - timedelta(days=n + 1))
        for n in range(7)
    ]


def test_public_lists_never_count_or_offset(client, archive):
    """Deep pages are read by cursor: the SQL has neither OFFSET nor COUNT, however deep the reader goes."""
    query, pages = "", 0
    while query is not None:
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse("releases:home") + "?" + query).content.decode()
        sql = " ".join(q["sql"].upper() for q in captured.captured_queries)
        assert "OFFSET" not in sql and "COUNT(" not in sql
        query, pages = older_link(page), pages + 1
    assert pages == 4


def test_admin_changelist_does_not_count_the_whole_table(client, archive, reviewer):
    client.force_login(reviewer)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("admin:releases_release_changelist"))
    assert response.status_code == 200
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    # One count of the filtered list (exact while small), never the unfiltered "of N total" count.
    assert len(counts) <= 1


@pytest.mark.postgres
def test_admin_uses_the_planner_estimate_for_large_lists(client, archive, reviewer, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 1)
    client.force_login(reviewer)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE releases_release")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("admin:releases_release_changelist"))
    assert response.status_code == 200
    sql = [q["sql"].upper() for q in captured.captured_queries]
    assert not any("COUNT(" in q for q in sql)
    assert any(q.startswith("EXPLAIN (FORMAT JSON)") for q in sql)
    assert "Archive item 0" in response.content.decode()
