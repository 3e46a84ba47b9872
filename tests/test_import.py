"""Importing a press digest: the seed digest, what each item becomes, and refusing malformed files."""
import html
import io
import re
from datetime import date, datetime, time, timezone as dt_timezone
from pathlib import Path

import feedparser
import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.urls import reverse

from releases.importers import DigestError, import_digest
from releases.models import Advisory, Contact, Release, Source, Transition
from releases.workflow import Publishable, State

from .factories import make_release, make_source

SEED = Path(__file__).resolve().parents[1] / "releases" / "demo" / "digest.txt"
HUNGARY = "nato-secretary-general-meets-with-the-president-of-hungary"
NORDIC_COUNCIL = "nato-secretary-general-attends-the-nordic-council"
NORDIC_COOPERATION = "nato-secretary-general-nordic-cooperation-demonstrates-that-peace-is-always-possible"
EUROPOL_TEASERS = [
    "Operation Mobile 6 puts the brakes on car thieves",
    "Olympics 2024 security topped up",
    "Shaping an international response against the criminal misuse of cryptocurrencies",
    "Unleashing tech in the fight against intellectual property crime",
]
#: Release titles in the digest's order (newest first).
SEED_RELEASES = [
    "Operation Mobile 6 puts the brakes on car thieves",
    "NATO Secretary General: Nordic cooperation demonstrates that peace is always possible",
    "Olympics 2024 security topped up",
    "Shaping an international response against the criminal misuse of cryptocurrencies",
    "NATO encourages scientific cooperation with Moldova at NATO Day in Chișinău",
    "NATO Military Committee visits Allied Air Command Headquarters",
    "Unleashing tech in the fight against intellectual property crime",
    "Secretary General welcomes Prime Minister of Cabo Verde to NATO Headquarters",
]


def run_import(path, *options):
    """Run the management command as an operator would, returning what it printed."""
    out = io.StringIO()
    call_command("import_digest", str(path), *options, stdout=out)
    return out.getvalue()


def row_counts():
    return {model.__name__: model.objects.count() for model in (Release, Advisory, Source, Contact, Transition)}


@pytest.fixture
def seed():
    """The seed digest imported once, as it arrives from the press office (to review)."""
    return import_digest(SEED)


# --- the seed digest ------------------------------------------------------------

def test_seed_imports_ten_items(seed):
    """Ten items: six from NATO and four from Europol; eight releases and two advisories."""
    assert len(seed.created) == 10 and seed.existing == []
    assert Release.objects.count() == 8
    assert Advisory.objects.count() == 2
    nato, europol = Source.objects.get(name="NATO"), Source.objects.get(name="Europol")
    assert nato.releases.count() + nato.advisories.count() == 6
    assert europol.releases.count() + europol.advisories.count() == 4


def test_imported_items_wait_in_review(seed):
    """Nothing reaches the public until a reviewer approves it."""
    assert set(Release.objects.values_list("state", flat=True)) == {State.IN_REVIEW}
    assert set(Advisory.objects.values_list("state", flat=True)) == {State.IN_REVIEW}
    assert not Release.objects.published().exists()
    assert not Advisory.objects.published().exists()


def test_publish_option_publishes_everything():
    """With publish=True (archive migration) every item is public at once."""
    import_digest(SEED, publish=True)

    assert Release.objects.published().count() == 8
    assert Advisory.objects.published().count() == 2


def test_published_items_keep_the_digest_order():
    """The digest lists newest first, and so do the public lists after a published import."""
    import_digest(SEED, publish=True)

    assert list(Release.objects.published().values_list("title", flat=True)) == SEED_RELEASES


def test_every_import_transition_is_recorded_without_actor(seed):
    """The audit trail shows each item's move into review, made by the import rather than a person."""
    transitions = Transition.objects.all()

    assert transitions.count() == 10
    assert {(t.actor_id, t.from_state, t.to_state) for t in transitions} == {(None, State.DRAFT, State.IN_REVIEW)}
    assert {t.comment for t in transitions} == {"Imported from digest.txt"}


