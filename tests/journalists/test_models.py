"""The directory's models: one address per journalist, and who is on a list."""
import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from journalists.models import Journalist, Kinds, MediaList
from tests.factories import make_source

from .factories import make_journalist, make_list


def test_addresses_are_stored_in_lower_case():
    """Ana@Example.ORG is stored as ana@example.org and found however it is typed."""
    journalist = make_journalist(email="  Ana.Novák@Example.ORG ")
    journalist.refresh_from_db()
    assert journalist.email == "ana.novák@example.org"
    assert Journalist.objects.with_email("ANA.NOVÁK@example.org").get() == journalist


def test_one_address_is_one_journalist_whatever_its_case():
    """A second journalist with the same address in other capitals is refused by the database."""
    make_journalist(email="ana@example.org")
    with pytest.raises(IntegrityError):
        make_journalist(email="ANA@example.org")


def test_the_database_refuses_an_address_in_capitals():
    """A raw update can't store an address the unique index would miss."""
    journalist = make_journalist(email="ana@example.org")
    with pytest.raises(IntegrityError):
        Journalist.objects.filter(pk=journalist.pk).update(email="Ana@example.org")


def test_static_list_members_are_the_chosen_journalists():
    """A static list holds exactly the journalists chosen for it."""
    chosen = [make_journalist(), make_journalist()]
    make_journalist()
    media_list = make_list(journalists=chosen)
    assert set(media_list.members()) == set(chosen)


def test_criteria_list_members_cover_a_source_in_a_language():
    """"Covers NATO, English": journalists with NATO on their beat who write in English, and nobody else."""
    nato, europol = make_source("NATO"), make_source("Europol")
    match = make_journalist(sources=[nato, europol], languages=["en", "fr"])
    make_journalist(sources=[nato], languages=["fr"])
    make_journalist(sources=[europol], languages=["en"])
    media_list = make_list(sources=[nato], languages=["en"])
    assert list(media_list.members()) == [match]


def test_criteria_list_members_follow_the_kind_they_cover():
    """A list for advisories takes those covering advisories or both, not those covering only releases."""
    nato = make_source("NATO")
    both = make_journalist(sources=[nato], kinds=Kinds.BOTH)
    advisories = make_journalist(sources=[nato], kinds=Kinds.ADVISORIES)
    make_journalist(sources=[nato], kinds=Kinds.RELEASES)
    media_list = make_list(sources=[nato], kinds=Kinds.ADVISORIES)
    assert set(media_list.members()) == {both, advisories}


def test_criteria_left_empty_match_anyone():
    """A list by language only takes every source; one by source only takes every language."""
    nato = make_source("NATO")
    english = make_journalist(languages=["en"])
    french_nato = make_journalist(languages=["fr"], sources=[nato])
    assert list(make_list(languages=["en"]).members()) == [english]
    assert list(make_list(sources=[nato]).members()) == [french_nato]


def test_a_criteria_list_takes_in_journalists_added_later():
    """Criteria are saved, not their result: a journalist added after the list is on it."""
    nato = make_source("NATO")
    media_list = make_list(sources=[nato])
    assert media_list.members().count() == 0
    newcomer = make_journalist(sources=[nato])
    assert list(media_list.members()) == [newcomer]


@pytest.mark.parametrize("kind", ["static", "criteria"])
def test_members_is_one_query(kind):
    """Reading a list's members, static or by criteria, is a single query whatever the size."""
    nato = make_source("NATO")
    journalists = [make_journalist(sources=[nato], languages=["en"]) for _ in range(5)]
    media_list = make_list(journalists=journalists) if kind == "static" else make_list(sources=[nato], languages=["en"])
    with CaptureQueriesContext(connection) as queries:
        members = list(media_list.members())
    assert len(members) == 5
    assert len(queries) == 1


def test_members_scale_to_ten_thousand_journalists():
    """10,000 journalists: a criteria list counts its members in one query, without loading them."""
    nato = make_source("NATO")
    created = Journalist.objects.bulk_create([
        Journalist(name=f"J {n}", email=f"j{n}@example.org", basis="consent", basis_date="2023-01-01")
        for n in range(10_000)
    ])
    through = Journalist.sources.through
    through.objects.bulk_create([through(journalist_id=j.pk, source_id=nato.pk) for j in created[::2]])
    media_list = make_list(sources=[nato])
    with CaptureQueriesContext(connection) as queries:
        assert media_list.members().count() == 5_000
    assert len(queries) == 1


def test_lists_are_ordered_by_name():
    """MediaList.objects lists alphabetically."""
    make_list(name="Brussels press"), make_list(name="Agencies")
    assert [media_list.name for media_list in MediaList.objects.all()] == ["Agencies", "Brussels press"]
