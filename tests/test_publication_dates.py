"""Honest dates: imported items carry the day they were first published, not the day they were loaded."""
import io
import re
from datetime import date, datetime, timezone as dt_timezone
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse

from releases.importers import import_digest
from releases.models import Advisory, Release, Transition

SEED = Path(__file__).resolve().parents[1] / "releases" / "demo" / "digest.txt"
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
#: "8 November 2023", "31st October 2023", "26-27 October 2023": a full date, as a reader finds it in the text.
STATED = re.compile(rf"(\d{{1,2}})(?:st|nd|rd|th)?(?:-(\d{{1,2}}))? ({MONTHS}) (\d{{4}})")
LOAD_DAY = datetime(2026, 11, 28, 9, 0, tzinfo=dt_timezone.utc)


def stated_dates():
    """Each seed item's title and the date its opening paragraph states (the last day of a range), or None."""
    blocks = SEED.read_text(encoding="utf-8").split("\n\n")
    items = {}
    for index, block in enumerate(blocks):
        if block.startswith("Source: ") and index + 1 < len(blocks):
            match = STATED.search(blocks[index + 1])
            items[blocks[index - 1].strip()] = match and date(
                int(match[4]), MONTHS.split("|").index(match[3]) + 1, int(match[2] or match[1]),
            )
    return items


def every_item():
    return [*Release.objects.all(), *Advisory.objects.all()]


@pytest.fixture
def demo(settings):
    settings.DEBUG = True  # load_demo refuses to run without it
    with time_machine.travel(LOAD_DAY, tick=False):
        call_command("load_demo", stdout=io.StringIO())


def test_demo_items_carry_the_dates_their_texts_state(demo):
    """Every demo item is dated by its own text; the four Europol teasers, which state none, by the digest's date."""
    stated = stated_dates()
    assert len(stated) == 10 and sum(day is None for day in stated.values()) == 4

    items = every_item()
    assert len(items) == 10
    for item in items:
        expected = stated[item.title] or date(2023, 11, 8)
        assert item.published_at.astimezone(dt_timezone.utc).date() == expected, item.title
        assert item.public_updated_at == item.published_at


def test_demo_pages_show_the_2023_dates_and_never_the_load_date(demo, client):
    """What users saw: every item shown on "28 November 2026". Now each page shows its own 2023 date."""
    home = client.get(reverse("releases:home")).content.decode()
    assert "28 November 2026" not in home
    cabo_verde = Release.objects.get(title__startswith="Secretary General welcomes")
    page = client.get(cabo_verde.get_absolute_url()).content.decode()
    assert '<time datetime="2023-10-26T' in page and "26 October 2023" in page
    assert "28 November 2026" not in page


def test_demo_keeps_the_import_as_its_history(demo):
    """The history says when the item was really loaded; the approval time behind caches is the load too."""
    for item in every_item():
        transition = Transition.objects.get(object_id=item.pk, document=item.document)
        assert transition.action == Transition.IMPORT and transition.at == LOAD_DAY
        assert item.revised_at == LOAD_DAY


def run_import(*arguments):
    out = io.StringIO()
    call_command("import_digest", *map(str, arguments), stdout=out)
    return out.getvalue()


def test_published_on_dates_every_item_of_the_file(tmp_path):
    """`--published-on` is the digest's date: every item on that day, in the digest's order."""
    with time_machine.travel(LOAD_DAY, tick=False):
        run_import(SEED, "--publish", "--published-on", "2023-11-08")

    releases = list(Release.objects.published())
    assert [release.title for release in releases][:2] == [
        "Operation Mobile 6 puts the brakes on car thieves",
        "NATO Secretary General: Nordic cooperation demonstrates that peace is always possible",
    ]
    assert {release.published_at.date() for release in releases} == {date(2023, 11, 8)}


def test_dates_file_dates_items_and_the_rest_take_the_file_date(tmp_path):
    """A dates file gives an item its own day; the others keep the digest's."""
    dates = tmp_path / "digest.dates"
    dates.write_text("# a comment\n\n2023-10-26  Olympics 2024 security topped up\n", encoding="utf-8")
    run_import(SEED, "--publish", "--published-on", "2023-11-08", "--dates", dates)

    assert Release.objects.get(title="Olympics 2024 security topped up").published_at.date() == date(2023, 10, 26)
    assert Release.objects.get(title__startswith="Operation Mobile").published_at.date() == date(2023, 11, 8)


@pytest.mark.parametrize("line, problem", [
    ("2023-10-26  No such item", "dates file line 1: the digest has no item titled “No such item”"),
    ("26 October 2023  Olympics 2024 security topped up", "dates file line 1: write the date as YYYY-MM-DD"),
    ("2023-02-31  Olympics 2024 security topped up", "dates file line 1: “2023-02-31” is not a date"),
    ("2999-01-01  Olympics 2024 security topped up", "dates file line 1: 2999-01-01 is not a past publication date"),
])
def test_a_wrong_dates_file_is_refused_and_nothing_is_written(tmp_path, line, problem):
    """A typo in the dates file is refused with its line, never guessed at, and writes nothing."""
    dates = tmp_path / "digest.dates"
    dates.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match=re.escape(problem)):
        run_import(SEED, "--publish", "--published-on", "2023-11-08", "--dates", dates)
    assert not every_item()


def test_future_or_malformed_digest_date_is_refused():
    """A first publication can't lie ahead (that would be scheduling) nor be a date that doesn't exist."""
    with pytest.raises(CommandError, match="not a past publication date"):
        run_import(SEED, "--publish", "--published-on", "2999-01-01")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run_import(SEED, "--publish", "--published-on", "8 November 2023")
    with pytest.raises(CommandError, match="with --publish"):
        run_import(SEED, "--published-on", "2023-11-08")
    assert not every_item()


def test_dates_file_without_the_digest_date_must_date_every_item(tmp_path):
    """Items a dates file leaves out would otherwise be dated today: refused."""
    with pytest.raises(ValueError, match="give the digest's date too"):
        import_digest(SEED, publish=True, dates="2023-10-26  Olympics 2024 security topped up\n")
    assert not every_item()


def test_today_is_published_now_and_not_scheduled_for_noon():
    """A digest dated today, loaded in the morning, is public at once: an import never schedules."""
    with time_machine.travel(datetime(2023, 11, 8, 7, 0, tzinfo=dt_timezone.utc), tick=False):
        import_digest(SEED, publish=True, published_on=date(2023, 11, 8))
        assert Release.objects.published().count() == 8