def test_imported_items_have_no_author(seed):
    """The import is not a person: no created_by, so any reviewer may approve."""
    assert not Release.objects.filter(created_by__isnull=False).exists()
    assert not Advisory.objects.filter(created_by__isnull=False).exists()


# --- importing twice ----------------------------------------------------------

def test_second_import_creates_nothing(seed):
    """Items already present, in whatever state, are skipped and reported."""
    again = import_digest(SEED)

    assert again.created == []
    assert len(again.existing) == 10
    assert Release.objects.count() + Advisory.objects.count() == 10
    assert Transition.objects.count() == 10


def test_command_prints_the_summary():
    """The command says how many items it created and how many were already there."""
    assert run_import(SEED).strip() == "10 created, 0 already present."
    assert run_import(SEED).strip() == "0 created, 10 already present."


def test_command_publish_option_publishes():
    """`--publish` is the command's way to publish at once."""
    run_import(SEED, "--publish")

    assert Release.objects.published().count() == 8


def test_item_from_another_source_with_the_same_title_gets_a_numbered_address(seed):
    """Addresses are unique: another source's release with the same title becomes "...-2", once."""
    digest = "Olympics 2024 security topped up\n\nSource: Interpol\n\nInterpol's own story.\n"

    import_digest(digest)
    again = import_digest(digest)

    interpol = Release.objects.get(source__name="Interpol")
    assert interpol.slug == "olympics-2024-security-topped-up-2"
    assert again.existing == [interpol]


def test_known_source_is_reused_whatever_its_case():
    """"Source: nato" is the NATO already in the newsroom, not a new source."""
    nato = make_source("NATO", slug="nato")

    import_digest("A title\n\nSource: nato\n\nA paragraph.\n")

    assert Source.objects.count() == 1
    assert Release.objects.get().source == nato


def test_unknown_source_is_created():
    """A new source gets its name as written and an address from it."""
    import_digest("A title\n\nSource: Frontex Press Office\n\nA paragraph.\n")

    assert Source.objects.get().slug == "frontex-press-office"


# --- what the items contain ---------------------------------------------------

def test_hungary_advisory_event_details(seed):
    """Date, time and zone come from the text and programme; the start is 17:30 CET, 16:30 UTC."""
    advisory = Advisory.objects.get(slug=HUNGARY)

    assert advisory.event_date == date(2023, 11, 8)
    assert advisory.event_time == time(17, 30)
    assert advisory.time_zone == "Europe/Brussels"
    assert f"{advisory.local_start:%H:%M} {advisory.local_start.tzname()}" == "17:30 CET"
    assert advisory.starts_at == datetime(2023, 11, 8, 16, 30, tzinfo=dt_timezone.utc)


def test_hungary_advisory_place_is_what_the_text_states(seed):
    """The venue is named; the city and country are not, so they stay empty rather than guessed."""
    advisory = Advisory.objects.get(slug=HUNGARY)

    assert (advisory.venue, advisory.city, advisory.country) == ("NATO Headquarters", "", "")


def test_hungary_advisory_programme(seed):
    """The timed line becomes the one programme entry."""
    entries = list(Advisory.objects.get(slug=HUNGARY).programme.values_list("time", "description"))

    assert entries == [(time(17, 30), "Press conference by the NATO Secretary General and the President of Hungary")]


def test_hungary_advisory_media_coverage(seed):
    """Each coverage bullet fills its field, word for word, without the bullet."""
    advisory = Advisory.objects.get(slug=HUNGARY)

    assert advisory.accreditation == (
        "Media representatives who have annual accreditation to NATO for 2023 "
        "can cover the press conference in person."
    )
    assert advisory.live_stream == "The press statements will be live-streamed on the NATO website."
    assert advisory.video_download == (
        "The video will be available for free download from the NATO Multimedia Portal after the event."
    )
    assert advisory.transcript == (
        "A transcript of the Secretary General’s remarks, as well as pictures taken by NATO photographers, "
        "will be available on the NATO website."
    )


