"""The set-up `make run` performs: roles and the demo newsroom, both idempotent."""
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import override_settings

from releases.models import Advisory, Contact, Release, Source
from releases.roles import ROLES, setup_roles


def test_roles_are_created_idempotently():
    setup_roles()
    setup_roles()
    assert Group.objects.filter(name__in=ROLES).count() == 3
    reviewers = Group.objects.get(name="Reviewers")
    assert reviewers.permissions.filter(codename="publish_release").exists()
    writers = Group.objects.get(name="Writers")
    assert not writers.permissions.filter(codename__startswith="publish_").exists()
    press = Group.objects.get(name="Press office")
    assert press.permissions.filter(codename="change_contact").exists()
    assert not press.permissions.filter(codename="change_release").exists()


def test_setup_roles_restores_drifted_permissions():
    writers = Group.objects.get(name="Writers")
    reviewers = Group.objects.get(name="Reviewers")
    writers.permissions.add(*reviewers.permissions.filter(codename="publish_release"))
    call_command("setup_roles", stdout=io.StringIO())
    assert not writers.permissions.filter(codename="publish_release").exists()


@override_settings(DEBUG=True)
def test_load_demo_twice_duplicates_nothing():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "10 created, 0 already present" in out.getvalue()
    assert "writer" in out.getvalue() and "reviewer-demo-2023" in out.getvalue()
    call_command("load_demo", stdout=(out := io.StringIO()))
    assert "0 created, 10 already present" in out.getvalue()
    assert Release.objects.published().count() == 8
    assert Advisory.objects.published().count() == 2
    assert Source.objects.count() == 2
    assert Contact.objects.filter(name="NATO Press Office").count() == 1
    assert get_user_model().objects.filter(username__in=["writer", "reviewer", "pressoffice"]).count() == 3
    assert Source.objects.get(name="NATO").handles == ["@NATO", "@jensstoltenberg", "@NATOPress"]


@override_settings(DEBUG=True)
def test_demo_pages_render(client):
    call_command("load_demo", stdout=io.StringIO())
    home = client.get("/").content.decode()
    assert "Chișinău" in home and "Olympics 2024 security topped up" in home
    hungary = Advisory.objects.published().get(title__contains="Hungary")
    page = client.get(hungary.get_absolute_url()).content.decode()
    assert "17:30 CET" in page and "NATO Headquarters" in page and "NATO Press Office" in page
    assert "Press conference by the NATO Secretary General and the President of Hungary" in page
    nordic = Advisory.objects.published().get(title__contains="Nordic Council")
    page = client.get(nordic.get_absolute_url()).content.decode()
    assert "Nordic cooperation demonstrates that peace is always possible" in page
    # A 2023 event, seen today: past, and its time no longer "to be confirmed" but not stated.
    assert "time not stated" in page and 'event-status--past">Past<' in page


@override_settings(DEBUG=False)
def test_load_demo_refuses_without_debug():
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("load_demo", stdout=io.StringIO())
    assert Release.objects.count() == 0


def test_demo_accounts_have_addresses_so_the_review_loop_mails_them(settings):
    """make run's accounts get the notifications: each has an address (mail goes to the console)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("load_demo", stdout=io.StringIO())
    users = get_user_model().objects.filter(username__in=["writer", "reviewer", "pressoffice"])
    assert sorted(user.email for user in users) == [
        "pressoffice@newsroom.localhost", "reviewer@newsroom.localhost", "writer@newsroom.localhost",
    ]


@override_settings(DEBUG=True)
def test_the_demo_directory_gives_the_press_office_lists_to_send_to():
    """`make run` loads four journalists and two lists, once however often it runs; the criteria list finds NATO's."""
    from journalists.models import Journalist, MediaList

    call_command("load_demo", stdout=io.StringIO())
    for _ in range(2):
        call_command("load_demo_directory", stdout=(out := io.StringIO()))
    assert "4 journalists, 2 media lists" in out.getvalue()
    assert Journalist.objects.count() == 4 and MediaList.objects.count() == 2
    covers_nato = MediaList.objects.get(name="Covers NATO")
    assert sorted(covers_nato.members().values_list("name", flat=True)) == ["Ana Novák", "Ion Popescu", "Sofie Janssens"]
    assert Journalist.objects.get(name="Ana Novák").languages.count() == 2
    assert all(address.endswith(".example") for address in Journalist.objects.values_list("email", flat=True))


@override_settings(DEBUG=False)
def test_the_demo_directory_refuses_without_debug():
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("load_demo_directory", stdout=io.StringIO())


def test_a_bilingual_demo_has_a_french_translation_once(client, settings):
    # All through pytest-django's ``settings``: mixed with ``override_settings``, its undo would restore DEBUG on.
    settings.DEBUG = True
    settings.NEWSROOM_LANGUAGES = settings.LANGUAGES = [("en", "English"), ("fr", "Français")]
    call_command("load_demo", stdout=(out := io.StringIO()))
    call_command("load_demo", stdout=io.StringIO())
    french = Advisory.objects.published().get(language="fr")
    assert f"In French: {french.get_absolute_url()}" in out.getvalue()
    assert french.title == "Le secrétaire général de l’OTAN rencontre la présidente de la Hongrie"
    original = Advisory.objects.published().get(title__contains="President of Hungary")
    assert french.published_at == original.published_at, "the translation carries the load date, not its original's"
    page = client.get(french.get_absolute_url()).content.decode()
    assert "Conférence de presse du secrétaire général de l’OTAN et de la présidente de la Hongrie" in page
    assert "Mme Katalin Novák" in page and "17\xa0h\xa030 HNEC" in page  # non-breaking spaces, as French sets them
    assert "Le secrétaire général de l’OTAN rencontre" in client.get("/fr/").content.decode()
    assert f'hreflang="fr" href="http://testserver{french.get_absolute_url()}"' in client.get(
        original.get_absolute_url()).content.decode()


@override_settings(DEBUG=True)
def test_a_one_language_demo_has_no_translation():
    call_command("load_demo", stdout=(out := io.StringIO()))
    assert "In French" not in out.getvalue()
    assert not Advisory.objects.exclude(language="en").exists()
