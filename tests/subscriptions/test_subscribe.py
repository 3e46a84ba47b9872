"""The subscribe form: double opt-in, no enumeration, abuse answered clearly, safe in the page cache."""
import pytest
from django.test import override_settings

from subscriptions.models import Subscriber, Subscription
from tests.factories import make_source

from .conftest import confirmation_link, make_subscriber, path_of

ASK = {"email": "Ana@Example.org", "kinds": "both", "frequency": "immediate"}


def test_subscribing_sends_only_a_confirmation_and_stores_nothing(db, post_subscribe, work_the_queue, mailoutbox):
    """The request answers at once; the worker sends one confirmation mail; no subscriber exists before it is followed."""
    response = post_subscribe(ASK)
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    assert mailoutbox == []  # never in the request
    work_the_queue()
    assert [mail.to for mail in mailoutbox] == [["ana@example.org"]]
    assert "/subscribe/confirm/" in mailoutbox[0].body
    assert not Subscriber.objects.exists()


def test_following_the_link_and_confirming_subscribes(db, client, post_subscribe, work_the_queue, mailoutbox):
    """The link shows a confirm button (mail scanners only GET); pressing it subscribes, with the sources asked for."""
    nato = make_source("NATO")
    post_subscribe({**ASK, "sources": [nato.pk], "kinds": "releases"})
    work_the_queue()
    link = path_of(confirmation_link(mailoutbox[0]))
    page = client.get(link)
    assert page.status_code == 200 and "Confirm" in page.content.decode()
    assert not Subscriber.objects.exists()
    done = client.post(link)
    assert done.status_code == 200 and "You are subscribed" in done.content.decode()
    subscription = Subscription.objects.get()
    assert subscription.subscriber.email == "ana@example.org" and subscription.subscriber.is_active
    assert (list(subscription.sources.all()), subscription.kinds) == ([nato], "releases")


def test_known_and_unknown_addresses_get_the_same_answer(db, post_subscribe, work_the_queue, mailoutbox):
    """No enumeration: a subscribed address and a new one get byte-identical answers, and each a confirmation mail."""
    make_subscriber("known@example.org")
    known = post_subscribe({**ASK, "email": "known@example.org"})
    unknown = post_subscribe({**ASK, "email": "new@example.org"})
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
    work_the_queue()
    assert sorted(mail.to[0] for mail in mailoutbox) == ["known@example.org", "new@example.org"]
    assert Subscription.objects.count() == 1  # the known one's subscriptions are untouched until they confirm


def test_honeypot_gets_the_usual_answer_and_nothing_is_sent(db, post_subscribe, work_the_queue, mailoutbox):
    """A bot that fills the hidden field is told "check your inbox", and no mail goes out."""
    response = post_subscribe({**ASK, "website": "http://spam.example"})
    assert response.status_code == 200 and "Check your inbox" in response.content.decode()
    work_the_queue()
    assert mailoutbox == []


@pytest.mark.parametrize("data, message", [
    ({**ASK, "email": "not-an-address"}, "Enter a valid email address."),
    ({**ASK, "email": ""}, "This field is required."),
    ({**ASK, "email": "a" * 5000 + "@example.org"}, "Ensure this value has at most 254 characters"),
    ({**ASK, "sources": ["999999"]}, "Choose sources from the list."),
    ({**ASK, "sources": ["nato'; drop table"]}, "Choose sources from the list."),
    ({**ASK, "kinds": "everything"}, "Select a valid choice."),
    ({**ASK, "frequency": "hourly"}, "Select a valid choice."),
])
def test_bad_input_is_answered_with_a_clear_error(db, post_subscribe, work_the_queue, mailoutbox, data, message):
    """A bad address, an unknown source, a huge input or an unknown choice: 400, the form again with the error, no mail."""
    response = post_subscribe(data)
    assert response.status_code == 400
    assert message in response.content.decode()
    work_the_queue()
    assert mailoutbox == []