def test_hungary_advisory_text_leaves_out_the_data_lines(seed):
    """Summary and body are the announcement; headings, programme, coverage and links are stored elsewhere."""
    advisory = Advisory.objects.get(slug=HUNGARY)

    assert advisory.summary.startswith("On Wednesday 8 November 2023, the NATO Secretary General")
    assert advisory.body == f"<p>{advisory.summary}</p>"
    for left_out in ("Media advisory", "17:30", "Media coverage", "•", "For more information", "Follow us"):
        assert left_out not in advisory.body


def test_press_office_contact_is_attached(seed):
    """"Contact the NATO Press Office" attaches NATO's public press office contact."""
    advisory = Advisory.objects.get(slug=HUNGARY)

    contact = advisory.contacts.get()
    assert (contact.name, contact.kind, contact.source.name, contact.is_public) == (
        "NATO Press Office", Contact.Kind.OFFICE, "NATO", True,
    )


def test_existing_contact_is_reused():
    """The press office already in the newsroom is attached, not duplicated."""
    nato = make_source("NATO", slug="nato")
    office = Contact.objects.create(source=nato, name="NATO Press Office", kind=Contact.Kind.OFFICE)

    import_digest(SEED)

    assert Contact.objects.count() == 1
    assert list(Advisory.objects.get(slug=HUNGARY).contacts.all()) == [office]


def test_nordic_council_advisory(seed):
    """Date with an ordinal, city and country as stated, the city's zone, and no time."""
    advisory = Advisory.objects.get(slug=NORDIC_COUNCIL)

    assert advisory.event_date == date(2023, 10, 31)
    assert advisory.event_time is None
    assert (advisory.venue, advisory.city, advisory.country) == ("", "Oslo", "Norway")
    assert advisory.time_zone == "Europe/Oslo"


def test_advisory_without_a_time_is_flagged_to_editors(seed):
    """No time was stated, so none is invented and the admin shows it as missing."""
    advisory = Advisory.objects.get(slug=NORDIC_COUNCIL)

    assert "event time not stated" in [str(note) for note in advisory.missing_details]


def test_advisory_links_the_release_about_its_event(seed):
    """The Nordic Council advisory's follow-up is the release reporting the speech in Oslo on 31 October."""
    advisory = Advisory.objects.get(slug=NORDIC_COUNCIL)

    assert advisory.follow_up == Release.objects.get(slug=NORDIC_COOPERATION)
    assert Advisory.objects.get(slug=HUNGARY).follow_up is None


def test_past_tense_visit_is_a_release(seed):
    """"visited" reports an event: a release, not an advisory."""
    assert Release.objects.filter(title="NATO Military Committee visits Allied Air Command Headquarters").exists()


def test_europol_teasers_keep_summary_and_invent_no_link(seed):
    """A teaser keeps its text exactly, ellipsis included, with no body and no made-up URL."""
    teasers = Release.objects.filter(source__name="Europol")

    assert sorted(teasers.values_list("title", flat=True)) == sorted(EUROPOL_TEASERS)
    for teaser in teasers:
        assert teaser.summary.endswith("…")
        assert (teaser.body, teaser.original_url) == ("", "")
    assert teasers.get(title="Olympics 2024 security topped up").summary == (
        "The agreement covers several important arrangements designed to ensure the security and success of "
        "the event. This includes increasing operational preparedness, developing special channels for swift "
        "cooperation during the event, and enhancing strategic foresight to anticipate and confront complex "
        "situations quickly and efficiently.\xa0 During the event, Europol will deploy a special team to assist "
        "with security arrangements at the Paris…"
    )


def test_release_body_is_the_paragraphs_as_html(seed):
    """Paragraphs are kept exactly, one <p> each, as the editor writes them; the summary is the first."""
    release = Release.objects.get(slug=NORDIC_COOPERATION)
    paragraphs = [html.unescape(text) for text in re.findall(r"<p>(.*?)</p>", release.body, re.S)]

    assert len(paragraphs) == 5
    assert release.summary == paragraphs[0]
    assert paragraphs[-1].startswith("Finally, Mr Stoltenberg welcomed")
    assert release.category == Release.Category.PRESS_RELEASE
    assert release.body_html.count("<p>") == 5


