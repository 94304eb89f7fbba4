import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from eventhub.events.models import Event, EventOrganisation
from eventhub.extensions import db
from eventhub.invitations import services
from eventhub.invitations.models import Invitation, MailOptOut
from eventhub.mail.models import OutboxMessage
from eventhub.organisations.models import Organisation
from eventhub.registrations.models import Registration
from tests.factories import ContactFactory, EventFactory, OrganisationFactory
from tests.test_registrations import spanish

WINTER = datetime(2027, 7, 15, 14, 0, tzinfo=UTC)  # 10:00 in Santiago


@pytest.fixture
def world(app):
    """A published round table and two municipalities with their migration offices."""
    with app.app_context():
        event = EventFactory(
            title="Mesa intermunicipal de Lo Prado",
            published=True,
            starts_at=WINTER,
            ends_at=WINTER + timedelta(hours=3),
        )
        quilicura = OrganisationFactory(name="Municipalidad de Quilicura")
        recoleta = OrganisationFactory(name="Municipalidad de Recoleta")
        ContactFactory(
            organisation=quilicura,
            name="Oficina de Migrantes",
            email="migrantes@quilicura.example.org",
            is_primary=True,
        )
        ContactFactory(
            organisation=quilicura, name="Juan Carrasco", email="alcalde@quilicura.example.org"
        )
        ContactFactory(
            organisation=recoleta,
            name="Daniel Jadue",
            email="alcalde@recoleta.example.org",
            language="en",
            is_primary=True,
        )
        db.session.commit()
        return {"event": event.id, "quilicura": quilicura.id, "recoleta": recoleta.id}


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def invite(client, event_id, send=True, **fields):
    data = {"whom": "primary", "extra": "", "extra_language": "es", **fields}
    data["send" if send else "preview"] = "1"
    return client.post(f"/events/{event_id}/invitations/new", data=data)


def link_of(app, email) -> str:
    with app.app_context():
        message = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to_address == email)
            .order_by(OutboxMessage.id.desc())
        ).first()
        return re.search(r"http://eventhub\.test(/i/[\w-]+)", message.text_body).group(1)


def test_preview_lists_recipients_and_writes_nothing(app, organiser_client, world):
    response = invite(
        organiser_client,
        world["event"],
        send=False,
        organisation_ids=[world["quilicura"], world["recoleta"]],
        extra="Ana <ana@example.org>\nnot-an-address\nana@example.org",
    )
    page = response.get_data(as_text=True).split('id="preview-heading"')[1]
    assert "migrantes@quilicura.example.org" in page and "alcalde@recoleta.example.org" in page
    assert "alcalde@quilicura.example.org" not in page  # primary contacts only
    assert "ana@example.org" in page and "not-an-address" in page
    assert count(app, Invitation) == 0 and count(app, OutboxMessage) == 0


def test_send_queues_one_email_per_invitee_in_their_language(app, organiser_client, world):
    response = invite(
        organiser_client,
        world["event"],
        whom="all",
        organisation_ids=[world["quilicura"], world["recoleta"]],
    )
    assert response.status_code == 302
    assert "batch=" in response.headers["Location"]
    with app.app_context():
        messages = {m.to_address: m for m in db.session.scalars(select(OutboxMessage))}
        assert set(messages) == {
            "migrantes@quilicura.example.org",
            "alcalde@quilicura.example.org",
            "alcalde@recoleta.example.org",
        }
        spanish, english = (
            messages["migrantes@quilicura.example.org"],
            messages["alcalde@recoleta.example.org"],
        )
        assert spanish.subject == "Invitación: Mesa intermunicipal de Lo Prado"
        assert english.subject == "Invitation: Mesa intermunicipal de Lo Prado"
        assert "10:00–13:00" in spanish.text_body and "/i/" in spanish.html_body
        assert spanish.reply_to == "organiser@example.org"
        assert spanish.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert spanish.headers["List-Unsubscribe"].startswith("<http://eventhub.test/unsubscribe/")
        [attachment] = spanish.attachments
        assert attachment["filename"] == "invitation.ics" and "BEGIN:VEVENT" in attachment["data"]
        event = db.session.get(Event, world["event"])
        assert {p.organisation_id for p in event.participations} >= {
            world["quilicura"],
            world["recoleta"],
        }
        tokens = db.session.scalars(select(Invitation.token_hash)).all()
        assert all(len(t) == 64 for t in tokens) and "/i/" not in "".join(tokens)


