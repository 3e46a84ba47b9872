"""
The newsroom as people use it, in a real browser: each test is one journey,
every step through the pages a writer, a reviewer or a visitor would use.

Factories only set the scene a journey starts from (a source, a contact, a
release someone wrote yesterday); what the journey is about happens in the UI.
"""
import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from releases.models import Advisory, Release
from releases.workflow import State

from ..factories import make_contact, make_release, make_source, publish
from .conftest import click_transition, open_in_admin, pick_autocomplete

pytestmark = pytest.mark.browser

#: The body as a press officer's document holds it, pasted into the rich-text editor.
BODY = (
    "<p>NATO Allies agreed three steps to protect undersea cables.</p>"
    "<ul><li>A coordination cell at NATO Maritime Command</li><li>More patrols in the Baltic Sea</li>"
    "<li>Shared sensor data with industry</li></ul>"
    "<blockquote><p>“Our societies depend on these cables,” said the Secretary General.</p></blockquote>"
)


def write_body(page, html):
    """Replace the body the way a press officer does: select all in the editor and paste."""
    editor = page.locator('[contenteditable="true"][aria-label="Body"]')  # there once the editor has started
    editor.click()
    page.keyboard.press("ControlOrMeta+A")
    editor.evaluate(
        """(element, html) => {
            const data = new DataTransfer();
            data.setData("text/html", html);
            element.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
        }""",
        html,
    )


@pytest.fixture
def nato():
    source = make_source("NATO", slug="nato", website="https://www.nato.int")
    make_contact(
        source=source, name="NATO Press Office", role="Press and Media",
        email="press@hq.nato.int", phone="+32 2 707 50 41",
    )
    return source


def photo(width=1200, height=800):
    """A JPEG as a camera would give one: a gradient, so it isn't one flat colour."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def public_date(moment):
    """A date as the public pages print it ("8 November 2023"), in the server's zone."""
    local = timezone.localtime(moment)
    return f"{local.day} {local:%B %Y}"


def test_writer_writes_a_release_and_submits_it_for_review(person, visitor, writer, nato):
    page = person(writer)
    page.get_by_role("link", name="Releases").first.click()
    page.get_by_role("link", name="Add release").click()

    page.get_by_label("Source").select_option(label="NATO")
    page.locator("#id_title").fill("Allies agree to protect undersea cables")
    page.get_by_label("Summary").click()  # leaving the title is when the admin fills in the address
    expect(page.get_by_label("Slug")).to_have_value("allies-agree-to-protect-undersea-cables")
    page.get_by_label("Summary").fill("Three steps to protect the cables on the seabed of the North Atlantic.")
    write_body(page, BODY)
    pick_autocomplete(page, "contacts", "Press", "NATO Press Office")
    page.get_by_role("button", name="Add another Picture").click()
    page.locator("[name=pictures-0-image]").set_input_files(
        files=[{"name": "cable-ship.jpg", "mimeType": "image/jpeg", "buffer": photo()}]
    )
    page.locator("[name=pictures-0-alt_text]").fill("A cable-laying ship in the Baltic Sea")
    page.locator("[name=pictures-0-credit]").fill("© NATO")
    page.locator("[name=pictures-0-is_lead]").check()
    page.get_by_role("button", name="Save and continue editing").click()

    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    click_transition(page, "Submit for review", comment="Ready for a second pair of eyes.")
    expect(page.locator(".messagelist")).to_contain_text("is now in review")
    expect(page.locator(".nr-workflow")).to_contain_text("In review")

    release = Release.objects.get()
    assert (release.state, release.created_by, release.last_edited_by) == (State.IN_REVIEW, writer, writer)
    assert [c.name for c in release.contacts.all()] == ["NATO Press Office"]
    assert "<li>More patrols in the Baltic Sea</li>" in release.body_html and "<blockquote>" in release.body_html
    picture = release.pictures.get()
    assert (picture.alt_text, picture.is_lead, picture.width, picture.height) == (
        "A cable-laying ship in the Baltic Sea", True, 1200, 800,
    )

    visitor.goto("/")
    expect(visitor.get_by_role("heading", name="Latest from the press offices")).to_be_visible()
    expect(visitor.get_by_text("Allies agree to protect undersea cables")).to_have_count(0)
    assert visitor.goto("/releases/allies-agree-to-protect-undersea-cables/").status == 404
    assert visitor.goto(picture.original_url).status == 404  # nor its picture, by its address


