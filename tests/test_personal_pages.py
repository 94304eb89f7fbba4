"""Pages behind a personal link: in the person's language, never cached, never indexed."""

import pytest

from eventhub import cache
from eventhub.calendar import services as calendar_services
from eventhub.calendar.feeds import FeedKind
from eventhub.extensions import db
from eventhub.followup.commitments import services as commitments
from eventhub.invitations import services as invitations
from eventhub.invitations.mail import opt_out_token
from eventhub.registrations import services as registrations
from tests.conftest import login
from tests.factories import ContactFactory, EventFactory, RegistrationFactory, UserFactory

PRIVATE = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"}


@pytest.fixture
def links(app):
    """Each kind of personal link, for an English-speaking and a Spanish-speaking person."""
    with app.app_context(), app.test_request_context():
        organiser = UserFactory(email="organiser@example.org")
        event = EventFactory(title="Mesa de Lo Prado", published=True, registration_mode="open")
        found = {"event": event.id}
        for language in ("en", "es"):
            registration = RegistrationFactory(
                event=event, language=language, email=f"reg-{language}@example.org"
            )
            plan = invitations.plan_invitations(
                event, [], False, [], f"inv-{language}@example.org", language
            )
            invitations.send_invitations(event, plan, organiser)
            db.session.flush()
            invitation = db.session.scalars(
                invitations.invitations_query(event).where(
                    invitations.Invitation.email == f"inv-{language}@example.org"
                )
            ).one()
            contact = ContactFactory(language=language)
            db.session.flush()
            found[language] = {
                "i": f"/i/{invitations.invitation_token(invitation)}",
                "r": f"/r/{registrations.registration_token(registration)}",
                "c": f"/c/{commitments.ensure_link(contact)}",
            }
        feed = calendar_services.rotate_feed_token(FeedKind.REGISTRANT, "reg-en@example.org")
        found["feed"] = f"/feeds/{feed}.ics"
        found["unsubscribe"] = f"/unsubscribe/{opt_out_token('inv-en@example.org')}"
        db.session.commit()
        return found


@pytest.mark.parametrize("kind", ["i", "r", "c"])
def test_a_personal_page_speaks_the_persons_language(client, links, kind):
    english = client.get(links["en"][kind])
    assert english.status_code == 200
    page = english.get_data(as_text=True)
    assert '<html lang="en">' in page
    assert 'action="/language"' in page  # the switch stays
    assert '<html lang="es">' in client.get(links["es"][kind]).get_data(as_text=True)

    # An explicit choice wins over the person's language.
    client.post("/language", data={"lang": "es", "next": links["en"][kind]})
    assert '<html lang="es">' in client.get(links["en"][kind]).get_data(as_text=True)
    client.post("/language", data={"lang": "en"})
    assert '<html lang="en">' in client.get(links["es"][kind]).get_data(as_text=True)


def test_what_a_personal_link_answers_after_a_post_is_in_the_persons_language(client, links):
    response = client.post(f"{links['en']['r']}/cancel", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page and "Your registration is cancelled." in page
    response = client.post(f"{links['en']['i']}/accept", data={"name": ""})
    assert response.status_code == 422
    assert '<html lang="en">' in response.get_data(as_text=True)


def test_personal_pages_are_private_and_not_indexed(client, links):
    english = links["en"]
    # Before the POST below, which replaces the registrant's feed with a new one.
    feeds = {
        "feed": client.get(links["feed"]),
        "bad feed": client.get("/feeds/not-a-valid-token.ics"),
    }
    etag = feeds["feed"].headers["ETag"]
    feeds["poll"] = client.get(links["feed"], headers={"If-None-Match": etag})
    responses = {
        "invitation": client.get(english["i"]),
        "registration": client.get(english["r"]),
        "commitments": client.get(english["c"]),
        "unsubscribe": client.get(links["unsubscribe"]),
        "form error": client.post(english["r"], data={"name": ""}),
        "accept error": client.post(f"{english['i']}/accept", data={"name": ""}),
        "redirect": client.post(f"{english['r']}/feed"),
        "revoked link": client.get("/r/not-a-valid-token"),
        "bad invitation": client.get("/i/not-a-valid-token"),
        "bad owner link": client.get("/c/not-a-valid-token"),
    }
    assert responses["form error"].status_code == 422
    assert responses["redirect"].status_code == 302
    assert responses["revoked link"].status_code == 404
    for name, response in responses.items():
        for header, value in PRIVATE.items():
            assert response.headers.get(header) == value, (name, header)
    # A feed is kept by its calendar client, but only to revalidate it with its ETag.
    assert feeds["poll"].status_code == 304
    for name, response in feeds.items():
        assert response.headers.get("Cache-Control") == "private, no-cache", name
        assert response.headers.get("X-Robots-Tag") == "noindex", name
    public = client.get(f"/events/{links['event']}")
    assert "X-Robots-Tag" not in public.headers
    assert public.headers.get("Cache-Control") != "private, no-store"


def test_the_anonymous_page_cache_never_keeps_a_personal_page(app, links):
    renders = []

    def render():
        renders.append(1)
        return f"page {len(renders)}"

    # A request context of its own each time: a new visitor, with no CSRF token made yet.
    for _ in range(2):
        with app.test_request_context(links["en"]["r"]):
            cache.anonymous_page(render)
    assert len(renders) == 2
    for _ in range(2):  # the same render on a public page is remembered
        with app.test_request_context(f"/events/{links['event']}"):
            cache.anonymous_page(render)
    assert len(renders) == 3


def test_an_organisers_own_feed_page_is_private_too(client, links):
    assert login(client, "organiser@example.org").status_code == 302
    response = client.get("/account/calendar")
    assert response.status_code == 200
    for header, value in PRIVATE.items():
        assert response.headers.get(header) == value