def test_inviting_twice_is_refused_with_the_existing_invitation(app, organiser_client, world):
    invite(organiser_client, world["event"], organisation_ids=[world["quilicura"]])
    page = (
        invite(organiser_client, world["event"], send=False, organisation_ids=[world["quilicura"]])
        .get_data(as_text=True)
        .split('id="preview-heading"')[1]
    )
    assert "ya invitado" in page and "#invitation-" in page
    second = invite(organiser_client, world["event"], organisation_ids=[world["quilicura"]])
    assert second.status_code == 200  # nobody left to invite
    assert count(app, Invitation) == 1


def test_draft_or_cancelled_events_cannot_invite(app, organiser_client, world):
    with app.app_context():
        draft = EventFactory().id
        db.session.commit()
    response = invite(organiser_client, draft, organisation_ids=[world["quilicura"]])
    assert response.status_code == 200
    assert count(app, Invitation) == 0 and count(app, OutboxMessage) == 0


def test_a_draft_says_before_anything_is_typed_that_it_must_be_published(
    app, organiser_client, world
):
    with app.app_context():
        draft = EventFactory().id
        db.session.commit()
    for page in (f"/events/{draft}/invitations/new", f"/events/{draft}/invitations"):
        html = organiser_client.get(page).text
        notice = html.split('id="cannot-invite"')[1].split("</div>")[0]
        assert spanish(app, "Publish the event") in notice
        assert f'action="/events/{draft}/publish"' in notice
        assert html.index('id="cannot-invite"') < html.index('<form method="get"')
    organiser_client.post(f"/events/{draft}/publish")
    assert 'id="cannot-invite"' not in organiser_client.get(f"/events/{draft}/invitations/new").text
    published = organiser_client.get(f"/events/{world['event']}/invitations/new").text
    assert 'id="cannot-invite"' not in published


def test_accept_decline_and_change_the_answer(app, organiser_client, world):
    invite(organiser_client, world["event"], organisation_ids=[world["quilicura"]])
    link = link_of(app, "migrantes@quilicura.example.org")
    visitor = app.test_client()
    page = visitor.get(link).get_data(as_text=True)  # a GET changes nothing
    assert "Mesa intermunicipal de Lo Prado" in page and 'value="Oficina de Migrantes"' in page
    assert count(app, Registration) == 0
    assert visitor.post(f"{link}/accept", data={"name": "María Pérez"}).status_code == 302
    with app.app_context():
        registration = db.session.scalars(select(Registration)).one()
        assert (registration.name, registration.email, registration.status) == (
            "María Pérez",
            "migrantes@quilicura.example.org",
            "confirmed",
        )
        assert registration.organisation_id == world["quilicura"]
    visitor.post(f"{link}/decline", data={"reason": "Coincide con el concejo municipal"})
    with app.app_context():
        invitation = db.session.scalars(select(Invitation)).one()
        assert invitation.response == "declined" and invitation.registration.status == "cancelled"
    visitor.post(f"{link}/accept", data={"name": "María Pérez"})
    with app.app_context():
        assert db.session.scalars(select(Registration)).one().status == "confirmed"
    assert visitor.post(f"{link}/accept", data={"name": ""}).status_code == 422


def registration_link(app, email) -> str:
    with app.app_context():
        message = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to_address == email, OutboxMessage.topic.like("registration-%"))
            .order_by(OutboxMessage.id.desc())
        ).first()
        return re.search(r"http://eventhub\.test(/r/[\w-]+)", message.text_body).group(1)


def answer_on(page: str) -> str:
    return re.search(r'<p class="answer[^"]*" role="status">(.*?)</p>', page, re.S).group(1)