def test_reviewer_returns_the_release_then_publishes_it_and_the_public_finds_it(person, visitor, writer, reviewer, nato):
    release = make_release(
        source=nato, author=writer, title="Allies agree to protect undersea cables",
        slug="allies-agree-to-protect-undersea-cables", summary="Three steps to protect the cables.", body=BODY,
    )
    release.contacts.set(nato.contacts.all())
    release.submit(writer)
    publish(make_release(source=make_source("Europol", slug="europol"), title="Operation Mobile 6 stops car thieves"))

    # The reviewer finds it waiting and sends it back.
    review = person(reviewer)
    review.get_by_role("link", name="Waiting for my review").click()
    review.get_by_role("link", name="Allies agree to protect undersea cables").click()
    click_transition(review, "Return to draft", comment="Please say when the coordination cell opens.")
    expect(review.locator(".messagelist")).to_contain_text("is now draft")

    # The writer reads why, edits and sends it back.
    page = person(writer)
    open_in_admin(page, "Allies agree to protect undersea cables")
    expect(page.locator(".nr-returned")).to_contain_text("Please say when the coordination cell opens.")
    expect(page.locator(".nr-conversation")).to_contain_text("Please say when the coordination cell opens.")
    write_body(page, BODY + "<p>The coordination cell opens on 1 December 2023.</p>")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    click_transition(page, "Submit for review")
    expect(page.locator(".messagelist")).to_contain_text("is now in review")

    # The reviewer approves it, to be published now.
    review.goto("/admin/")
    review.get_by_role("link", name="Waiting for my review").click()
    review.get_by_role("link", name="Allies agree to protect undersea cables").click()
    click_transition(review, "Approve and publish")
    expect(review.locator(".messagelist")).to_contain_text("is now published")

    # A journalist finds it among the latest, narrows the list to NATO and opens it.
    visitor.goto("/")
    expect(visitor.get_by_role("link", name="Allies agree to protect undersea cables")).to_be_visible()
    expect(visitor.get_by_role("link", name="Operation Mobile 6 stops car thieves")).to_be_visible()
    visitor.get_by_label("Source").select_option(label="NATO")
    visitor.get_by_role("button", name="Show").click()
    expect(visitor).to_have_url(re.compile(r"[?&]source=nato\b"))
    expect(visitor.get_by_role("link", name="Operation Mobile 6 stops car thieves")).to_have_count(0)
    visitor.get_by_role("link", name="Allies agree to protect undersea cables").click()

    release.refresh_from_db()
    article = visitor.locator("article")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Allies agree to protect undersea cables")
    expect(article.locator(".body li")).to_have_text([
        "A coordination cell at NATO Maritime Command", "More patrols in the Baltic Sea", "Shared sensor data with industry",
    ])
    expect(article.locator(".body blockquote")).to_contain_text("Our societies depend on these cables")
    expect(article).to_contain_text("The coordination cell opens on 1 December 2023.")
    expect(article.locator(".contacts")).to_contain_text("NATO Press Office")
    expect(article.locator(".contacts")).to_contain_text("press@hq.nato.int")
    expect(article.locator(".page-header time")).to_have_text(public_date(release.published_at))