def test_bullets_become_a_list():
    """"•" lines become list items, so the public page shows a list."""
    import_digest(
        "A title\n\nSource: NATO\n\nThe Allies agreed to:\n  • invest more;\n  • train together.\n\nThe end.\n"
    )

    release = Release.objects.get()
    assert release.body == (
        "<p>The Allies agreed to:</p>\n<ul>\n<li>invest more;</li>\n<li>train together.</li>\n</ul>\n<p>The end.</p>"
    )
    assert "<li>invest more;</li>" in release.body_html


def test_unicode_is_preserved(seed):
    """Diacritics and typographic quotes survive the import untouched."""
    assert Release.objects.filter(title__contains="Chișinău").exists()
    assert "Mrs Katalin Novák" in Advisory.objects.get(slug=HUNGARY).summary
    assert "“peace is always possible”" in Release.objects.get(slug=NORDIC_COOPERATION).summary


def test_follow_us_line_sets_the_source_handles(seed):
    """The glued-together handles are split, and the line stays out of the text."""
    assert Source.objects.get(name="NATO").social_handles == "@NATO @jensstoltenberg @NATOPress"
    assert not Advisory.objects.filter(body__contains="Follow us").exists()


def test_handles_merge_with_the_existing_ones():
    """Handles already on the source are kept, and none is listed twice."""
    make_source("NATO", slug="nato", social_handles="@NATOPress @NATO_MARCOM")

    import_digest(SEED)

    assert Source.objects.get(name="NATO").social_handles == "@NATOPress @NATO_MARCOM @NATO @jensstoltenberg"


def test_existing_release_elsewhere_does_not_block_import():
    """A release of another source already in the newsroom doesn't stop or change the import."""
    other = make_release(source=make_source("Frontex"), slug="some-story")

    import_digest(SEED)

    assert Release.objects.count() == 9
    other.refresh_from_db()
    assert other.state == State.DRAFT


# --- malformed digests ----------------------------------------------------------

#: name -> (file contents, the line the error must name)
MALFORMED = {
    "empty file": (b"", 1),
    "no Source line": (b"\nA title\n\nA paragraph without a source.\n", 2),
    "Source with no title above": (b"A title\n\nA paragraph.\nSource: NATO\n\nText.\n", 4),
    "Source right below the title": (b"A title\nSource: NATO\n\nText.\n", 2),
    "Source with no name": (b"A title\n\nSource:  \n\nText.\n", 3),
    "title with no body": (b"A title\n\nSource: NATO\n\n", 1),
    "title with no body before the next item": (b"A title\n\nSource: NATO\n\nNext\n\nSource: NATO\n\nText.\n", 1),
    "bytes that are not UTF-8": (b"A title\n\nSource: NATO\n\nThe \xff\xfe text.\n", 5),
    "NUL byte": (b"A title\n\nSource: NATO\n\nThe\x00 text.\n", 5),
}

#: Malformed parts placed after the whole seed digest: contents -> the line within the part.
MALFORMED_AFTER_VALID = {
    "Source with no title above": (b"A paragraph.\nSource: NATO\n\nText.\n", 2),
    "title with no body": (b"A title\n\nSource: NATO\n", 1),
    "bytes that are not UTF-8": (b"A title\n\nSource: NATO\n\nThe \xff\xfe text.\n", 5),
    "NUL byte": (b"A title\n\nSource: NATO\n\nThe\x00 text.\n", 5),
}

NOTHING = {"Release": 0, "Advisory": 0, "Source": 0, "Contact": 0, "Transition": 0}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_digest_is_refused_naming_the_line(case, tmp_path):
    """The command fails with the line to fix, and writes nothing at all."""
    contents, line = MALFORMED[case]
    path = tmp_path / "digest.txt"
    path.write_bytes(contents)

    with pytest.raises(CommandError, match=rf"^line {line}: "):
        run_import(path)
    assert row_counts() == NOTHING


