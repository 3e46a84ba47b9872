"""
axe-core in the browser on the public pages and the admin change form.

axe comes from the npm registry (package.json, installed by `make test`) and is
injected into the page from node_modules: no CDN. Public pages must have no
serious or critical violation. The admin change form is Django's markup with
ours inside it: violations in what our templates add fail; Django's own are
printed for the record.
"""
import pytest
from playwright.sync_api import expect

from releases.models import Advisory, Contact, Release, Topic

from .conftest import DESKTOP, PHONE, describe, require_axe, run_axe, with_media_kit

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def axe_installed():
    require_axe()  # before the browser and the data are set up for nothing

BLOCKING = {"serious", "critical"}
#: What our admin templates add to Django's change form (templates/admin/releases/).
OUR_ADMIN_PARTS = (".nr-workflow", ".nr-history")


def blocking(violations):
    return [v for v in violations if v["impact"] in BLOCKING]


def test_public_pages_have_no_serious_accessibility_violations(visitor, demo_week, reviewer, settings):
    release = Release.objects.get(slug="nato-encourages-scientific-cooperation-with-moldova-at-nato-day-in-chisinau")
    release.contacts.set(Contact.objects.filter(name="NATO Press Office"))
    with_media_kit(release)
    settings.NEWSROOM_MEDIA_KIT_INLINE_BYTES = 0  # so the kit is "being prepared" by the worker
    withdrawn = Release.objects.get(slug="olympics-2024-security-topped-up")
    withdrawn.withdraw(reviewer, "Superseded by the Europol annual report.")
    advisory = Advisory.objects.get(slug="nato-secretary-general-meets-with-the-president-of-hungary")
    pages = {
        "home": "/",
        "home, filtered with a bad date": "/?source=nato&date_from=not-a-date",
        "search results, highlighted, with chips": "/?q=NATO+Moldova&source=nato",
        "search without results, with suggestions": "/?q=chisinu&kind=advisory",
        "release": release.get_absolute_url(),
        "withdrawn release": withdrawn.get_absolute_url(),
        "advisory": advisory.get_absolute_url(),
        "source": release.source.get_absolute_url(),
        "media events": "/events/",
        "media events, filtered with a bad month": "/events/?source=nato&month=2023-13",
        "media kit being prepared": release.media_kit_url,
        "topic": "/topics/cooperation-scientifique/",
        "empty topic": Topic.objects.create(name="Sécurité maritime").get_absolute_url(),
        "contacts": "/contacts/",
    }
    found = {}
    for name, url in pages.items():
        assert visitor.goto(url).status in (200, 202), name
        found[name] = blocking(run_axe(visitor))
    report = "\n".join(f"{name}:\n{describe(violations)}" for name, violations in found.items() if violations)
    assert not report, report
    # The pages added for press contacts and sharing: no violation of any impact.
    for url in ("/contacts/", release.get_absolute_url()):
        assert visitor.goto(url).ok
        violations = run_axe(visitor)
        assert not violations, describe(violations)


def test_admin_change_form_has_no_serious_violations_in_our_parts(person, demo_week, writer):
    release = Release.objects.get(slug="nato-encourages-scientific-cooperation-with-moldova-at-nato-day-in-chisinau")
    draft = release.start_new_draft(writer)
    page = person(writer)
    page.goto(f"/admin/releases/release/{draft.pk}/change/")
    expect(page.get_by_role("button", name="Submit for review")).to_be_visible()

    # Django's own markup: reported, not failed on (see the README's accessibility notes).
    everything = run_axe(page)
    print("axe on the admin change form, whole page:\n" + (describe(everything) or "no violations"))
    ours = blocking(run_axe(page, include=OUR_ADMIN_PARTS))
    assert not ours, describe(ours)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_events_page_has_no_violation_at_all(person, demo_week, viewport):
    """The media events page: not one axe violation, of any impact, at a desktop and a phone width."""
    page = person(viewport=viewport)
    assert page.goto("/events/").ok
    violations = run_axe(page)
    assert not violations, describe(violations)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_feeds_page_has_no_violation_at_all(person, demo_week, viewport):
    """The feeds page (where "Follow … in a feed reader" leads): not one axe violation, of any impact."""
    page = person(viewport=viewport)
    assert page.goto("/feeds/").status == 200
    expect(page.get_by_role("heading", name="Follow the newsroom in a feed reader")).to_be_visible()
    violations = run_axe(page)
    assert not violations, describe(violations)
