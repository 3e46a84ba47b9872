"""
Languages and translation groups (issue 15, docs/translations.md): each item's
language, fixed across its editions; a translation is a document of its own,
reviewed and published on its own, linked to its group; its flag when the
original gets a major change, and not after a minor one.
"""
import re
import tempfile
from datetime import date, time
from io import StringIO

import pytest
from django.db import connection  # noqa: F401  (read by the skipif conditions)
from django.core.management import CommandError, call_command
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client, override_settings
from django.urls import reverse

from releases.models import Advisory, ProgrammeEntry, Release, Transition, Translation
from releases.translations import acknowledge, translate, translations_of
from releases.workflow import State, TransitionError

from .factories import make_advisory, make_contact, make_picture, make_release, make_source, make_user, publish

FACTORIES = {"release": make_release, "advisory": make_advisory}
BILINGUAL = [("en", "English"), ("fr", "Français")]


@pytest.fixture(autouse=True)
def bilingual(settings):
    settings.NEWSROOM_LANGUAGES = BILINGUAL


@pytest.fixture(params=["release", "advisory"])
def make_item(request):
    return FACTORIES[request.param]


def edit(edition, user, **fields):
    for name, value in fields.items():
        setattr(edition, name, value)
    edition.save_edit(user, edition.revision, list(fields))
    edition.refresh_from_db()
    return edition


def republish(live, writer, reviewer, major, **fields):
    """A new edition of ``live`` with ``fields`` changed, approved as a major or a minor change."""
    draft = edit(live.start_new_draft(writer), writer, **fields)
    draft.submit(writer)
    draft.approve(reviewer, major=major, note="Corrected the venue." if major else "")
    draft.refresh_from_db()
    return draft


# --- languages ---------------------------------------------------------------------------------


def test_a_new_item_is_in_the_default_language(make_item):
    assert make_item().language == "en"


@override_settings(NEWSROOM_LANGUAGES=[("fr", "Français"), ("en", "English")])
def test_the_default_language_is_the_first_configured(make_item):
    assert make_item().language == "fr"


def test_a_language_the_newsroom_does_not_publish_in_is_refused(make_item):
    with pytest.raises(ValidationError, match="does not publish"):
        make_item(language="de")
    assert not Release.objects.exists() and not Advisory.objects.exists()


def test_the_language_is_the_same_in_every_edition(make_item, writer, reviewer):
    live = publish(make_item(author=writer, language="fr"), reviewer)
    draft = live.start_new_draft(writer)
    assert draft.language == "fr"
    draft.language = "en"
    with pytest.raises(ValidationError, match="same in all its versions"):
        draft.save()
    with pytest.raises(ValidationError):
        draft.full_clean()
    assert set(type(live).objects.filter(document=live.document).values_list("language", flat=True)) == {"fr"}


def test_a_lone_draft_may_still_change_language(make_item, writer):
    item = make_item(author=writer)
    item.language = "fr"
    item.save()
    item.refresh_from_db()
    assert item.language == "fr"


# --- translating ---------------------------------------------------------------------------------


def test_translate_starts_a_french_draft_prefilled_and_linked(writer, reviewer):
    source = make_source()
    contact = make_contact(source=source)
    advisory = make_advisory(
        source=source, author=writer, title="Press conference in Chișinău", event_date=date(2030, 3, 4),
        event_time=time(17, 30), time_zone="Europe/Chisinau", venue="Palatul Republicii",
    )
    advisory.contacts.add(contact)
    advisory.topics.add("Cooperation")
    ProgrammeEntry.objects.create(advisory=advisory, time=time(17, 30), description="Arrival of ministers")
    make_picture(advisory)
    live = publish(advisory, reviewer)

    french = translate(live, "fr", writer)

    assert (french.language, french.state, french.version) == ("fr", State.DRAFT, 1)
    assert french.document != live.document
    assert french.title == "Press conference in Chișinău"  # the source text, for the translator to overwrite
    assert (french.event_date, french.event_time, french.time_zone, french.venue) == (
        date(2030, 3, 4), time(17, 30), "Europe/Chisinau", "Palatul Republicii")
    assert list(french.contacts.all()) == [contact]
    assert list(french.topics.names()) == ["Cooperation"]
    assert [e.description for e in french.programme.all()] == ["Arrival of ministers"]
    assert french.pictures.count() == 1
    assert french.slug == f"{live.slug}-fr"
    assert [(row.language, edition.pk) for row, edition in translations_of(live)] == [("fr", french.pk)]
    assert [(row.language, edition.pk) for row, edition in translations_of(french)] == [("en", live.pk)]
    assert Transition.objects.filter(object_id=french.pk, action=Transition.TRANSLATE).exists()
    live.refresh_from_db()
    assert live.state == State.PUBLISHED  # the original is untouched