def test_accepting_a_full_event_says_waiting_list_and_position(app, organiser_client, world):
    with app.app_context():
        event = db.session.get(Event, world["event"])
        event.capacity = 1
        db.session.commit()
    invite(organiser_client, world["event"], whom="all", organisation_ids=[world["quilicura"]])
    first = app.test_client()
    first.post(f"{link_of(app, 'migrantes@quilicura.example.org')}/accept", data={"name": "Ana"})
    second = app.test_client()
    link = link_of(app, "alcalde@quilicura.example.org")
    response = second.post(f"{link}/accept", data={"name": "Juan"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "confirmado" not in page
    assert "Gracias. El evento está completo: usted es el número 1 en la lista de espera." in page
    assert "Aceptó, pero el evento está completo: usted es el número 1 en la lista de espera." in (
        answer_on(page)
    )
    with app.app_context():
        statuses = {r.email: r.status for r in db.session.scalars(select(Registration))}
        assert statuses["alcalde@quilicura.example.org"] == "waiting"
    # The place frees up: the page now says confirmed.
    first.post(f"{registration_link(app, 'migrantes@quilicura.example.org')}/cancel")
    assert "su cupo está confirmado" in answer_on(second.get(link).get_data(as_text=True))


def test_accepting_while_awaiting_approval_says_so(app, organiser_client, world):
    with app.app_context():
        event = db.session.get(Event, world["event"])
        event.registration_mode, event.requires_approval = "open", True
        db.session.commit()
    invite(organiser_client, world["event"], organisation_ids=[world["quilicura"]])
    link = link_of(app, "migrantes@quilicura.example.org")
    # Registered on the public form before answering: awaiting approval.
    app.test_client().post(
        f"/events/{world['event']}/register",
        data={"name": "Ana", "email": "migrantes@quilicura.example.org"},
    )
    visitor = app.test_client()
    page = visitor.post(f"{link}/accept", data={"name": "Ana"}, follow_redirects=True)
    page = page.get_data(as_text=True)
    assert "confirmado" not in page
    assert "los organizadores confirmarán su cupo pronto" in answer_on(page)


def test_the_invitation_follows_its_registration_both_ways(app, organiser_client, world):
    invite(organiser_client, world["event"], organisation_ids=[world["quilicura"]])
    email = "migrantes@quilicura.example.org"
    invitee = app.test_client()
    link = link_of(app, email)
    invitee.post(f"{link}/accept", data={"name": "María"})
    table = f"/events/{world['event']}/invitations"

    # The invitee cancels on their registration page.
    invitee.post(f"{registration_link(app, email)}/cancel")
    page = organiser_client.get(table).get_data(as_text=True)
    assert "Municipalidad de Quilicura: 1 invitado, 0 aceptaron, 0 rechazaron" in page
    assert "Inscripción cancelada" in page
    assert email not in organiser_client.get(f"{table}?state=accepted").get_data(as_text=True)
    own = invitee.get(link).get_data(as_text=True)
    assert "confirmado" not in answer_on(own) and "Su inscripción está cancelada" in own
    assert 'id="accept-form"' in own  # and they can accept again

    invitee.post(f"{link}/accept", data={"name": "María"})
    with app.app_context():
        invitation = db.session.scalars(select(Invitation)).one()
        assert (invitation.response, invitation.registration.status) == ("accepted", "confirmed")
        registration_id = invitation.registration_id
    page = organiser_client.get(table).get_data(as_text=True)
    assert "Municipalidad de Quilicura: 1 invitado, 1 aceptó, 0 rechazaron" in page

    # An organiser removes the participant: the same.
    organiser_client.post(f"/events/{world['event']}/participants/{registration_id}/remove")
    with app.app_context():
        assert db.session.scalars(select(Invitation)).one().state == "cancelled"
    assert "Su inscripción está cancelada" in answer_on(invitee.get(link).get_data(as_text=True))

    # Declining after a cancellation stays a decline.
    invitee.post(f"{link}/decline", data={"reason": ""})
    with app.app_context():
        assert db.session.scalars(select(Invitation)).one().response == "declined"


def test_mail_kept_in_the_outbox_is_not_counted_as_sent_nor_as_waiting(
    app, organiser_client, world
):
    from eventhub.mail.worker import deliver_due

    assert app.config["MAIL_BACKEND"] == "sink"
    response = invite(organiser_client, world["event"], organisation_ids=[world["quilicura"]])
    with app.app_context():
        assert deliver_due().kept == 1
    page = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    progress = page.split('id="batch-progress"')[1].split("</div>")[0]
    assert "0 en cola, 0 enviadas, 0 fallidas, 1 guardada en la bandeja de salida" in progress
    assert 'http-equiv="refresh"' not in page  # done: nothing more will move
    assert "Sin respuesta" in page.split('id="invitations"')[1]


@pytest.mark.parametrize("token", ["nope", "A" * 43, "x" * 300])
def test_invalid_links_say_so_and_reveal_nothing(client, token):
    response = client.get(f"/i/{token}")
    assert response.status_code == 404
    assert "no es válido" in response.get_data(as_text=True)
    assert client.post(f"/i/{token}/accept", data={"name": "X"}).status_code == 404


def test_revoked_link_stops_working_and_cancels_the_place(app, organiser_client, world):
    invite(organiser_client, world["event"], organisation_ids=[world["quilicura"]])
    link = link_of(app, "migrantes@quilicura.example.org")
    visitor = app.test_client()
    visitor.post(f"{link}/accept", data={"name": "María"})
    with app.app_context():
        invitation_id = db.session.scalars(select(Invitation.id)).one()
    organiser_client.post(f"/events/{world['event']}/invitations/{invitation_id}/revoke")
    assert visitor.get(link).status_code == 404
    with app.app_context():
        assert db.session.scalars(select(Registration)).one().status == "cancelled"


def test_table_counts_filters_and_actions(app, organiser_client, world):
    invite(
        organiser_client,
        world["event"],
        whom="all",
        organisation_ids=[world["quilicura"], world["recoleta"]],
    )
    app.test_client().post(
        f"{link_of(app, 'migrantes@quilicura.example.org')}/accept", data={"name": "María"}
    )
    with app.app_context():
        for message in db.session.scalars(select(OutboxMessage)):
            message.status = "sent"
        failed = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == "alcalde@recoleta.example.org")
        ).one()
        failed.status, failed.last_error = "failed", "550 5.1.1 mailbox unavailable"
        db.session.commit()
    page = organiser_client.get(f"/events/{world['event']}/invitations").get_data(as_text=True)
    assert "Municipalidad de Quilicura: 2 invitados, 1 aceptó, 0 rechazaron" in page
    assert "550 5.1.1 mailbox unavailable" in page
    accepted = organiser_client.get(f"/events/{world['event']}/invitations?state=accepted")
    assert "migrantes@quilicura" in accepted.get_data(as_text=True)
    assert "alcalde@recoleta" not in accepted.get_data(as_text=True)
    organiser_client.get(f"/events/{world['event']}/invitations?state=bogus&sort=bogus")

    organiser_client.post(f"/events/{world['event']}/invitations/remind")
    organiser_client.post(f"/events/{world['event']}/invitations/resend-failed")
    with app.app_context():
        invitations = {i.email: i for i in db.session.scalars(select(Invitation))}
        assert invitations["alcalde@quilicura.example.org"].reminders_sent == 1
        assert invitations["migrantes@quilicura.example.org"].reminders_sent == 0
        assert invitations["alcalde@recoleta.example.org"].state == "queued"
        reminder = invitations["alcalde@quilicura.example.org"].outbox_message
        assert reminder.subject.startswith("Recordatorio")
        # The reminder carries the same personal link.
        assert link_of(app, "alcalde@quilicura.example.org") in reminder.text_body


