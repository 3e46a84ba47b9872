"""Scheduling in the newsroom's time: the approve form's local date and time, the zone named everywhere, DST."""
from datetime import datetime
from datetime import timezone as dt_timezone

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from releases.workflow import State

from .factories import make_release

UTC = dt_timezone.utc
#: The newsroom's clock in these tests: a week before the Hungary press conference.
EARLY_NOVEMBER_2023 = datetime(2023, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def brussels(settings):
    """The demo's newsroom zone, with the server's zone left at UTC (as by default)."""
    settings.NEWSROOM_TIME_ZONE = "Europe/Brussels"
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def in_review(writer):
    release = make_release(author=writer, title="Press conference")
    release.submit(writer)
    return release


def approve(client, reviewer, release, **inputs):
    client.force_login(reviewer)
    url = reverse("admin:releases_release_transition", args=[release.pk, "approve"])
    response = client.post(url, inputs)
    release.refresh_from_db()
    return response


def shown_messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def change_page(client, release):
    return client.get(reverse("admin:releases_release_change", args=[release.pk])).content.decode()


def test_brussels_afternoon_in_winter_is_an_hour_ahead_of_utc(client, reviewer, in_review):
    """17:30 typed in November (CET, UTC+1) is 16:30 UTC."""
    with time_machine.travel(EARLY_NOVEMBER_2023, tick=False):
        approve(client, reviewer, in_review, publish_date="2023-11-08", publish_time="17:30")
    assert in_review.published_at == datetime(2023, 11, 8, 16, 30, tzinfo=UTC)


def test_brussels_afternoon_in_summer_is_two_hours_ahead_of_utc(client, reviewer, in_review):
    """17:30 typed for a June day (CEST, UTC+2) is 15:30 UTC."""
    with time_machine.travel(EARLY_NOVEMBER_2023, tick=False):
        approve(client, reviewer, in_review, publish_date="2024-06-12", publish_time="17:30")
    assert in_review.published_at == datetime(2024, 6, 12, 15, 30, tzinfo=UTC)


def test_confirmation_names_the_day_the_time_and_the_zone(client, reviewer, in_review):
    """The success message reads "goes public on Wed 8 Nov 2023 at 17:30 CET": 24-hour, zone named, no "p.m."."""
    with time_machine.travel(EARLY_NOVEMBER_2023, tick=False):
        response = approve(client, reviewer, in_review, publish_date="2023-11-08", publish_time="17:30")
        assert shown_messages(response) == ["“Press conference” is now scheduled: it goes public on Wed 8 Nov 2023 at 17:30 CET."]


def test_change_form_and_changelist_show_the_time_in_the_newsroom_zone(client, reviewer, in_review):
    """The workflow panel, the workflow fieldset and the changelist column all read 17:30 CET, never UTC."""
    with time_machine.travel(EARLY_NOVEMBER_2023, tick=False):
        approve(client, reviewer, in_review, publish_date="2023-11-08", publish_time="17:30")
        page = change_page(client, in_review)
        changelist = client.get(reverse("admin:releases_release_changelist")).content.decode()
    assert "Goes public on Wed 8 Nov 2023 at 17:30 CET." in page
    assert '<div class="readonly">Wed 8 Nov 2023 at 17:30 CET</div>' in page
    assert "Wed 8 Nov 2023 at 17:30 CET" in changelist
    assert "16:30" not in page + changelist and "p.m." not in page + changelist


def test_the_approve_form_names_the_zone_beside_a_24_hour_time_input(client, reviewer, in_review):
    """Separate date and 24-hour time inputs, the zone named beside them; no locale-dependent datetime picker."""
    with time_machine.travel(EARLY_NOVEMBER_2023, tick=False):
        client.force_login(reviewer)
        page = change_page(client, in_review)
    assert 'type="date" name="publish_date"' in page
    assert 'type="text" name="publish_time"' in page and 'pattern="([01]?[0-9]|2[0-3]):[0-5][0-9]"' in page
    assert '<span class="nr-zone">Europe/Brussels (CET)</span>' in page
    assert "datetime-local" not in page


def test_a_time_in_the_spring_gap_is_an_error_naming_the_gap(client, reviewer, in_review):
    """02:30 on 31 March 2024 never happens in Brussels (02:00 CET → 03:00 CEST): refused, nothing moves."""
    with time_machine.travel(EARLY_NOVEMBER_2023, tick=False):
        response = approve(client, reviewer, in_review, publish_date="2024-03-31", publish_time="02:30")
        page = change_page(client, in_review)
    assert in_review.state == State.IN_REVIEW and in_review.published_at is None
    expected = "02:30 on 31 Mar 2024 doesn&#x27;t exist in Europe/Brussels: the clocks go forward that night (CET to CEST)"
    assert expected.replace("&#x27;", "'") in shown_messages(response)[0]
    assert expected in page  # beside the inputs too, which keep what was typed
    assert 'value="2024-03-31"' in page and 'value="02:30"' in page


def test_a_time_in_the_autumn_overlap_asks_which_one(client, reviewer, in_review):
    """02:30 on 27 October 2024 happens twice: nothing moves, and the form offers 02:30 CEST and 02:30 CET."""
    with time_machine.travel(EARLY_NOVEMBER_2023, tick=False):
        response = approve(client, reviewer, in_review, publish_date="2024-10-27", publish_time="02:30")
        page = change_page(client, in_review)
    assert in_review.state == State.IN_REVIEW and in_review.published_at is None
    assert "happens twice in Europe/Brussels" in shown_messages(response)[0]
    assert 'name="publish_fold" value="first"' in page and "02:30 CEST (the first, before the clocks go back)" in page
    assert 'name="publish_fold" value="second"' in page and "02:30 CET (the second, after the clocks go back)" in page


@pytest.mark.parametrize(("which", "utc_hour", "zone"), [("first", 0, "CEST"), ("second", 1, "CET")])
def test_the_chosen_reading_of_an_overlapping_time_is_the_one_scheduled(client, reviewer, in_review, which, utc_hour, zone):
    """Choosing the first 02:30 schedules 00:30 UTC (CEST), the second 01:30 UTC (CET); the confirmation says which."""
    with time_machine.travel(EARLY_NOVEMBER_2023, tick=False):
        response = approve(
            client, reviewer, in_review, publish_date="2024-10-27", publish_time="02:30", publish_fold=which,
        )
    assert in_review.published_at == datetime(2024, 10, 27, utc_hour, 30, tzinfo=UTC)
    assert shown_messages(response)[0].endswith(f"goes public on Sun 27 Oct 2024 at 02:30 {zone}.")


def test_a_time_in_the_past_is_an_error(client, reviewer, in_review):
    """A time already gone is refused (leave both empty to publish now): the item stays in review."""
    with time_machine.travel(EARLY_NOVEMBER_2023, tick=False):
        response = approve(client, reviewer, in_review, publish_date="2023-11-01", publish_time="09:59")
    assert in_review.state == State.IN_REVIEW
    assert shown_messages(response) == [
        "Wed 1 Nov 2023 at 09:59 CET is in the past. Give a time ahead, or leave both empty to publish now."
    ]


def test_an_impossible_date_is_an_error(client, reviewer, in_review):
    """30 February is not a day: a form error, nothing moves."""
    with time_machine.travel(EARLY_NOVEMBER_2023, tick=False):
        response = approve(client, reviewer, in_review, publish_date="2024-02-30", publish_time="17:30")
    assert in_review.state == State.IN_REVIEW
    assert shown_messages(response) == ["Enter a real date (that day doesn't exist or isn't a date)."]


@pytest.mark.parametrize("typed", ["5:30 pm", "24:00", "17.30", "1730"])
def test_a_time_that_is_not_24_hour_hh_mm_is_an_error(client, reviewer, in_review, typed):
    """Only a 24-hour HH:MM is a time: "5:30 pm" is not guessed at."""
    with time_machine.travel(EARLY_NOVEMBER_2023, tick=False):
        response = approve(client, reviewer, in_review, publish_date="2023-11-08", publish_time=typed)
    assert in_review.state == State.IN_REVIEW
    assert shown_messages(response) == ["Enter a 24-hour time such as 09:05 or 17:30."]


def test_a_date_without_a_time_is_an_error(client, reviewer, in_review):
    """Half a publication time is not taken as midnight or as now."""
    with time_machine.travel(EARLY_NOVEMBER_2023, tick=False):
        response = approve(client, reviewer, in_review, publish_date="2023-11-08", publish_time="")
    assert in_review.state == State.IN_REVIEW
    assert shown_messages(response) == ["Give both the date and the time to schedule, or neither to publish now."]


def test_both_empty_publishes_now(client, reviewer, in_review):
    """No date and no time: public at once."""
    with time_machine.travel(EARLY_NOVEMBER_2023, tick=False):
        approve(client, reviewer, in_review, publish_date="", publish_time="")
        assert in_review.is_public and in_review.published_at == EARLY_NOVEMBER_2023


def test_another_newsroom_zone_is_read_in_its_own_time(client, reviewer, in_review, settings):
    """NEWSROOM_TIME_ZONE decides: 17:30 in New York on 8 Nov 2023 (EST) is 22:30 UTC."""
    settings.NEWSROOM_TIME_ZONE = "America/New_York"
    with time_machine.travel(EARLY_NOVEMBER_2023, tick=False):
        response = approve(client, reviewer, in_review, publish_date="2023-11-08", publish_time="17:30")
    assert in_review.published_at == datetime(2023, 11, 8, 22, 30, tzinfo=UTC)
    assert shown_messages(response)[0].endswith("goes public on Wed 8 Nov 2023 at 17:30 EST.")