def test_one_translation_per_language_per_group(make_item, writer):
    item = make_item(author=writer)
    french = translate(item, "fr", writer)
    with pytest.raises(TransitionError, match="already has a translation"):
        translate(item, "fr", writer)
    with pytest.raises(TransitionError, match="already in"):
        translate(french, "fr", writer)
    with pytest.raises(TransitionError, match="does not publish"):
        translate(item, "de", writer)
    row = Translation.objects.get(document=french.document)
    with pytest.raises(IntegrityError), transaction.atomic():
        Translation.objects.create(content_type=row.content_type, document=make_item().document, group=row.group, language="fr")


def test_only_someone_who_may_write_items_translates(make_item, writer):
    item = make_item(author=writer)
    for user in (make_user(group="Press office"), make_user(is_staff=False)):
        if user.has_perm(f"releases.add_{item._meta.model_name}"):
            continue
        with pytest.raises(TransitionError, match="may not translate"):
            translate(item, "fr", user)
    assert not Translation.objects.exists()


@override_settings(NEWSROOM_LANGUAGES=[("en", "English")])
def test_with_one_language_nothing_can_be_translated(make_item, writer):
    with pytest.raises(TransitionError):
        translate(make_item(author=writer), "fr", writer)


def test_a_translation_s_language_is_fixed(make_item, writer):
    french = translate(make_item(author=writer), "fr", writer)
    french.language = "en"
    with pytest.raises(ValidationError):
        french.save()


# --- its own workflow ------------------------------------------------------------------------------

ROLES = ["author", "other_writer", "reviewer", "reviewer_of_original"]
# Who may take the French translation from in review to published: a reviewer who did not edit it,
# including one who approved the original (the translation is its own document, with its own four eyes).
MAY_APPROVE = {"reviewer", "reviewer_of_original"}


@pytest.mark.parametrize("role", ROLES + ["translator_reviewer"])
def test_four_eyes_apply_to_the_translation_on_its_own(make_item, role, writer, reviewer):
    """The role × approval matrix, for a translation: its own last editor may not approve it."""
    original = publish(make_item(author=writer), reviewer)
    translator = make_user(group="Reviewers") if role == "translator_reviewer" else writer
    french = translate(original, "fr", translator)
    french = edit(french, translator, title="Conférence de presse")
    french.submit(translator)
    actor = {
        "author": writer, "other_writer": make_user(group="Writers"), "reviewer": make_user(group="Reviewers"),
        "reviewer_of_original": reviewer, "translator_reviewer": translator,
    }[role]
    if role in MAY_APPROVE:
        french.approve(actor)
        french.refresh_from_db()
        assert french.state == State.PUBLISHED and french.is_public
    else:
        with pytest.raises(TransitionError):
            french.approve(actor)
        french.refresh_from_db()
        assert french.state == State.IN_REVIEW


def test_a_translation_is_published_independently(make_item, client, writer, reviewer, reviewer2):
    original = publish(make_item(author=writer), reviewer)
    french = edit(translate(original, "fr", writer), writer, title="Coopération renforcée")
    assert client.get(french.get_absolute_url()).status_code == 404  # a draft translation is not public
    assert client.get(original.get_absolute_url()).status_code == 200  # never held back by its translation
    french.submit(writer)
    french.approve(reviewer2)
    response = client.get(french.get_absolute_url())
    assert response.status_code == 200 and "Coopération renforcée" in response.content.decode()
    # Withdrawing the translation leaves the original as it was.
    french.withdraw(reviewer, "Traduction erronée.")
    original.refresh_from_db()
    assert original.state == State.PUBLISHED and client.get(original.get_absolute_url()).status_code == 200