def test_an_edit_of_a_published_release_stays_private_until_approved(person, visitor, writer, reviewer, nato):
    release = make_release(
        source=nato, author=writer, title="Allies agree to protect undersea cables",
        slug="undersea-cables", body=BODY,
    )
    publish(release, reviewer=reviewer)

    page = person(writer)
    open_in_admin(page, "Allies agree to protect undersea cables")
    expect(page.get_by_role("textbox", name="Body")).to_have_count(0)  # the published version is read-only
    click_transition(page, "Start a new draft")
    expect(page.locator(".nr-workflow")).to_contain_text("version 2")
    write_body(page, BODY.replace("three steps", "four steps") + "<ul><li>A cable repair fleet</li></ul>")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    click_transition(page, "Submit for review")
    expect(page.locator(".messagelist")).to_contain_text("is now in review")

    visitor.goto("/releases/undersea-cables/")
    expect(visitor.locator("article .body")).to_contain_text("NATO Allies agreed three steps")
    expect(visitor.get_by_text("A cable repair fleet")).to_have_count(0)

    review = person(reviewer)
    review.get_by_role("link", name="Waiting for my review").click()
    review.get_by_role("link", name="Allies agree to protect undersea cables").click()
    expect(review.locator(".nr-workflow")).to_contain_text("version 2")
    click_transition(review, "Approve and publish", change="major", note="Added a fourth step: a cable repair fleet.")
    expect(review.locator(".messagelist")).to_contain_text("is now published")

    visitor.reload()
    expect(visitor.locator("article .body")).to_contain_text("NATO Allies agreed four steps")
    expect(visitor.locator("article .body li").last).to_have_text("A cable repair fleet")
    expect(visitor.locator("article .updates")).to_contain_text("Added a fourth step: a cable repair fleet.")
    # Same address, same original date: an edit doesn't make it news again.
    expect(visitor.locator(".page-header time")).to_have_text(public_date(release.published_at))


def test_a_scheduled_advisory_appears_at_its_time(person, visitor, writer, reviewer, nato):
    # Start on a whole minute so that "one minute ahead" in a minute-precise field is a full minute away.
    start = (timezone.now() + timedelta(minutes=1)).replace(second=0, microsecond=0)
    with time_machine.travel(start, tick=True) as clock:
        page = person(writer)
        page.goto("/admin/releases/advisory/add/")
        page.get_by_label("Source").select_option(label="NATO")
        page.locator("#id_title").fill("Secretary General meets the President of Hungary")
        page.get_by_label("Summary").click()
        page.get_by_label("Summary").fill("Joint press conference after the meeting.")
        page.get_by_label("Event date").fill("08/11/2030")
        page.get_by_label("Event time").fill("17:30")
        page.get_by_label("Venue").fill("NATO Headquarters")
        page.get_by_label("City").fill("Brussels")
        page.locator("[name=programme-0-time]").fill("17:30")
        page.locator("[name=programme-0-description]").fill("Joint press conference")
        pick_autocomplete(page, "contacts", "NATO", "NATO Press Office")
        page.get_by_role("button", name="Save and continue editing").click()
        expect(page.locator(".messagelist")).to_contain_text("was added successfully")
        click_transition(page, "Submit for review")
        expect(page.locator(".messagelist")).to_contain_text("is now in review")

        publish_at = timezone.localtime(start + timedelta(minutes=1))
        review = person(reviewer)
        open_in_admin(review, "Secretary General meets the President of Hungary", model="advisory")
        click_transition(review, "Approve and publish", publish_at=publish_at)
        expect(review.locator(".messagelist")).to_contain_text("is now scheduled")
        expect(review.locator(".nr-workflow")).to_contain_text("Goes public on")

        advisory = Advisory.objects.get()
        assert advisory.published_at == publish_at

        visitor.goto("/")
        expect(visitor.get_by_role("link", name="Secretary General meets the President of Hungary")).to_have_count(0)
        assert visitor.goto(advisory.get_absolute_url()).status == 404

        clock.shift(timedelta(minutes=1))

        visitor.goto("/")
        expect(visitor.locator(".upcoming")).to_contain_text("Secretary General meets the President of Hungary")
        visitor.locator(".latest").get_by_role("link", name="Secretary General meets the President of Hungary").click()
        expect(visitor.locator(".event-facts")).to_contain_text("Friday 8 November 2030, 17:30")
        expect(visitor.locator(".event-facts")).to_contain_text("NATO Headquarters, Brussels")
        expect(visitor.locator(".programme")).to_contain_text("Joint press conference")
        expect(visitor.locator(".contacts")).to_contain_text("NATO Press Office")