def test_one_click_opt_out_and_later_invitations_skip(make_app, world):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        from eventhub.invitations.mail import opt_out_token

        with app.test_request_context():
            token = opt_out_token("alcalde@recoleta.example.org")
    client = app.test_client()
    assert "alcalde@recoleta" in client.get(f"/unsubscribe/{token}").get_data(as_text=True)
    response = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert count(app, MailOptOut) == 1
    assert client.get("/unsubscribe/forged-token").status_code == 404
    with app.app_context(), app.test_request_context():
        plan = services.plan_invitations(
            db.session.get(Event, world["event"]), [world["recoleta"]], False, [], ""
        )
        assert plan.recipients == [] and "alcalde@recoleta.example.org" in plan.skipped[0].who


def test_header_injection_is_neutralised(app, organiser_client, world):
    with app.app_context():
        ContactFactory(
            organisation=db.session.get(Organisation, world["recoleta"]),
            name="Eve\r\nBcc: all@evil.example",
            email="eve@example.org",
        )
        event = db.session.get(Event, world["event"])
        event.title = "Mesa\r\nBcc: all@evil.example"
        db.session.commit()
    invite(organiser_client, world["event"], whom="all", organisation_ids=[world["recoleta"]])
    with app.app_context():
        message = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == "eve@example.org")
        ).one()
        assert "\n" not in message.subject and "\r" not in message.subject
        assert "\n" not in message.to_name