@pytest.mark.parametrize("case", MALFORMED_AFTER_VALID)
def test_malformed_part_after_valid_items_writes_nothing(case, tmp_path):
    """Even ten good items are not imported when a later one is malformed: the digest is fixed and re-run."""
    contents, line = MALFORMED_AFTER_VALID[case]
    seed = SEED.read_bytes() + b"\n\n"
    path = tmp_path / "digest.txt"
    path.write_bytes(seed + contents)
    line_in_file = seed.count(b"\n") + line

    with pytest.raises(CommandError, match=rf"^line {line_in_file}: "):
        run_import(path, "--publish")
    assert row_counts() == NOTHING


def test_digest_error_names_line_and_problem():
    """The error reads "line N: problem", and carries both for callers."""
    with pytest.raises(DigestError) as caught:
        import_digest("A title\n\nText.\nSource: NATO\n\nText.\n")

    assert str(caught.value) == "line 4: `Source:` line has no title above it (a title, then a blank line)"
    assert caught.value.line == 4


def test_unreadable_file_is_refused(tmp_path):
    """A missing file is a clear command error, not a traceback."""
    with pytest.raises(CommandError, match="missing.txt"):
        run_import(tmp_path / "missing.txt")


def test_advisory_without_a_date_is_refused():
    """An advisory needs its date; the importer won't guess one."""
    with pytest.raises(DigestError, match=r"^line 1: .*no date"):
        import_digest("An event\n\nSource: NATO\n\nMedia advisory\n\nThe Secretary General will speak.\n")
    assert row_counts() == NOTHING


# --- control characters --------------------------------------------------------

def test_control_characters_in_a_title_are_dropped_on_import(client, tmp_path):
    """An escape and Word's manual line break in a title: imported with --publish, stored and served as plain text."""
    path = tmp_path / "digest.txt"
    path.write_bytes("Pasted\x1b from Word\x0bsecond line\n\nSource: NATO\n\nA paragraph.\n".encode())

    assert run_import(path, "--publish").strip() == "1 created, 0 already present."

    release = Release.objects.published().get()
    assert release.title == "Pasted from Word second line"
    response = client.get(reverse("releases:feed-rss"))
    assert response.status_code == 200
    assert [entry.title for entry in feedparser.parse(response.content).entries] == ["Pasted from Word second line"]


def test_control_characters_in_names_are_dropped_on_import():
    """Source and contact names are one line of visible text, whatever the digest holds."""
    import_digest(
        "A title\n\nSource: NA\x1bTO\x0bPress\n\nA paragraph.\n\nFor more information:\n\n"
        "Contact the NATO\x07 Press Office\n"
    )

    assert Source.objects.get().name == "NATO Press"
    assert Contact.objects.get().name == "NATO Press Office"


def test_word_line_break_in_a_body_becomes_a_line_break():
    """Word's manual line break inside a paragraph is kept as a line break; other controls are dropped."""
    import_digest("A title\n\nSource: NATO\n\nFirst line\x0bsecond line\x1b.\n\nThe end.\n")

    release = Release.objects.get()
    assert release.body == "<p>First line\nsecond line.</p>\n<p>The end.</p>"
    assert release.summary == "First line\nsecond line."


def test_line_breaks_inside_a_line_keep_the_editors_line_numbers():
    """Form feeds and Unicode line separators inside a line don't move the line an error names."""
    digest = (
        "An event\n\nSource: NATO\n\n"
        "Media advisory\x0c\n\n"
        "On Wednesday\x0b the Secretary General\u2028 and\x0c the Minister\n"
        "will meet on 30 February 2024 in Brussels.\n"
    )

    with pytest.raises(DigestError) as caught:
        import_digest(digest)

    assert caught.value.line == 8
    assert "“30 February 2024” is not a date" in caught.value.message


# --- where an item starts ------------------------------------------------------

