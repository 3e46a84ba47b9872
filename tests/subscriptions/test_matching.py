"""Who is mailed about a publication: only confirmed, present, unsuppressed immediate subscribers who match."""
from subscriptions import suppress
from subscriptions.models import Subscription
from tests.factories import make_advisory, make_release, make_source

from .conftest import make_subscriber


def matched(edition):
    return sorted(Subscription.objects.matching(edition).values_list("subscriber__email", flat=True))


def test_unconfirmed_unsubscribed_and_suppressed_addresses_are_not_matched(db):
    """Of five subscribers to everything, only the confirmed ones who stayed and were never suppressed match."""
    make_subscriber("ok@example.org")
    make_subscriber("unconfirmed@example.org", confirmed=False)
    make_subscriber("left@example.org", unsubscribed=True)
    make_subscriber("bounced@example.org")
    make_subscriber("complained@example.org")
    suppress("Bounced@Example.org", "bounced")
    suppress("complained@example.org", "complained")
    assert matched(make_release()) == ["ok@example.org"]


def test_sources_and_kinds_decide_the_match(db):
    """A subscription names sources (none = all) and kinds; a release of NATO reaches only those who asked for it."""
    nato, europol = make_source("NATO"), make_source("Europol")
    make_subscriber("all@example.org")
    make_subscriber("nato@example.org", sources=[nato])
    make_subscriber("both-sources@example.org", sources=[nato, europol])
    make_subscriber("europol@example.org", sources=[europol])
    make_subscriber("advisories@example.org", kinds="advisories")
    make_subscriber("releases@example.org", kinds="releases", sources=[nato])
    assert matched(make_release(source=nato)) == [
        "all@example.org", "both-sources@example.org", "nato@example.org", "releases@example.org",
    ]
    assert matched(make_advisory(source=europol)) == [
        "advisories@example.org", "all@example.org", "both-sources@example.org", "europol@example.org",
    ]


def test_daily_digest_subscribers_are_not_mailed_at_once(db):
    """A daily subscriber is not among the immediate recipients."""
    make_subscriber("daily@example.org", frequency="daily")
    assert matched(make_release()) == []


def test_matching_is_one_query_however_many_subscribers(db, django_assert_num_queries):
    """Two hundred subscribers over several sources are read in one query."""
    sources = [make_source(f"Source {n}") for n in range(4)]
    for n in range(200):
        make_subscriber(f"s{n}@example.org", sources=[sources[n % 4]] if n % 3 else [])
    release = make_release(source=sources[0])
    with django_assert_num_queries(1):
        found = list(Subscription.objects.matching(release).values_list("subscriber__email", flat=True))
    assert len(found) == len({n for n in range(200) if n % 3 == 0 or n % 4 == 0})