def test_a_withdrawn_release_shows_the_notice_not_the_text(person, visitor, writer, reviewer, nato):
    release = publish(make_release(
        source=nato, author=writer, title="Allies agree to protect undersea cables", slug="undersea-cables", body=BODY,
    ))
    visitor.goto("/releases/undersea-cables/")
    expect(visitor.locator("article .body")).to_contain_text("three steps")

    review = person(reviewer)
    open_in_admin(review, "Allies agree to protect undersea cables")
    click_transition(review, "Withdraw", comment="Issued in error: the meeting has been postponed.")
    expect(review.locator(".messagelist")).to_contain_text("is now withdrawn")

    visitor.reload()
    notice = visitor.get_by_role("alert")
    expect(notice).to_contain_text("This press release has been withdrawn")
    expect(notice).to_contain_text("Issued in error: the meeting has been postponed.")
    expect(visitor.get_by_text("three steps")).to_have_count(0)
    expect(visitor.locator(".contacts")).to_have_count(0)
    visitor.goto("/")
    expect(visitor.get_by_role("link", name="Allies agree to protect undersea cables")).to_have_count(0)
    release.refresh_from_db()
    assert release.state == State.WITHDRAWN


def forge_transition_post(page, item, action):
    """What someone with the browser's developer tools could do: post a transition form the page doesn't offer."""
    url = f"/admin/releases/{item._meta.model_name}/{item.pk}/transition/{action}/"
    with page.expect_navigation():
        page.evaluate(
            """(url) => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = url;
                const token = document.createElement("input");
                token.name = "csrfmiddlewaretoken";
                token.value = document.querySelector("input[name=csrfmiddlewaretoken]").value;
                form.append(token);
                document.body.append(form);
                form.submit();
            }""",
            url,
        )


def test_a_writer_cannot_approve_their_own_release(person, visitor, writer, nato):
    release = make_release(source=nato, author=writer, title="Allies agree to protect undersea cables")

    page = person(writer)
    open_in_admin(page, "Allies agree to protect undersea cables")
    click_transition(page, "Submit for review")
    expect(page.locator(".messagelist")).to_contain_text("is now in review")
    expect(page.get_by_role("button", name="Approve and publish")).to_have_count(0)
    # The only move left to the writer is taking the submission back.
    expect(page.locator(".nr-workflow .nr-action button")).to_have_text(["Recall to draft"])

    forge_transition_post(page, release, "approve")
    expect(page.locator(".messagelist .error")).to_contain_text("You may not approve")
    release.refresh_from_db()
    assert release.state == State.IN_REVIEW and release.published_at is None
    visitor.goto("/")
    expect(visitor.get_by_role("link", name="Allies agree to protect undersea cables")).to_have_count(0)


def test_a_reviewer_cannot_approve_what_they_wrote(person, reviewer, nato):
    """The four-eyes rule holds for reviewers too: whoever edited last can't be the one who approves."""
    release = make_release(source=nato, author=reviewer, title="Allies agree to protect undersea cables")

    page = person(reviewer)
    open_in_admin(page, "Allies agree to protect undersea cables")
    click_transition(page, "Submit for review")
    expect(page.locator(".nr-workflow")).to_contain_text("another reviewer must approve it")
    expect(page.get_by_role("button", name="Approve and publish")).to_have_count(0)
    page.get_by_role("link", name="Home").first.click()
    page.get_by_role("link", name="Waiting for my review").click()
    expect(page.get_by_text("Nothing is waiting for you.").first).to_be_visible()

    forge_transition_post(page, release, "approve")
    expect(page.locator(".messagelist .error")).to_contain_text("another reviewer must approve it")
    release.refresh_from_db()
    assert release.state == State.IN_REVIEW