@pytest.mark.parametrize("paragraph", [
    "Source: the ministry’s figures for 2023 show a fall in unemployment…",
    "Source: Eurostat figures for 2023 show that unemployment fell to 5.9%.",
])
def test_body_paragraph_starting_with_source_stays_in_the_body(paragraph):
    """A paragraph that reads as a sentence is text, not the start of a new item from a new source."""
    digest = (
        "Unemployment falls again\n\nSource: Ministry of Labour\n\n"
        "The ministry published its figures today.\n\n"
        f"{paragraph}\n\n"
        "The minister welcomed the news.\n"
    )

    result = import_digest(digest)

    assert str(result) == "1 created, 0 already present."
    release = Release.objects.get()
    assert release.title == "Unemployment falls again"
    assert [html.unescape(text) for text in re.findall(r"<p>(.*?)</p>", release.body)] == [
        "The ministry published its figures today.", paragraph, "The minister welcomed the news.",
    ]
    assert list(Source.objects.values_list("name", flat=True)) == ["Ministry of Labour"]


@pytest.mark.parametrize("digest, line", [
    # An attribution below a sentence: a title never ends with a full stop.
    ("Unemployment falls\n\nSource: Ministry\n\nUnemployment fell in 2023.\n\nSource: Eurostat\n\nMore.\n", 7),
    # A short paragraph glued to the next line: an item's `Source:` line has a blank line below.
    ("Unemployment falls\n\nSource: Ministry\n\nKey figures\n\nSource: Eurostat\nUnemployment fell.\n", 7),
    # The line above the blank is the end of a longer paragraph, not a title.
    ("Unemployment falls\n\nSource: Ministry\n\nThe figures\nare out\n\nSource: Eurostat\n\nMore.\n", 8),
])
def test_source_line_that_may_be_body_text_is_refused_naming_it(digest, line):
    """A `Source: NAME` line the layout doesn't make an item is neither split off nor swallowed: the operator decides."""
    with pytest.raises(DigestError) as caught:
        import_digest(digest)

    assert caught.value.line == line
    assert "full stop" in caught.value.message
    assert row_counts() == NOTHING


def test_source_line_ending_with_a_full_stop_is_body_text():
    """The refusal's advice works: "Source: Eurostat." below a sentence stays in the body."""
    import_digest("Unemployment falls\n\nSource: Ministry\n\nUnemployment fell in 2023.\n\nSource: Eurostat.\n")

    assert Release.objects.get().body == "<p>Unemployment fell in 2023.</p>\n<p>Source: Eurostat.</p>"


# --- which items are already present --------------------------------------------

TWO_UPDATES = (
    "Weekly update\n\nSource: NATO\n\nThe first week.\n\n"
    "Weekly update\n\nSource: NATO\n\nThe second week.\n"
)


def test_same_title_from_the_same_source_with_other_text_is_a_new_item():
    """Two items of one source with one title but different text are two releases, the second at "…-2"."""
    result = import_digest(TWO_UPDATES)

    assert str(result) == "2 created, 0 already present."
    assert list(Release.objects.order_by("slug").values_list("slug", "body")) == [
        ("weekly-update", "<p>The first week.</p>"), ("weekly-update-2", "<p>The second week.</p>"),
    ]


def test_same_title_in_a_later_digest_with_other_text_is_a_new_item():
    """Next week's "Weekly update" is not last week's."""
    import_digest("Weekly update\n\nSource: NATO\n\nThe first week.\n")

    result = import_digest("Weekly update\n\nSource: NATO\n\nThe second week.\n")

    assert str(result) == "1 created, 0 already present."
    assert Release.objects.get(slug="weekly-update-2").body == "<p>The second week.</p>"


def test_same_titles_imported_again_create_nothing():
    """A second run of a digest holding two same-titled items finds both."""
    first = import_digest(TWO_UPDATES)

    again = import_digest(TWO_UPDATES)

    assert str(again) == "0 created, 2 already present."
    assert again.existing == first.created
    assert Transition.objects.count() == 2


