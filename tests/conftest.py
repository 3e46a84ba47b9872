import pytest
from django.core.cache import cache

from releases.roles import setup_roles

from .factories import make_user


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` run only when DATABASE_URL points at PostgreSQL (`make test-postgres`)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://… (see README, Tests)")
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def roles(db):
    """Every test runs with the newsroom's groups in place, as after `make run`."""
    setup_roles()


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: no page or public state carried over from another test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def writer(db):
    return make_user("writer-1", group="Writers")


@pytest.fixture
def writer2(db):
    return make_user("writer-2", group="Writers")


@pytest.fixture
def reviewer(db):
    return make_user("reviewer-1", group="Reviewers")


@pytest.fixture
def reviewer2(db):
    return make_user("reviewer-2", group="Reviewers")


@pytest.fixture
def press_officer(db):
    return make_user("press-1", group="Press office")