# --- out of date ------------------------------------------------------------------------------


def translated_pair(make_item, writer, reviewer):
    original = publish(make_item(author=writer), reviewer)
    french = translate(original, "fr", writer)
    french.submit(writer)
    french.approve(reviewer)
    french.refresh_from_db()
    return original, french


def flag(french):
    return Translation.objects.get(document=french.document).original_changed


def test_a_major_change_of_the_original_flags_its_translations(make_item, writer, reviewer):
    original, french = translated_pair(make_item, writer, reviewer)
    assert not flag(french)
    republish(original, writer, reviewer, major=True, summary="New summary.")
    assert flag(french)
    row = Translation.objects.get(document=french.document)
    assert (row.original_as_followed().version, row.current_original().version) == (1, 2)


def test_a_minor_change_flags_nothing(make_item, writer, reviewer):
    original, french = translated_pair(make_item, writer, reviewer)
    republish(original, writer, reviewer, major=False, summary="Typo fixed.")
    assert not flag(french)


def test_a_change_of_the_translation_flags_nothing_upstream(make_item, writer, reviewer):
    original, french = translated_pair(make_item, writer, reviewer)
    republish(french, writer, reviewer, major=True, summary="Nouveau résumé.")
    assert not Translation.objects.filter(original_changed=True).exists()


def test_acknowledging_clears_the_flag_and_is_recorded(make_item, writer, reviewer):
    original, french = translated_pair(make_item, writer, reviewer)
    republish(original, writer, reviewer, major=True, summary="New summary.")
    with pytest.raises(TransitionError):
        acknowledge(french, make_user(is_staff=False))
    acknowledge(french, writer)
    assert not flag(french)
    assert Translation.objects.get(document=french.document).original_version == 2
    assert Transition.objects.filter(document=french.document, action=Transition.ACKNOWLEDGE, actor=writer).exists()
    with pytest.raises(TransitionError, match="Nothing to acknowledge"):
        acknowledge(french, writer)


def test_publishing_an_update_of_the_translation_clears_the_flag(make_item, writer, reviewer):
    original, french = translated_pair(make_item, writer, reviewer)
    republish(original, writer, reviewer, major=True, summary="New summary.")
    republish(french, writer, reviewer, major=True, summary="Nouveau résumé.")
    row = Translation.objects.get(document=french.document)
    assert (row.original_changed, row.original_version) == (False, 2)


# --- the admin ---------------------------------------------------------------------------------


def admin_url(item, name, *args):
    return reverse(f"admin:releases_{item._meta.model_name}_{name}", args=[item.pk, *args])


def test_the_admin_translates_by_post_with_csrf_and_checks_permission(make_item, writer):
    item = make_item(author=writer)
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(writer)
    assert csrf_client.post(admin_url(item, "translate"), {"language": "fr"}).status_code == 403  # no token
    press = Client()
    press.force_login(make_user(group="Press office"))
    assert press.post(admin_url(item, "translate"), {"language": "fr"}).status_code == 403
    client = Client()
    client.force_login(writer)
    assert client.get(admin_url(item, "translate")).status_code == 405
    assert not Translation.objects.exists()

    page = client.get(admin_url(item, "change")).content.decode()
    assert "Translate into Français" in page and 'id="id_language"' in page
    assert "Translated from" not in page  # an original (the admin's own context calls the item "original")

    response = client.post(admin_url(item, "translate"), {"language": "fr"})
    french = type(item).objects.get(language="fr")
    assert response.status_code == 302 and response["Location"] == admin_url(french, "change")
    page = client.get(admin_url(french, "change")).content.decode()
    assert "Translate into" not in page  # the group has every language now
    assert f'Translated from <a href="{admin_url(item, "change")}">' in page
    response = client.post(admin_url(item, "translate"), {"language": "fr"}, follow=True)
    assert "already has a translation" in response.content.decode()
    assert type(item).objects.filter(language="fr").count() == 1