def test_a_large_sending_writes_each_table_with_one_insert_and_links_every_row(
    app, world, count_queries
):
    """Many invitations at once: one INSERT per table whatever the count (not one object
    flush each), and every invitation points at its own email, whose link finds it."""

    from eventhub.auth.models import User
    from tests.factories import UserFactory

    def send(count: int, offset: int) -> tuple[int, list[str]]:
        with app.app_context(), app.test_request_context():
            organisations = []
            for n in range(offset, offset + count):
                organisation = OrganisationFactory(name=f"Municipalidad {n}")
                ContactFactory(
                    organisation=organisation, email=f"m{n}@example.org", is_primary=True
                )
                organisations.append(organisation)
            organiser_id = UserFactory().id
            db.session.commit()
            event = db.session.get(Event, world["event"])
            plan = services.plan_invitations(event, [o.id for o in organisations], False, [], "")
            with count_queries(app) as statements:
                batch = services.send_invitations(event, plan, db.session.get(User, organiser_id))
            assert not db.session.new and not db.session.dirty  # nothing left to flush
            participating = {p.organisation_id for p in event.participations}
            assert participating >= {o.id for o in organisations}
            db.session.commit()
            invitations = db.session.scalars(
                select(Invitation).where(Invitation.batch_id == batch.id)
            ).all()
            assert len(invitations) == count
            for invitation in invitations:
                message = invitation.outbox_message
                assert message.to_address == invitation.email and message.topic == "invitation"
                token = re.search(r"/i/([\w-]+)", message.text_body).group(1)
                assert services.find_by_token(token).id == invitation.id
                assert invitation.response == "pending" and invitation.created_at
            return len(invitations), [s.split("(")[0].strip() for s in statements if "INSERT" in s]

    few, inserts_for_few = send(3, 0)
    many, inserts_for_many = send(30, 3)
    assert (few, many) == (3, 30)
    assert inserts_for_few == inserts_for_many
    assert len(inserts_for_many) == 4, inserts_for_many  # batch, emails, invitations, roles


def test_the_agenda_in_the_emails_costs_the_same_queries_however_long(app, world, count_queries):
    """The email and its .ics list the agenda with speakers: loaded once per sending, not
    two queries per agenda item."""
    from eventhub.agenda.models import AgendaItem, AgendaItemSpeaker
    from eventhub.auth.models import User
    from tests.factories import SpeakerFactory, UserFactory

    def statements_to_invite(items: int, email: str) -> int:
        with app.app_context(), app.test_request_context():
            event = EventFactory(
                published=True, starts_at=WINTER, ends_at=WINTER + timedelta(hours=3)
            )
            for n in range(items):
                item = AgendaItem(
                    title=f"Ponencia {n}",
                    kind="talk",
                    starts_at=WINTER + timedelta(minutes=5 * n),
                    ends_at=WINTER + timedelta(minutes=5 * n + 5),
                )
                item.speakers.append(AgendaItemSpeaker(speaker=SpeakerFactory(), role="speaker"))
                event.agenda_items.append(item)
            organiser_id = UserFactory().id
            db.session.commit()
            event_id = db.session.get(Event, event.id).id
            db.session.remove()
        with app.app_context(), app.test_request_context():
            event = db.session.get(Event, event_id)
            plan = services.plan_invitations(event, [], False, [], email)
            organiser = db.session.get(User, organiser_id)
            with count_queries(app) as statements:
                services.send_invitations(event, plan, organiser)
            message = db.session.scalars(
                select(OutboxMessage).order_by(OutboxMessage.id.desc())
            ).first()
            assert f"Ponencia {items - 1}" in message.text_body
            assert f"Ponencia {items - 1}" in message.attachments[0]["data"]
            db.session.commit()
        return len(statements)

    assert statements_to_invite(1, "a@example.org") == statements_to_invite(8, "b@example.org")


