"""Who reads the directory: the press office manages it; writers and reviewers see lists, never journalists."""
import pytest
from django.urls import reverse

from tests.factories import make_source

from .factories import make_journalist, make_list


@pytest.fixture
def directory():
    nato = make_source("NATO")
    ana = make_journalist(name="Ana Novák", email="ana.novak@example.org", sources=[nato], languages=["en"])
    static = make_list(name="Brussels correspondents", journalists=[ana])
    criteria = make_list(name="NATO in English", sources=[nato], languages=["en"])
    return {"ana": ana, "static": static, "criteria": criteria}


def test_press_office_reads_and_edits_journalists(client, press_officer, directory):
    """The press office sees the directory with addresses and opens a journalist's form."""
    client.force_login(press_officer)
    listing = client.get(reverse("admin:journalists_journalist_changelist"))
    assert listing.status_code == 200
    assert "ana.novak@example.org" in listing.content.decode()
    form = client.get(reverse("admin:journalists_journalist_change", args=[directory["ana"].pk]))
    assert form.status_code == 200
    assert 'name="_save"' in form.content.decode()


def test_press_office_adds_a_journalist_with_an_address_in_capitals(client, press_officer):
    """The form stores the address in lower case, and refuses it again in other capitals."""
    client.force_login(press_officer)
    data = {"name": "Jan Dvořák", "outlet": "ČTK", "email": "Jan.Dvorak@CTK.cz", "kinds": "both",
            "basis": "consent", "basis_date": "2023-05-01", "notes": ""}
    response = client.post(reverse("admin:journalists_journalist_add"), data)
    assert response.status_code == 302
    from journalists.models import Journalist

    assert Journalist.objects.get().email == "jan.dvorak@ctk.cz"
    again = client.post(reverse("admin:journalists_journalist_add"), {**data, "email": "JAN.DVORAK@ctk.cz"})
    assert again.status_code == 200
    assert "Journalist with this E-mail already exists." in again.content.decode()


@pytest.mark.parametrize("role", ["writer", "reviewer"])
def test_writers_and_reviewers_get_403_on_journalists(client, request, role, directory):
    """Every journalist page, the export and the personal-data page answer 403 to writers and reviewers."""
    client.force_login(request.getfixturevalue(role))
    ana = directory["ana"]
    for url in [
        reverse("admin:journalists_journalist_changelist"),
        reverse("admin:journalists_journalist_change", args=[ana.pk]),
        reverse("admin:journalists_journalist_add"),
        reverse("admin:journalists_journalist_history", args=[ana.pk]),
        reverse("admin:journalists_journalist_import"),
        reverse("admin:journalists_journalist_export"),
        reverse("admin:journalists_journalist_export") + f"?list={directory['static'].pk}",
        reverse("admin:journalists_journalist_personal_data") + "?email=ana.novak@example.org",
    ]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "ana.novak" not in response.content.decode()


@pytest.mark.parametrize("role", ["writer", "reviewer"])
def test_writers_see_list_names_criteria_and_sizes_but_no_members(client, request, role, directory):
    """The lists page shows names, criteria and counts; a list's page names no member and no address."""
    client.force_login(request.getfixturevalue(role))
    listing = client.get(reverse("admin:journalists_medialist_changelist")).content.decode()
    assert "Brussels correspondents" in listing and "NATO in English" in listing
    assert "NATO · releases or advisories · English" in listing
    assert listing.count("1 journalist") == 2
    for media_list in (directory["static"], directory["criteria"]):
        page = client.get(reverse("admin:journalists_medialist_change", args=[media_list.pk]))
        assert page.status_code == 200
        text = page.content.decode()
        assert media_list.name in text and "1 journalist" in text
        assert "Ana Novák" not in text and "ana.novak" not in text
        assert 'name="_save"' not in text


@pytest.mark.parametrize("role", ["writer", "reviewer"])
def test_writers_cannot_change_lists_or_search_journalists(client, request, role, directory):
    """A forged save of a list is refused, and the members' autocomplete answers 403."""
    client.force_login(request.getfixturevalue(role))
    static = directory["static"]
    response = client.post(reverse("admin:journalists_medialist_change", args=[static.pk]), {
        "name": "Renamed", "kind": "static", "journalists": [],
    })
    assert response.status_code == 403
    static.refresh_from_db()
    assert static.name == "Brussels correspondents"
    autocomplete = client.get(reverse("admin:autocomplete"), {
        "app_label": "journalists", "model_name": "medialist", "field_name": "journalists", "term": "Ana",
    })
    assert autocomplete.status_code == 403
    assert "ana" not in autocomplete.content.decode().lower()


def test_press_office_sees_a_lists_members_and_searches_them(client, press_officer, directory):
    """The press office's list page offers the members; the autocomplete finds them by name."""
    client.force_login(press_officer)
    page = client.get(reverse("admin:journalists_medialist_change", args=[directory["static"].pk])).content.decode()
    assert "Ana Novák" in page and "See the members" in page
    autocomplete = client.get(reverse("admin:autocomplete"), {
        "app_label": "journalists", "model_name": "medialist", "field_name": "journalists", "term": "Nov",
    })
    assert autocomplete.json()["results"][0]["text"] == str(directory["ana"])


def test_the_directory_filtered_by_a_criteria_list_shows_its_members(client, press_officer, directory):
    """Journalists filtered by a criteria list are that list's members()."""
    make_journalist(name="Someone Else", email="else@example.org")
    client.force_login(press_officer)
    page = client.get(reverse("admin:journalists_journalist_changelist"), {"media_list": directory["criteria"].pk})
    text = page.content.decode()
    assert "ana.novak@example.org" in text and "else@example.org" not in text


def test_a_criteria_list_needs_a_criterion(client, press_officer):
    """Saving a criteria list with no criterion is refused: it would be the whole directory."""
    client.force_login(press_officer)
    response = client.post(reverse("admin:journalists_medialist_add"), {"name": "Everyone", "kind": "criteria", "kinds": ""})
    assert response.status_code == 200
    assert "Choose at least one criterion" in response.content.decode()


def test_roles_hold_the_directory_permissions():
    """The press office manages journalists and lists; writers and reviewers may only view lists."""
    from django.contrib.auth.models import Group

    def directory_permissions(group):
        return set(Group.objects.get(name=group).permissions.filter(
            content_type__app_label="journalists").values_list("codename", flat=True))

    assert directory_permissions("Press office") == {
        f"{action}_{model}" for action in ("view", "add", "change", "delete") for model in ("journalist", "medialist")
    }
    assert directory_permissions("Writers") == directory_permissions("Reviewers") == {"view_medialist"}