def test_the_admin_flags_an_out_of_date_translation_with_a_diff_until_acknowledged(make_item, writer, reviewer):
    original, french = translated_pair(make_item, writer, reviewer)
    republish(original, writer, reviewer, major=True, summary="A summary rewritten at length.")
    client = Client()
    client.force_login(writer)
    draft = french.start_new_draft(writer)
    page = client.get(admin_url(draft, "change")).content.decode()
    assert "Original changed since this translation" in page
    diff_url = re.search(r'href="([^"]*compare/\?from=1&amp;to=2)"', page).group(1).replace("&amp;", "&")
    diff = client.get(diff_url)
    assert diff.status_code == 200 and "rewritten" in diff.content.decode()
    listing = client.get(reverse(f"admin:releases_{original._meta.model_name}_changelist")).content.decode()
    assert "original changed" in listing

    press = Client()
    press.force_login(make_user(group="Press office"))
    press.post(admin_url(draft, "acknowledge"))
    assert flag(french)
    client.post(admin_url(draft, "acknowledge"))
    assert not flag(french)
    assert "Original changed since this translation" not in client.get(admin_url(draft, "change")).content.decode()


def test_the_changelist_filters_by_language_and_shows_translations(make_item, writer):
    item = make_item(author=writer, title="Allied cooperation")
    translate(item, "fr", writer)
    type(item).objects.filter(language="fr").update(title="Coopération alliée")
    make_item(author=writer, title="Unrelated news")
    client = Client()
    client.force_login(writer)
    url = reverse(f"admin:releases_{item._meta.model_name}_changelist")
    french_only = client.get(url + "?language=fr").content.decode()
    assert "Coopération alliée" in french_only and "Allied cooperation" not in french_only
    assert "Unrelated news" not in french_only
    everything = client.get(url).content.decode()
    assert re.search(r'<ul class="nr-translations"><li><a [^>]*lang="fr">Français</a>: Draft</li></ul>', everything)


def test_the_translations_column_costs_the_same_for_2_or_6_translated_rows(make_item, writer):
    """Each row's translations are read for the whole changelist page, not one query per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(writer)
    model = type(make_item(author=writer))
    url = reverse(f"admin:releases_{model._meta.model_name}_changelist")

    def count():
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url).content.decode()
        return len(queries), page.count('class="nr-translations"')

    for _ in range(2):
        translate(make_item(author=writer), "fr", writer)
    before, shown = count()
    for _ in range(4):
        translate(make_item(author=writer), "fr", writer)
    after, shown_after = count()
    assert (shown, shown_after) == (4, 12) and after == before


@override_settings(NEWSROOM_LANGUAGES=[("en", "English")])
def test_with_one_language_the_admin_shows_nothing_of_languages(make_item, writer):
    item = make_item(author=writer)
    client = Client()
    client.force_login(writer)
    page = client.get(admin_url(item, "change")).content.decode()
    assert "Translate into" not in page and 'id="id_language"' not in page and "Written in" not in page
    listing = client.get(reverse(f"admin:releases_{item._meta.model_name}_changelist")).content.decode()
    assert "?language=" not in listing and "nr-translations" not in listing
    add = client.get(reverse(f"admin:releases_{item._meta.model_name}_add")).content.decode()
    assert 'id="id_language"' not in add


# --- search per language --------------------------------------------------------------------------

ENTRY_LINK = re.compile(r'class="entry-title"><a href="([^"]+)"')


def found(client, q, home="/"):
    """The search's results, from a home page: "/" (English, the default) or "/fr/"."""
    response = client.get(home, {"q": q})
    assert response.status_code == 200
    return ENTRY_LINK.findall(response.content.decode())