def test_batch_progress_and_organisations_become_invited(app, organiser_client, world):
    response = invite(organiser_client, world["event"], organisation_ids=[world["recoleta"]])
    page = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="batch-progress"' in page and 'http-equiv="refresh"' in page
    with app.app_context():
        roles = db.session.scalars(
            select(EventOrganisation.role).where(
                EventOrganisation.organisation_id == world["recoleta"]
            )
        ).all()
        assert roles == ["invited"]


def test_invitation_pages_need_an_organiser(client, world):
    assert client.get(f"/events/{world['event']}/invitations").status_code == 302
    assert client.post(f"/events/{world['event']}/invitations/new").status_code == 302


def test_invitation_carries_the_organisation_calendar_when_it_exists(app, organiser_client, world):
    organiser_client.post(f"/organisations/{world['quilicura']}/feed")
    invite(organiser_client, world["event"], organisation_ids=[world["quilicura"]])
    with app.app_context():
        message = db.session.scalars(select(OutboxMessage)).one()
        assert "webcal://eventhub.test/feeds/" in message.text_body


def test_hints_are_escaped_text(organiser_client, world):
    page = organiser_client.get(f"/events/{world['event']}/invitations/new").get_data(as_text=True)
    assert "Nombre &lt;nombre@example.org&gt;" in page


def test_a_batch_renders_each_email_once_yet_every_email_is_as_if_rendered_alone(app, world):
    """Sending to hundreds renders once per language and fills in the personal parts: the
    result must be exactly what rendering each email on its own gives."""
    from eventhub.agenda.models import AgendaItem, AgendaItemSpeaker
    from eventhub.auth.models import User
    from eventhub.calendar import services as calendar_services
    from eventhub.calendar.feeds import FeedKind
    from eventhub.invitations import mail as invitation_mail
    from tests.factories import SpeakerFactory, UserFactory

    with app.app_context(), app.test_request_context():
        event = db.session.get(Event, world["event"])
        item = AgendaItem(
            title='Bienvenida <y> "saludo" & café',
            kind="opening",
            starts_at=WINTER,
            ends_at=WINTER + timedelta(minutes=15),
        )
        item.speakers.append(AgendaItemSpeaker(speaker=SpeakerFactory(), role="host"))
        event.agenda_items.append(item)
        organiser = UserFactory()
        calendar_services.rotate_feed_token(FeedKind.ORGANISATION, world["quilicura"])
        db.session.commit()
        organiser = db.session.get(User, organiser.id)
        people = [
            ("ana@example.org", 'Ana <b>"Tere"</b> & Cía', "es", world["quilicura"]),
            ("bob@example.org", None, "en", world["recoleta"]),
            ("eve@example.org", "Eve O'Neil ⟦x⟧ \ue000", "en", world["quilicura"]),
            ("sin@example.org", "", "es", None),
        ]
        cache = invitation_mail.BatchCache()
        compared = 0
        for reminder in (False, True):
            for email, name, language, organisation_id in people:
                invitation = Invitation(
                    event=event,
                    event_id=event.id,
                    email=email,
                    name=name,
                    language=language,
                    organisation_id=organisation_id,
                    token_salt="salt",
                )
                token = services.invitation_token(invitation)
                batched = invitation_mail.build(invitation, token, organiser, reminder, cache)
                alone = invitation_mail.build(invitation, token, organiser, reminder)
                assert batched == alone
                assert token in batched.text_body and token in batched.html_body
                compared += 1
        db.session.rollback()
    assert compared == 8


# --- the invitation's voice: a note, who invites, the email previewed -------------------------


NOTE = "Les esperamos con **propuestas** concretas.\n\n<script>alert(1)</script> & más"


@pytest.fixture
def smtp_app(make_app, smtp_sink):
    return make_app(**smtp_sink.app_config())


