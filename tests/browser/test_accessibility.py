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

from releases.models import Advisory, Contact, Release

from .conftest import describe, require_axe, run_axe

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def axe_installed():
    require_axe()  # before the browser and the data are set up for nothing

BLOCKING = {"serious", "critical"}
#: What our admin templates add to Django's change form (templates/admin/releases/).
OUR_ADMIN_PARTS = (".nr-workflow", ".nr-history")


def blocking(violations):
    return [v for v in violations if v["impact"] in BLOCKING]


def test_public_pages_have_no_serious_accessibility_violations(visitor, demo_week, reviewer):
    release = Release.objects.get(slug="nato-encourages-scientific-cooperation-with-moldova-at-nato-day-in-chisinau")
    release.contacts.set(Contact.objects.filter(name="NATO Press Office"))
    withdrawn = Release.objects.get(slug="olympics-2024-security-topped-up")
    withdrawn.withdraw(reviewer, "Superseded by the Europol annual report.")
    advisory = Advisory.objects.get(slug="nato-secretary-general-meets-with-the-president-of-hungary")
    pages = {
        "home": "/",
        "home, filtered with a bad date": "/?source=nato&date_from=not-a-date",
        "release": release.get_absolute_url(),
        "withdrawn release": withdrawn.get_absolute_url(),
        "advisory": advisory.get_absolute_url(),
        "source": release.source.get_absolute_url(),
        "contacts": "/contacts/",
    }
    found = {}
    for name, url in pages.items():
        assert visitor.goto(url).ok, name
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
