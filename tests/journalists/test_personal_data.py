"""Everything held about one address (GDPR Art. 15) and its erasure (Art. 17)."""
import json

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from journalists import personal_data
from journalists.models import Journalist, MediaList
from tests.factories import make_source

from .factories import make_journalist, make_list

URL = reverse("admin:journalists_journalist_personal_data")


@pytest.fixture
def ana(press_officer):
    journalist = make_journalist(name="Ana Novák", email="ana@example.org", outlet="Deník N", notes="Prefers calls",
                                 sources=[make_source("NATO")], languages=["cs"])
    make_list(name="Summit press", journalists=[journalist])
    LogEntry.objects.log_actions(press_officer.pk, [journalist], CHANGE, "Changed notes.")
    return journalist


def test_the_page_shows_everything_held_about_an_address(client, press_officer, ana):
    """Typed in any case, the address shows the journalist's fields, beat, lists and history."""
    client.force_login(press_officer)
    page = client.get(URL, {"email": "ANA@Example.org"}).content.decode()
    for held in ["Ana Novák", "Deník N", "Prefers calls", "NATO", "Summit press", "Changed notes.", "Download as JSON"]:
        assert held in page, held


def test_the_export_downloads_as_json(client, press_officer, ana):
    """The download is JSON with the address, the time and each app's section."""
    client.force_login(press_officer)
    response = client.get(URL, {"email": "ana@example.org", "format": "json"})
    assert response["Content-Disposition"] == 'attachment; filename="personal-data.json"'
    data = json.loads(response.content)
    assert data["address"] == "ana@example.org"
    journalist = data["sections"]["journalists"]
    assert journalist["name"] == "Ana Novák" and journalist["languages"] == ["cs"]
    assert journalist["beat_sources"] == ["NATO"] and journalist["media_lists"] == ["Summit press"]
    assert journalist["basis"] == "professional" and journalist["basis_date"] == "2023-01-10"


def test_an_unknown_address_holds_nothing(client, press_officer, ana):
    """An address nobody holds says so, and offers nothing to erase."""
    client.force_login(press_officer)
    page = client.get(URL, {"email": "nobody@example.org"}).content.decode()
    assert "Nothing is held about nobody@example.org." in page and "Erase" not in page


def test_erase_asks_for_confirmation_first(client, press_officer, ana):
    """The first Erase only asks; the journalist is still there."""
    client.force_login(press_officer)
    page = client.post(URL, {"email": "ana@example.org", "action": "erase"}).content.decode()
    assert "Yes, erase it" in page
    assert Journalist.objects.filter(pk=ana.pk).exists()


def test_erase_removes_the_journalist_their_memberships_and_their_name_in_history(client, press_officer, ana):
    """Confirmed, the journalist and their list memberships go; the admin history keeps no name."""
    client.force_login(press_officer)
    response = client.post(URL, {"email": "Ana@example.org", "action": "confirm-erase"}, follow=True)
    assert "Erased ana@example.org: journalists: journalist deleted, with 1 list membership." in response.content.decode()
    assert not Journalist.objects.exists()
    assert MediaList.objects.get().members().count() == 0
    history = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Journalist))
    assert history.exists()
    assert not history.filter(object_repr__contains="Ana").exists()
    assert personal_data.export("ana@example.org")["sections"] == {}


def test_other_apps_add_their_part_and_erasure_is_all_or_nothing(ana, monkeypatch):
    """A registered app's data is exported with the directory's; if its eraser fails nothing is erased."""
    held = {"ana@example.org": ["subscribed to NATO"]}

    def failing_eraser(address):
        raise RuntimeError("the mail server's table is locked")

    # The registry is the process's own: put back what the real apps registered afterwards.
    monkeypatch.setattr(personal_data, "_sections", dict(personal_data._sections))
    personal_data.register("a test app", lambda address: held.get(address), failing_eraser)
    assert personal_data.export("ana@example.org")["sections"]["a test app"] == ["subscribed to NATO"]
    with pytest.raises(RuntimeError):
        personal_data.erase("ana@example.org")
    assert Journalist.objects.filter(pk=ana.pk).exists()


@pytest.mark.parametrize("role", ["writer", "reviewer"])
def test_writers_and_reviewers_can_neither_read_nor_erase(client, request, role, ana):
    """Reading and erasing an address answer 403, and nothing is erased."""
    client.force_login(request.getfixturevalue(role))
    assert client.get(URL, {"email": "ana@example.org", "format": "json"}).status_code == 403
    assert client.post(URL, {"email": "ana@example.org", "action": "confirm-erase"}).status_code == 403
    assert Journalist.objects.filter(pk=ana.pk).exists()