def hosted_world(app, co_organiser=True) -> dict:
    """A round table hosted by Lo Prado (with OIM Chile co-organising), two invitees."""
    from eventhub.auth.models import User
    from eventhub.events.models import ParticipationRole
    from tests.factories import UserFactory

    with app.app_context():
        if db.session.scalar(select(User.id).where(User.email == "organiser@example.org")) is None:
            UserFactory(email="organiser@example.org", name="Ana Organiser")  # the creator
        host = OrganisationFactory(name="Municipalidad de Lo Prado")
        event = EventFactory(
            title="Mesa intermunicipal de Lo Prado",
            published=True,
            starts_at=WINTER,
            ends_at=WINTER + timedelta(hours=3),
            host_organisation=host,
        )
        if co_organiser:
            oim = OrganisationFactory(name="OIM Chile")
            event.participations.append(
                EventOrganisation(organisation=oim, role=ParticipationRole.CO_ORGANISER.value)
            )
        independencia = OrganisationFactory(name="Municipalidad de Independencia")
        cerro_navia = OrganisationFactory(name="Municipalidad de Cerro Navia")
        ContactFactory(organisation=independencia, email="migrantes@independencia.example.org")
        ContactFactory(
            organisation=cerro_navia, email="alcalde@cerronavia.example.org", language="en"
        )
        db.session.commit()
        return {"event": event.id, "organisations": [independencia.id, cerro_navia.id]}


def delivered(app, smtp_sink) -> dict:
    """Deliver what is queued; each recipient's (raw bytes, text part, HTML part)."""
    import email
    from email import policy

    from eventhub.mail.worker import deliver_due

    with app.app_context():
        deliver_due()
    received = {}
    for envelope in smtp_sink.envelopes:
        [recipient] = envelope.rcpt_tos
        raw = envelope.original_content
        message = email.message_from_bytes(raw, policy=policy.default)
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        received[recipient] = (raw, text, html)
    smtp_sink.clear()
    return received


def test_the_note_and_who_invites_reach_the_invitees_and_their_reminders(smtp_app, smtp_sink):
    from tests.conftest import login

    world = hosted_world(smtp_app)
    client = smtp_app.test_client()
    assert login(client, "organiser@example.org").status_code == 302
    page = client.get(f"/events/{world['event']}/invitations/new").get_data(as_text=True)
    assert "Municipalidad de Lo Prado y OIM Chile" in page  # the choice, in Spanish words
    response = invite(
        client,
        world["event"],
        organisation_ids=world["organisations"],
        inviters="co_organisers",
        note=NOTE,
    )
    assert response.status_code == 302

    received = delivered(smtp_app, smtp_sink)
    raw, text, html = received["migrantes@independencia.example.org"]
    assert b"Subject: =?utf-8?q?Invitaci=C3=B3n=3A?= Mesa intermunicipal de Lo Prado" in raw
    opening = "Municipalidad de Lo Prado y OIM Chile le invitan a:"
    before_the_event = text.split("Mesa intermunicipal de Lo Prado")[0]  # greeting, note, opening
    assert before_the_event.index("**propuestas** concretas.") < before_the_event.index(opening)
    assert "<script>alert(1)</script> & más" in text  # the text part says what was typed
    assert "<strong>propuestas</strong>" in html and opening in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; más" in html
    raw, text, html = received["alcalde@cerronavia.example.org"]
    assert "Municipalidad de Lo Prado and OIM Chile invite you to:" in text
    assert "Municipalidad de Lo Prado and OIM Chile invite you to:" in html
    assert "<strong>propuestas</strong>" in html

    # The sending keeps its voice: a reminder says the note and who invites again.
    assert client.post(f"/events/{world['event']}/invitations/remind").status_code == 302
    received = delivered(smtp_app, smtp_sink)
    _raw, text, html = received["migrantes@independencia.example.org"]
    assert "Le recordamos que Municipalidad de Lo Prado y OIM Chile le invitan" in text
    assert "**propuestas** concretas." in text and "<strong>propuestas</strong>" in html
    _raw, text, _html = received["alcalde@cerronavia.example.org"]
    assert "A reminder: Municipalidad de Lo Prado and OIM Chile invite you" in text