def test_a_french_search_finds_french_items_by_stemmed_and_unaccented_forms(client, writer, reviewer):
    """
    "coopérations" finds "coopération", "cooperation" (no accent) too. On PostgreSQL the
    French item is indexed with the French stemmer; on SQLite, FTS5's Porter stemmer is
    English for every language, and happens to fold this plural (see docs/translations.md).
    """
    french = publish(make_release(
        author=writer, language="fr", title="Renforcer la coopération avec la Moldavie",
        body="Les ministres ont signé un accord à Chișinău.",
    ), reviewer)
    publish(make_release(author=writer, title="Unrelated budget news"), reviewer)
    for q in ("coopérations", "cooperation", "COOPÉRATION", "Chisinau", "ministre"):
        assert found(client, q) == [french.get_absolute_url()], q


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="French stemming needs PostgreSQL's french stemmer")
def test_french_verb_forms_are_stemmed_on_postgresql(client, writer, reviewer):
    french = publish(make_release(author=writer, language="fr", title="Les alliés renforcent leur défense"), reviewer)
    english = publish(make_release(author=writer, title="Allies strengthen their defence"), reviewer)
    assert found(client, "renforcer") == [french.get_absolute_url()]  # "renforcent" → "renforc"
    assert found(client, "strengthening") == [english.get_absolute_url()]


def test_results_show_items_in_the_visitor_s_language_first(client, writer, reviewer):
    english = publish(make_release(author=writer, title="Cyber defence pledge", body="cyber " * 20), reviewer)
    french = publish(make_release(author=writer, language="fr", title="Engagement cyber"), reviewer)
    # The English item matches better (the word in its title and 20 times in its body) and comes first
    # for a visitor in English (the site's default); a French visitor sees the French item first.
    assert found(client, "cyber") == [english.get_absolute_url(), french.get_absolute_url()]
    # The visitor's language is the address's: the French home's search, from the same page cache
    # (kept by address, so the English results stored just now are never served for /fr/), French first.
    assert found(client, "cyber", home="/fr/") == [french.get_absolute_url(), english.get_absolute_url()]
    assert found(client, "cyber") == [english.get_absolute_url(), french.get_absolute_url()]  # and back, from cache


def test_a_draft_translation_is_never_found(client, writer, reviewer):
    original = publish(make_release(author=writer, title="Allied cooperation"), reviewer)
    french = translate(original, "fr", writer)
    edit(french, writer, title="Coopération alliée secrète")
    assert found(client, "secrète") == []
    french = Release.objects.get(pk=french.pk)
    french.submit(writer)
    assert found(client, "secrète") == []


# --- the desk ---------------------------------------------------------------------------------------


