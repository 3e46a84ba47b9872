"""With distribution: a publication reaches the confirmed subscriber, once, with one-click unsubscribe; not the others."""
from subscriptions import links
from tests.factories import make_release
from tests.notifications.conftest import committed  # noqa: F401

from .conftest import make_subscriber, path_of


def test_a_publication_mails_confirmed_subscribers_with_one_click_unsubscribe(
    db, writer, reviewer, committed, work_the_queue, mailoutbox, client,  # noqa: F811
):
    """Only the confirmed subscriber is mailed; the mail's List-Unsubscribe URL, POSTed, unsubscribes them."""
    subscriber = make_subscriber("ana@example.org")
    make_subscriber("unconfirmed@example.org", confirmed=False)
    make_subscriber("left@example.org", unsubscribed=True)
    release = make_release(author=writer, title="Ministers meet")
    release.submit(writer)
    committed(release.approve, reviewer)
    work_the_queue()
    mails = [mail for mail in mailoutbox if "Ministers meet" in mail.subject]
    assert [mail.to for mail in mails] == [["ana@example.org"]]
    headers = mails[0].extra_headers
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"] == f"<{links.unsubscribe_url(subscriber)}>"
    assert links.manage_url(subscriber) in mails[0].body
    client.post(path_of(links.unsubscribe_url(subscriber)), "List-Unsubscribe=One-Click",
                content_type="application/x-www-form-urlencoded")
    subscriber.refresh_from_db()
    assert not subscriber.is_active