def test_the_host_invites_by_default_and_the_organiser_when_there_is_no_host(
    app, organiser_client, world
):
    hosted = hosted_world(app, co_organiser=False)
    page = organiser_client.get(f"/events/{hosted['event']}/invitations/new")
    assert 'value="co_organisers"' not in page.get_data(as_text=True)  # nobody co-organises
    invite(organiser_client, hosted["event"], organisation_ids=hosted["organisations"][:1])
    # No host organisation: the organiser invites, in their own name.
    invite(organiser_client, world["event"], organisation_ids=[world["quilicura"]])
    with app.app_context():
        bodies = {m.event_id: m.text_body for m in db.session.scalars(select(OutboxMessage))}
    assert "Municipalidad de Lo Prado le invita a:" in bodies[hosted["event"]]
    assert "Ana Organiser le invita a:" in bodies[world["event"]]


def test_a_mail_sent_before_senders_were_named_keeps_the_standard_opening(app, world):
    from eventhub.invitations.mail import Voice, preview

    with app.app_context(), app.test_request_context():
        event = db.session.get(Event, world["event"])
        mail = preview(event, Voice(), "es", None)
    assert "Está invitado/a a:" in mail.text and "le invita" not in mail.text


def test_the_preview_shows_the_email_in_both_languages_and_writes_nothing(
    app, organiser_client, world
):
    from eventhub.audit.models import AuditEntry
    from eventhub.invitations.models import InvitationBatch

    tables = (OutboxMessage, Invitation, InvitationBatch, EventOrganisation, AuditEntry)
    before = {model: count(app, model) for model in tables}
    response = invite(
        organiser_client,
        world["event"],
        send=False,
        organisation_ids=[world["quilicura"], world["recoleta"]],
        note=NOTE,
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert {model: count(app, model) for model in tables} == before
    spanish = page.split('id="mail-preview-es"')[1].split('id="mail-preview-en"')[0]
    english = page.split('id="mail-preview-en"')[1]
    assert "Invitación: Mesa intermunicipal de Lo Prado" in spanish
    assert "Ana Organiser le invita a:" in spanish and "Oficina de Migrantes" in spanish
    assert "Invitation: Mesa intermunicipal de Lo Prado" in english
    assert "Ana Organiser invites you to:" in english and "Daniel Jadue" in english
    # The HTML email sits in a sandboxed frame; the note's script is text everywhere.
    assert '<iframe class="mail-html" sandbox=""' in spanish
    assert "<script>alert" not in page
    srcdoc = re.search(r'srcdoc="([^"]*)"', spanish).group(1)
    assert "&lt;strong&gt;propuestas&lt;/strong&gt;" in srcdoc
    assert "&amp;lt;script&amp;gt;" in srcdoc  # escaped in the email, then in the attribute
    assert f"{NOTE.split('<')[0]}" in spanish  # the text version, as typed (escaped)


def test_a_note_too_long_or_an_unknown_sender_is_refused_with_a_message(
    app, organiser_client, world
):
    from eventhub.invitations.models import NOTE_MAX

    for fields in ({"note": "x" * (NOTE_MAX + 1)}, {"inviters": "someone_else"}):
        response = invite(
            organiser_client, world["event"], organisation_ids=[world["quilicura"]], **fields
        )
        assert response.status_code == 200
        assert 'class="errors"' in response.get_data(as_text=True)
    assert count(app, Invitation) == 0 and count(app, OutboxMessage) == 0


@pytest.mark.usefixtures("nothing_kept")
def test_the_form_costs_the_same_queries_for_35_and_350_organisations(
    app, organiser_client, world, count_queries
):
    def organisations(total: int) -> None:
        with app.app_context():
            have = count(app, Organisation)
            for n in range(have, total):
                organisation = OrganisationFactory(name=f"Municipalidad {n:03d}")
                ContactFactory(organisation=organisation, is_primary=True)
                ContactFactory(organisation=organisation)
            db.session.commit()

    def statements() -> int:
        with count_queries(app) as recorded:
            response = organiser_client.get(f"/events/{world['event']}/invitations/new")
        assert response.status_code == 200
        return len(recorded)

    invite(organiser_client, world["event"], organisation_ids=[world["quilicura"]])
    organisations(35)
    few = statements()
    organisations(350)
    page = organiser_client.get(f"/events/{world['event']}/invitations/new").get_data(as_text=True)
    assert page.count('name="organisation_ids"') == 350
    assert page.count('class="invited-mark"') == 1  # the contact invited above
    assert statements() == few