def desk_panels(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    html = response.content.decode()
    return html


def test_the_desk_shows_translations_in_the_works_and_out_of_date(make_item, writer, reviewer):
    original, french = translated_pair(make_item, writer, reviewer)
    german_free = make_item(author=writer, title="Second original")
    in_works = edit(translate(german_free, "fr", writer), writer, title="Deuxième traduction")
    client = Client()
    client.force_login(writer)
    html = desk_panels(client)
    assert "Translations being written or reviewed" in html and "Deuxième traduction" in html
    assert "Every translation follows its original." in html
    republish(original, writer, reviewer, major=True, summary="Changed.")
    html = desk_panels(client)
    outdated = html.split("Translations whose original changed", 1)[1].split("Translations being written", 1)[0]
    assert str(french) in outdated and "Deuxième traduction" not in outdated
    listing = client.get(
        reverse(f"admin:releases_{original._meta.model_name}_changelist") + "?desk=translations_out_of_date"
    ).content.decode()
    assert str(french) in listing and in_works.title not in listing


@override_settings(NEWSROOM_LANGUAGES=[("en", "English")])
def test_with_one_language_the_desk_has_no_translation_panels(writer):
    client = Client()
    client.force_login(writer)
    assert "Translating" not in desk_panels(client) and "Translations" not in desk_panels(client)


# --- import ---------------------------------------------------------------------------------------

FRENCH_DIGEST = "L’OTAN renforce sa coopération avec la Moldavie\n\nSource: NATO\n\nLes ministres se sont réunis à Chișinău.\n"


def run_import(*args):
    out = StringIO()
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as digest:
        digest.write(FRENCH_DIGEST)
    call_command("import_digest", digest.name, *args, stdout=out)
    return out.getvalue()


def test_import_digest_in_french_linked_to_its_original_by_address(writer, reviewer):
    original = publish(make_release(author=writer, source=make_source("NATO"), title="NATO deepens cooperation with Moldova"), reviewer)
    assert "1 created" in run_import("--language", "fr", "--translation-of", f"https://newsroom.example{original.get_absolute_url()}")
    french = Release.objects.get(language="fr")
    assert french.title == "L’OTAN renforce sa coopération avec la Moldavie" and french.state == State.IN_REVIEW
    assert [(row.language, edition.pk) for row, edition in translations_of(original)] == [("fr", french.pk)]
    assert Translation.objects.get(document=french.document).original_version == original.version


def test_import_links_to_an_original_by_its_french_address(writer, reviewer):
    """A French original's public address is /fr/releases/…: it names the original as well."""
    original = publish(make_release(author=writer, language="fr", title="L’OTAN et la Moldavie"), reviewer)
    assert original.get_absolute_url().startswith("/fr/releases/")
    run_import("--language", "en", "--translation-of", f"https://newsroom.example{original.get_absolute_url()}")
    assert Translation.objects.get(language="en").original == original.document


def test_import_links_by_id_and_by_original_url(writer):
    original = make_release(author=writer, original_url="https://www.nato.int/cps/en/natohq/news_1.htm")
    run_import("--language", "fr", "--translation-of", "https://www.nato.int/cps/en/natohq/news_1.htm")
    assert Translation.objects.get(language="fr").original == original.document
    other = make_release(author=writer)
    Release.objects.filter(language="fr").delete()
    Translation.objects.filter(language="fr").delete()
    run_import("--language", "fr", "--translation-of", str(other.pk))
    assert Translation.objects.get(language="fr").original == other.document


def test_import_refuses_a_bad_language_or_original_and_writes_nothing(writer):
    with pytest.raises(CommandError, match="not one of the newsroom's languages"):
        run_import("--language", "de")
    with pytest.raises(CommandError, match="no release has that address"):
        run_import("--language", "fr", "--translation-of", "/releases/no-such-thing/")
    english = make_release(author=writer)
    with pytest.raises(CommandError, match="same language"):
        run_import("--translation-of", str(english.pk))
    assert list(Release.objects.all()) == [english] and not Translation.objects.exists()


def test_import_without_a_language_is_in_the_default_language():
    run_import()
    assert Release.objects.get().language == "en"


# --- the public pages: only the language of what they show ------------------------------------------


def test_a_french_item_is_marked_as_french_on_its_page_and_in_lists(client, writer, reviewer):
    """
    A French item's page is French (``<html lang="fr">``, at /fr/…); an item shown on a page of the
    other language (search looks in every language) says its own language, for screen readers.
    """
    french = publish(make_release(author=writer, language="fr", title="Coopération alliée"), reviewer)
    english = publish(make_release(author=writer, title="Allied cooperation"), reviewer)
    page = client.get(french.get_absolute_url()).content.decode()
    assert '<html lang="fr">' in page and '<article class="item item--release">' in page
    page = client.get(english.get_absolute_url()).content.decode()
    assert '<html lang="en">' in page and '<article class="item item--release">' in page
    results = client.get(reverse("releases:home"), {"q": "alliée"}).content.decode()
    assert results.count('<article class="entry entry--release" lang="fr">') == 1
    results = client.get("/fr/", {"q": "allied"}).content.decode()
    assert results.count('<article class="entry entry--release" lang="en">') == 1


def test_a_draft_translation_appears_nowhere_public(client, writer, reviewer):
    original = publish(make_release(author=writer, title="Allied cooperation"), reviewer)
    french = edit(translate(original, "fr", writer), writer, title="Brouillon confidentiel")
    Release.objects.get(pk=french.pk).submit(writer)
    for url in (reverse("releases:home"), reverse("releases:feed-rss"), reverse("releases:sitemap"), french.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == (404 if url == french.get_absolute_url() else 200), url
        assert "Brouillon confidentiel" not in response.content.decode() and french.slug not in response.content.decode(), url