def test_a_huge_body_is_refused_without_a_500(db, client):
    """A body past Django's upload limit is a 400, not a server error."""
    response = client.post("/subscribe/", {**ASK, "website": "", "filler": "x" * 3_000_000})
    assert response.status_code == 400


@override_settings(SUBSCRIPTIONS_PER_ADDRESS_PER_HOUR=3)
def test_repeated_requests_for_one_address_are_limited(db, post_subscribe, work_the_queue, mailoutbox):
    """The fourth request in an hour for one address gets a 429 page saying so, and no fourth mail."""
    answers = [post_subscribe({**ASK, "email": "ana@example.org"}).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    last = post_subscribe({**ASK, "email": "ANA@example.org"})
    assert last.status_code == 429 and "Too many requests" in last.content.decode()
    work_the_queue()
    assert len(mailoutbox) == 3


@override_settings(SUBSCRIPTIONS_PER_CLIENT_PER_HOUR=10)
def test_one_client_trying_many_addresses_is_limited(db, post_subscribe):
    """Eleven requests from one IP, each for a new address: the eleventh is refused."""
    answers = [post_subscribe({**ASK, "email": f"a{n}@example.org"}).status_code for n in range(11)]
    assert answers == [200] * 10 + [429]
    other_client = post_subscribe({**ASK, "email": "b@example.org"}, REMOTE_ADDR="192.0.2.7")
    assert other_client.status_code == 200


def test_the_form_is_on_the_home_page_and_each_source_page(db, client):
    """The home page's form asks for every source; a source page's form names that source."""
    nato = make_source("NATO")
    home = client.get("/").content.decode()
    assert 'action="/subscribe/"' in home and 'name="sources"' not in home
    source_page = client.get(nato.get_absolute_url()).content.decode()
    assert f'<input type="hidden" name="sources" value="{nato.pk}">' in source_page
    assert "Get NATO's news by e-mail" in source_page


def test_the_cached_home_page_carries_nothing_of_one_visitors_form(db, client, post_subscribe):
    """After a visitor's failed and successful posts, the next visitor's home page is the same, with no token or address."""
    first = client.get("/").content
    post_subscribe({**ASK, "email": "bad"})
    post_subscribe({**ASK, "email": "ana@example.org"})
    client.cookies.clear()
    second = client.get("/").content
    assert first == second
    assert b"ana@example.org" not in second and b"csrfmiddlewaretoken" not in second


def test_the_form_works_without_a_csrf_cookie(db, post_subscribe):
    """The page cache serves the form without a token: posting it from a fresh browser with CSRF checks on succeeds."""
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/subscribe/", ASK).status_code == 200


def test_the_full_form_preselects_the_source_and_lists_all(db, client):
    """/subscribe/?source=nato lists every source with NATO ticked; an unknown slug just ticks nothing."""
    nato, europol = make_source("NATO"), make_source("Europol")
    page = client.get("/subscribe/?source=nato").content.decode()
    assert f'value="{nato.pk}"' in page and f'value="{europol.pk}"' in page
    assert page.count("checked") >= 3  # NATO, and the two radio defaults
    assert client.get("/subscribe/?source=" + "x" * 10000).status_code == 200


@override_settings(SUBSCRIPTIONS_PER_CLIENT_PER_HOUR=2, NEWSROOM_PROXIES=1)
def test_behind_a_proxy_each_client_is_counted_and_a_forged_header_helps_nobody(db, post_subscribe):
    """
    Every request comes from the proxy's address: the limit counts the client the proxy saw (the
    last X-Forwarded-For entry), and what a client writes in front of it changes nothing.
    """
    def ask(email, forwarded):
        return post_subscribe({**ASK, "email": email}, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded).status_code

    assert [ask(f"a{n}@example.org", f"198.51.100.{n}, 203.0.113.5") for n in range(3)] == [200, 200, 429]
    assert ask("b@example.org", "203.0.113.9") == 200  # another reader behind the same proxy
