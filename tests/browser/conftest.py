"""
Browser tests: Playwright for Python driving Debian's Chromium against pytest-django's live server.

The browser is Debian's package (``apt-get install chromium``), not Playwright's
own download, which this project's machines can't fetch. Where it is missing a
developer's run skips these tests and says how to install it; CI (``CI`` set)
fails instead, because a skipped browser suite there would hide regressions.

Each person in a journey gets their own browser context (their own cookies), as
if writer, reviewer and visitor sat at different machines.
"""
import os
from datetime import datetime
from datetime import timezone as dt_timezone
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from playwright.sync_api import expect, sync_playwright

from releases.demo.topics import load_topics
from releases.importers import import_digest
from releases.management.commands.load_demo import CONTACTS, DIGEST, SOURCES
from releases.models import Contact, Source

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
#: Where pages load axe from: intercepted by the browser and answered from node_modules, never the network.
AXE_URL = "/__test__/axe.min.js"
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
#: Every user made by the factories has this password; people type it into the login form.
PASSWORD = "pw"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

# A failed expectation waits this long (ms) before failing; the live server answers in well under that.
expect.set_options(timeout=10_000)


def missing(message):
    """Skip on a developer's machine, fail in CI: the browser suite must run there."""
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="package")
def browser():
    if not os.path.exists(CHROMIUM):
        missing(f"Chromium ({CHROMIUM}) is missing, so the browser tests can't run: "
                "apt-get install chromium (or set CHROMIUM_PATH)")
    # Playwright's sync API keeps an asyncio loop running on this thread, which Django's
    # async-safety check mistakes for async code calling the ORM. The test thread is plain
    # synchronous code, so lift the check for the browser tests only.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def person(browser, live_server):
    """
    ``person(user=None, viewport=DESKTOP)``: a page in a fresh browser context,
    logged in through the admin login form when a user is given.
    """
    contexts = []

    def open_as(user=None, viewport=DESKTOP):
        context = browser.new_context(viewport=viewport, base_url=live_server.url, locale="en-GB")
        context.set_default_timeout(10_000)  # a missing button fails in seconds, not Playwright's 30
        contexts.append(context)
        page = context.new_page()
        if user is not None:
            log_in(page, user)
        return page

    yield open_as
    for context in contexts:
        # An open change form's heartbeat must not reach the live server while the test database
        # is being emptied after the test: stop it in the browser before closing.
        context.route("**/presence/", lambda route: route.abort())
        context.close()


@pytest.fixture
def demo_week():
    """
    The seed digest, published, as the newsroom looked in the week it was sent
    (6 November 2023, when the Hungary advisory was still ahead): real content
    for the screenshots and the accessibility checks. The server's clock stays
    in that week, running, until the test ends.
    """
    with time_machine.travel(datetime(2023, 11, 6, 9, 0, tzinfo=dt_timezone.utc), tick=True):
        import_digest(DIGEST, publish=True)
        for name, details in SOURCES.items():
            Source.objects.filter(name=name).update(**details)
        for details in CONTACTS:
            fields = {key: value for key, value in details.items() if key not in ("source", "name")}
            Contact.objects.update_or_create(
                source=Source.objects.get(name=details["source"]), name=details["name"], defaults=fields,
            )
        load_topics()
        yield


@pytest.fixture
def visitor(person):
    """An anonymous member of the public (or a journalist) on the public pages."""
    return person()


def log_in(page, user, password=PASSWORD):
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()


def open_in_admin(page, title, model="release"):
    """Find an item the way an editor does: the admin list of its model, then its title."""
    page.goto(f"/admin/releases/{model}/")
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.locator(".nr-workflow")).to_be_visible()


def click_transition(page, label, comment=None, publish_at=None, change=None, note=None):
    """
    Press one of the Workflow panel's buttons, filling its own inputs first. (On a
    draft, a move's button and comment belong to the edit form, which it saves first.)
    ``publish_at`` is a datetime, typed as its date and 24-hour time in the newsroom's zone.
    """
    form = page.locator(".nr-action").filter(has=page.get_by_role("button", name=label, exact=True))
    if comment is not None:
        form.locator("textarea").fill(comment)
    if publish_at is not None:
        from releases.localtime import local

        form.locator("input[name=publish_date]").fill(f"{local(publish_at):%Y-%m-%d}")
        form.locator("input[name=publish_time]").fill(f"{local(publish_at):%H:%M}")
    if change is not None:  # an approval that replaces what readers have seen: "major" or "minor"
        form.locator(f"input[name=change][value={change}]").check()
    if note is not None:
        form.locator("input[name=note]").fill(note)
    form.get_by_role("button", name=label, exact=True).click()


def assert_visible_in_viewport(locator):
    """Present is not enough: the element must have a size and lie (at least partly) on the screen, within its width."""
    expect(locator).to_be_visible()
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    viewport = locator.page.viewport_size
    assert box and box["width"] > 0 and box["height"] > 0, box
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1, (box, viewport)
    assert box["y"] < viewport["height"] and box["y"] + box["height"] > 0, (box, viewport)


def pick_autocomplete(page, field, search, option):
    """Drive a select2 autocomplete as a person does: open it, type, pick the suggestion."""
    page.locator(f".field-{field} .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(search)
    page.locator(".select2-results__option", has_text=option).click()


def require_axe():
    if not AXE.exists():
        missing("axe-core (node_modules/axe-core) is missing, so the accessibility tests can't run: "
                "install Node.js and npm, then run `npm ci` (make test does)")


def run_axe(page, include=None):
    """
    Run axe-core (from node_modules, injected into the page) on the page, or only
    on the parts that match the ``include`` CSS selectors, and return its violations.
    """
    require_axe()
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Served from the page's own origin, so the site's Content-Security-Policy
        # (script-src 'self') lets it run without being loosened for the test.
        page.unroute(f"**{AXE_URL}")
        page.route(f"**{AXE_URL}", lambda route: route.fulfill(path=AXE, content_type="text/javascript"))
        page.add_script_tag(url=AXE_URL)
    context = {"include": [[selector] for selector in include]} if include else None
    return page.evaluate("async (context) => (await axe.run(context || document)).violations", context)


def describe(violations):
    """A readable list of axe violations for an assertion message."""
    lines = []
    for violation in violations:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} — {targets}")
    return "\n".join(lines)


def with_media_kit(item):
    """Two media-kit documents on ``item``: a PDF and a French text."""
    from tests.factories import make_document

    make_document(item, title="Fact sheet: NATO Day in Chișinău", name="Fact sheet – Chișinău.pdf")
    make_document(item, title="Communiqué", name="communique.txt", content="Communiqué de presse.".encode(),
                  language="fr", position=1)
