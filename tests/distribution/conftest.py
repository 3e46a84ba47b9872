import pytest

from tests.factories import make_release, make_user
from tests.journalists.factories import make_journalist, make_list
from tests.notifications.conftest import committed, database_url, smtp, work_the_queue  # noqa: F401


@pytest.fixture
def journalists():
    """Three journalists on one media list."""
    people = [make_journalist(email=f"j{n}@press.example", name=f"Journalist {n}") for n in (1, 2, 3)]
    return make_list(name="Defence desk", journalists=people), people


@pytest.fixture
def release(writer, journalists):
    """A submitted release whose distribution names the media list."""
    from distribution import services
    from releases.models import Release

    media_list, _ = journalists
    item = make_release(author=writer, title="Ministers meet in Chișinău", summary="Allies agree a plan.",
                        body="The ministers met today.")
    services.distribution_for(Release, item.document, create=True).media_lists.add(media_list)
    item.submit(writer)
    return item


@pytest.fixture
def inbox(mailoutbox):
    return mailoutbox