def test_imported_item_edited_before_publication_is_still_already_present(writer, reviewer):
    """An editor's change to an imported item, returned from review, doesn't make the digest's item new again."""
    import_digest("Weekly update\n\nSource: NATO\n\nThe first week.\n")
    Release.objects.get().return_to_draft(reviewer, "Please correct the first sentence.")
    release = Release.objects.get()
    release.body = "The first week, corrected."
    release.save_edit(writer, release.revision, ["body"])

    again = import_digest("Weekly update\n\nSource: NATO\n\nThe first week.\n")

    assert str(again) == "0 created, 1 already present."
    assert Release.objects.count() == 1


def test_published_item_with_a_new_edition_is_still_already_present(writer, reviewer):
    """An imported item that was published, then edited in a new edition, is found again by its first edition."""
    import_digest("Weekly update\n\nSource: NATO\n\nThe first week.\n", publish=True)
    draft = Release.objects.get().start_new_draft(writer)
    draft.body = "The first week, corrected."
    draft.save_edit(writer, draft.revision, ["body"])

    again = import_digest("Weekly update\n\nSource: NATO\n\nThe first week.\n")

    assert str(again) == "0 created, 1 already present."
    assert again.existing == [draft]


# --- dates ----------------------------------------------------------------------

def advisory_on(day):
    return f"An event\n\nSource: NATO\n\nMedia advisory\n\nOn {day}, the Secretary General will speak in Brussels.\n"


@pytest.mark.parametrize("day, problem", [
    ("1 January 0001", "“1 January 0001” is outside the dates an advisory may have (1 January 1900 to 31 December 2199)"),
    ("31 December 1899", "“31 December 1899” is outside the dates an advisory may have"),
    ("1 January 2200", "“1 January 2200” is outside the dates an advisory may have"),
    ("31 December 9999", "“31 December 9999” is outside the dates an advisory may have"),
    ("1 January 0000", "“1 January 0000” is not a date"),
    ("31 February 2024", "“31 February 2024” is not a date"),
])
def test_impossible_or_extreme_event_date_is_refused_naming_the_line(day, problem, tmp_path):
    """The command fails with "line N: …" and a non-zero exit rather than a traceback, and writes nothing."""
    path = tmp_path / "digest.txt"
    path.write_text(advisory_on(day), encoding="utf-8")

    with pytest.raises(CommandError, match=rf"^line 7: {re.escape(problem)}"):
        run_import(path, "--publish")
    with pytest.raises(DigestError) as caught:
        import_digest(advisory_on(day), publish=True)
    assert caught.value.line == 7
    assert row_counts() == NOTHING


@pytest.mark.parametrize("day, expected", [("1 January 1900", date(1900, 1, 1)), ("31 December 2199", date(2199, 12, 31))])
def test_event_dates_at_the_bounds_are_imported(client, day, expected):
    """The first and last day an advisory may have are imported, and its calendar answers."""
    import_digest(advisory_on(day), publish=True)

    advisory = Advisory.objects.get()
    assert advisory.event_date == expected
    assert client.get(reverse("releases:advisory-calendar", args=[advisory.slug])).status_code == 200


def test_release_naming_a_date_outside_the_bounds_is_imported():
    """A release may mention any date ("14 October 1066"): only an advisory's own date is bounded."""
    import_digest("History\n\nSource: NATO\n\nOn 14 October 1066 and on 1 January 0001 things happened.\n")

    assert Release.objects.get().title == "History"


# --- all or nothing -------------------------------------------------------------

def every_table_count():
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_failure_while_writing_the_fifth_item_leaves_no_rows_of_any_kind(monkeypatch):
    """A failure during the write (not the parse) rolls back every source, contact, item, programme and history row."""
    before = every_table_count()
    receive_import, calls = Publishable.receive_import, []

    def fail_on_the_fifth(self, *args, **kwargs):
        calls.append(self.title)
        if len(calls) == 5:
            raise RuntimeError("the fifth item can't be handed to the workflow")
        return receive_import(self, *args, **kwargs)

    monkeypatch.setattr(Publishable, "receive_import", fail_on_the_fifth)

    with pytest.raises(RuntimeError):
        import_digest(SEED, publish=True)

    assert len(calls) == 5
    assert every_table_count() == before
    assert before["releases.Source"] == before["releases.Transition"] == before["releases.ProgrammeEntry"] == 0
