"""The outbox worker against a real SMTP server (aiosmtpd), the CLI, and the Outbox pages."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from eventhub import ROOT
from eventhub.extensions import db
from eventhub.mail import services
from eventhub.mail.models import OutboxMessage, OutboxStatus
from eventhub.mail.services import Attachment, OutgoingMail
from eventhub.mail.worker import INTERRUPTED, deliver_due, retry_delay
from eventhub.orm import utcnow
from tests.conftest import login
from tests.factories import EventFactory, UserFactory
from tests.smtp import free_port, silent_server

SUBJECT = "Invitación: Mesa de Peñalolén"
ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//EventHub//test//ES\r\nBEGIN:VEVENT\r\n"
    "UID:mesa@eventhub\r\nSUMMARY:Mesa intermunicipal\r\nLOCATION:Municipalidad de Peñalolén\r\n"
    "DTSTART:20261215T130000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.fixture
def smtp_app(make_app, smtp_sink):
    return make_app(**smtp_sink.app_config(MAIL_RETRY_BASE_SECONDS=60))


def enqueue(app, count=1, **fields) -> list[int]:
    with app.app_context():
        ids = []
        for n in range(count):
            mail = OutgoingMail(
                to_address=fields.get("to_address", f"contact{n}@example.org"),
                to_name=fields.get("to_name", f"Contacto {n}"),
                subject=fields.get("subject", f"Mensaje {n}"),
                text_body=fields.get("text_body", f"Hola {n}"),
                html_body=fields.get("html_body"),
                reply_to=fields.get("reply_to"),
                attachments=fields.get("attachments", []),
                headers=fields.get("headers", {}),
                topic=fields.get("topic", "test"),
            )
            message = services.enqueue(mail)
            db.session.flush()
            ids.append(message.id)
        db.session.commit()
        return ids


def load(app, message_id) -> OutboxMessage:
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        db.session.expunge(message)
        return message


def statuses(app, ids) -> list[str]:
    return [load(app, message_id).status for message_id in ids]


def make_due(app, ids) -> None:
    with app.app_context():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()


def run(app, **kwargs):
    with app.app_context():
        return deliver_due(**kwargs)


# --- delivery over SMTP ----------------------------------------------------------------------


def test_delivers_a_batch_over_one_connection(smtp_app, smtp_sink):
    ids = enqueue(
        smtp_app,
        3,
        to_name="María Peñalolén, Jefa",
        subject=SUBJECT,
        text_body="Estimada María:\nLa invitamos a la mesa.",
        html_body="<p>Estimada <strong>María</strong>: la invitamos.</p>",
        reply_to="Ana Organiser <ana@example.org>",
        attachments=[Attachment("invitacion.ics", "text/calendar; method=REQUEST", ICS)],
        headers={"X-EventHub-Event": "42"},
    )
    report = run(smtp_app)

    assert (report.claimed, report.sent, report.retry, report.failed) == (3, 3, 0, 0)
    assert report.connections == 1
    assert smtp_sink.connections == 1
    assert statuses(smtp_app, ids) == ["sent"] * 3
    rows = [load(smtp_app, message_id) for message_id in ids]
    assert all(row.sent_at and row.attempts == 1 and row.claimed_at for row in rows)

    received = {str(message["Message-ID"]): message for message in smtp_sink.messages}
    assert set(received) == {row.message_id for row in rows}
    message = received[rows[0].message_id]
    assert message["Subject"] == SUBJECT
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Reply-To"].addresses[0].addr_spec == "ana@example.org"
    assert message["From"].addresses[0].addr_spec == "eventhub@example.org"
    to = message["To"].addresses[0]
    assert (to.display_name, to.addr_spec) == ("María Peñalolén, Jefa", "contact0@example.org")
    assert message["X-EventHub-Event"] == "42"
    assert message.is_multipart()
    assert "la invitamos a la mesa" in message.get_body(("plain",)).get_content().lower()
    assert "<strong>María</strong>" in message.get_body(("html",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "invitacion.ics"
    assert attachment.get_content_type() == "text/calendar"
    assert "LOCATION:Municipalidad de Peñalolén" in attachment.get_content()
    assert smtp_sink.envelopes[0].rcpt_tos == ["contact0@example.org"]
    assert smtp_sink.envelopes[0].mail_from == "eventhub@example.org"


def test_wire_bytes_are_the_email_packages_own(app):
    """The worker's faster generator writes exactly what the email package's ``as_bytes()``
    writes with the SMTP policy told to refold nothing (long encoded subjects and names, long
    header values, attachments, CRLF line ends)."""
    import random
    from email.policy import SMTP

    from eventhub.mail.claims import ClaimedMessage
    from eventhub.mail.mime import build_mime, to_bytes

    job = ClaimedMessage(
        id=1,
        attempts=0,
        to_address="maria@example.org",
        to_name="María José Peñalolén-Ñuñoa, Jefa de la Oficina Municipal de Migrantes",
        subject="Invitación a la mesa intermunicipal de Peñalolén, Ñuñoa y Estación Central " * 3,
        text_body="Estimada María:\nLa invitamos.\n" * 40,
        html_body="<p>Estimada <strong>María</strong>: la invitamos.</p>",
        reply_to="Ana Organiser <ana@example.org>",
        message_id="<abc@eventhub.test>",
        headers={
            "List-Unsubscribe": "<http://eventhub.test/invitations/opt-out/" + "x" * 120 + ">",
            "X-EventHub-Event": "Mesa de Peñalolén",
        },
        attachments=[
            {"filename": "invitación.ics", "content_type": "text/calendar", "data": ICS},
            {
                "filename": "acta.pdf",
                "content_type": "application/pdf",
                "data": "JVBERi0=",
                "encoding": "base64",
            },
        ],
    )
    with app.app_context():
        random.seed(7)  # the MIME boundaries
        ours = to_bytes(build_mime(job, date=1_800_000_000))
        random.seed(7)
        theirs = build_mime(job, date=1_800_000_000).as_bytes(
            policy=SMTP.clone(refold_source="none")
        )
    assert ours == theirs
    assert b"\r\n" in ours and b"\n" not in ours.replace(b"\r\n", b"")


def test_nothing_due_opens_no_connection(smtp_app, smtp_sink):
    report = run(smtp_app)
    assert report.claimed == 0 and report.connections == 0
    assert smtp_sink.connections == 0


def test_not_yet_due_messages_wait(smtp_app, smtp_sink):
    [later] = enqueue(smtp_app)
    with smtp_app.app_context():
        db.session.execute(
            update(OutboxMessage).values(next_attempt_at=utcnow() + timedelta(minutes=5))
        )
        db.session.commit()
    assert run(smtp_app).claimed == 0
    assert load(smtp_app, later).status == "queued"


def test_batch_size_limits_a_run(smtp_app, smtp_sink):
    ids = enqueue(smtp_app, 5)
    assert run(smtp_app, batch_size=2).sent == 2
    assert statuses(smtp_app, ids) == ["sent", "sent", "queued", "queued", "queued"]


def test_refused_connection_retries_with_backoff_then_fails(make_app):
    app = make_app(
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=free_port(),  # nothing listens there
        MAIL_SUPPRESS_SEND=False,
        MAIL_DEFAULT_SENDER="EventHub <eventhub@example.org>",
        MAIL_RETRY_BASE_SECONDS=60,
        MAIL_MAX_ATTEMPTS=3,
    )
    [message_id] = enqueue(app)

    before = utcnow()
    report = run(app)
    assert (report.retry, report.connections) == (1, 0)
    message = load(app, message_id)
    assert (message.status, message.attempts) == ("retry", 1)
    assert message.claimed_by is None
    assert "refused" in message.last_error
    assert before + timedelta(seconds=59) < message.next_attempt_at
    assert message.next_attempt_at < utcnow() + timedelta(seconds=61)

    assert run(app).claimed == 0  # not due yet
    make_due(app, [message_id])
    run(app)
    message = load(app, message_id)
    assert (message.status, message.attempts) == ("retry", 2)
    assert message.next_attempt_at > utcnow() + timedelta(seconds=115)  # doubled

    make_due(app, [message_id])
    report = run(app)
    assert report.failed == 1
    message = load(app, message_id)
    assert (message.status, message.attempts) == ("failed", 3)
    assert "gave up after 3 attempts" in message.last_error


def test_backoff_is_capped(app):
    with app.app_context():
        assert retry_delay(1) == timedelta(seconds=60)
        assert retry_delay(4) == timedelta(seconds=480)
        assert retry_delay(40) == timedelta(hours=6)


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_temporary_refusal_451_is_retried(smtp_app, smtp_sink, stage):
    smtp_sink.reject("contact1@example.org", "451 4.7.1 Greylisted, try again later", stage)
    ids = enqueue(smtp_app, 3)
    report = run(smtp_app)
    assert (report.sent, report.retry, report.connections) == (2, 1, 1)
    assert statuses(smtp_app, ids) == ["sent", "retry", "sent"]
    refused = load(smtp_app, ids[1])
    assert refused.last_error.startswith("451")
    assert "Greylisted" in refused.last_error

    smtp_sink.accept("contact1@example.org")
    make_due(smtp_app, [ids[1]])
    assert run(smtp_app).sent == 1
    assert load(smtp_app, ids[1]).status == "sent"
    assert sorted(smtp_sink.message_ids().values()) == [1, 1, 1]


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_permanent_refusal_550_fails_at_once(smtp_app, smtp_sink, stage):
    smtp_sink.reject("contact0@example.org", "550 5.1.1 No such mailbox here", stage)
    ids = enqueue(smtp_app, 2)
    report = run(smtp_app)
    assert (report.sent, report.failed) == (1, 1)
    failed = load(smtp_app, ids[0])
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert "550" in failed.last_error and "No such mailbox" in failed.last_error
    assert load(smtp_app, ids[1]).status == "sent"


def test_421_closing_is_retried_and_the_batch_goes_on_over_a_new_connection(smtp_app, smtp_sink):
    smtp_sink.reject("contact1@example.org", "421 4.3.2 Service shutting down", "data")
    ids = enqueue(smtp_app, 3)
    report = run(smtp_app)
    assert (report.sent, report.retry, report.connections) == (2, 1, 2)
    assert statuses(smtp_app, ids) == ["sent", "retry", "sent"]
    assert load(smtp_app, ids[1]).last_error.startswith("421")


def test_mail_max_emails_caps_the_batch(make_app, smtp_sink):
    app = make_app(**smtp_sink.app_config(MAIL_MAX_EMAILS=2))
    ids = enqueue(app, 5)
    report = run(app)
    assert (report.claimed, report.sent, report.connections) == (2, 2, 1)
    assert statuses(app, ids).count("sent") == 2


def test_connection_dropped_mid_batch_loses_nothing_and_sends_nothing_twice(smtp_app, smtp_sink):
    ids = enqueue(smtp_app, 6)
    smtp_sink.drop_after(2)  # the 3rd message finds the connection gone

    report = run(smtp_app)
    assert smtp_sink.handler.dropped == 1
    assert (report.sent, report.retry, report.released) == (5, 1, 0)
    assert report.connections == 2  # one reconnect for the rest of the batch
    assert statuses(smtp_app, ids) == ["sent", "sent", "retry", "sent", "sent", "sent"]
    assert "closed the connection" in load(smtp_app, ids[2]).last_error

    make_due(smtp_app, [ids[2]])
    assert run(smtp_app).sent == 1
    assert statuses(smtp_app, ids) == ["sent"] * 6
    counts = smtp_sink.message_ids()
    assert len(counts) == 6 and set(counts.values()) == {1}


def test_when_reconnecting_fails_the_rest_is_released_untouched(smtp_app, smtp_sink, monkeypatch):
    from eventhub.mail import worker

    real_connect = worker._connect
    calls = []

    def connect_once(settings):
        calls.append(settings)
        if len(calls) > 1:
            raise ConnectionRefusedError(111, "Connection refused")
        return real_connect(settings)

    monkeypatch.setattr(worker, "_connect", connect_once)
    ids = enqueue(smtp_app, 6)
    smtp_sink.drop_after(2)

    report = run(smtp_app)
    assert (report.sent, report.retry, report.released) == (2, 1, 3)
    assert statuses(smtp_app, ids) == ["sent", "sent", "retry", "queued", "queued", "queued"]
    released = [load(smtp_app, message_id) for message_id in ids[3:]]
    assert all(m.attempts == 0 and m.claimed_by is None for m in released)

    monkeypatch.setattr(worker, "_connect", real_connect)
    make_due(smtp_app, ids)
    assert run(smtp_app).sent == 4
    assert statuses(smtp_app, ids) == ["sent"] * 6
    assert set(smtp_sink.message_ids().values()) == {1}
    assert len(smtp_sink.messages) == 6


def test_unexpected_error_releases_what_was_not_attempted(smtp_app, smtp_sink, monkeypatch):
    from eventhub.mail import worker

    ids = enqueue(smtp_app, 3)
    real_start = worker._start_sending
    started = []

    def crash_on_second(job, worker_id, accepted, report):
        started.append(job.id)
        if len(started) == 2:
            raise RuntimeError("the database went away")
        return real_start(job, worker_id, accepted, report)

    monkeypatch.setattr(worker, "_start_sending", crash_on_second)
    with pytest.raises(RuntimeError):
        run(smtp_app)
    assert statuses(smtp_app, ids) == ["sent", "queued", "queued"]


def test_stale_claims_are_requeued_and_stale_sends_never_resent(smtp_app, smtp_sink):
    ids = enqueue(smtp_app, 3)
    lease = smtp_app.config["MAIL_CLAIM_LEASE_SECONDS"]
    long_ago = utcnow() - timedelta(seconds=lease + 5)
    with smtp_app.app_context():
        for message_id, status, claimed_at in (
            (ids[0], OutboxStatus.CLAIMED, long_ago),  # a dead worker's claim
            (ids[1], OutboxStatus.SENDING, long_ago),  # died while talking to SMTP
            (ids[2], OutboxStatus.CLAIMED, utcnow()),  # a live worker's claim
        ):
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .values(status=status.value, claimed_by="dead-worker", claimed_at=claimed_at)
            )
        db.session.commit()

    report = run(smtp_app)
    assert (report.recovered, report.interrupted) == (1, 1)
    assert report.sent == 1  # the requeued claim, in the same run
    assert statuses(smtp_app, ids) == ["sent", "failed", "claimed"]
    assert load(smtp_app, ids[1]).last_error == INTERRUPTED
    sent_ids = set(smtp_sink.message_ids())
    assert load(smtp_app, ids[0]).message_id in sent_ids
    assert load(smtp_app, ids[1]).message_id not in sent_ids
    assert load(smtp_app, ids[2]).message_id not in sent_ids

    # A second run changes nothing for the interrupted one.
    run(smtp_app)
    assert load(smtp_app, ids[1]).status == "failed"


def test_stale_claim_goes_back_to_queued(make_app):
    app = make_app(MAIL_BACKEND="sink")
    [message_id] = enqueue(app)
    with app.app_context():
        db.session.execute(
            update(OutboxMessage).values(
                status="claimed",
                claimed_by="dead-worker",
                claimed_at=utcnow() - timedelta(hours=1),
                next_attempt_at=utcnow() + timedelta(hours=1),  # so it is not claimed again
            )
        )
        db.session.commit()
    report = run(app)
    assert (report.recovered, report.claimed) == (1, 0)
    message = load(app, message_id)
    assert (message.status, message.claimed_by, message.attempts) == ("queued", None, 0)


@pytest.mark.xdist_group("timed")
def test_hung_server_times_out_and_is_retried(make_app):
    with silent_server() as port:
        app = make_app(
            MAIL_BACKEND="smtp",
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=port,
            MAIL_SUPPRESS_SEND=False,
            MAIL_SEND_TIMEOUT=1,
            MAIL_RETRY_BASE_SECONDS=60,
        )
        ids = enqueue(app, 2)
        started = time.monotonic()
        report = run(app)
        elapsed = time.monotonic() - started
    assert elapsed < 5
    assert report.retry == 2
    assert statuses(app, ids) == ["retry", "retry"]
    assert "did not answer within 1 seconds" in load(app, ids[0]).last_error
    assert socket.getdefaulttimeout() is None  # restored


def test_bad_header_fails_without_sending(smtp_app, smtp_sink):
    [good] = enqueue(smtp_app)
    with smtp_app.app_context():
        bad = OutboxMessage(
            to_address="x@example.org",
            subject="Line one\nBcc: victim@example.org",
            text_body="hello",
            message_id="<bad@eventhub.local>",
        )
        db.session.add(bad)
        db.session.commit()
        bad_id = bad.id
    report = run(smtp_app)
    assert (report.sent, report.failed) == (1, 1)
    assert load(smtp_app, bad_id).status == "failed"
    assert "could not be built" in load(smtp_app, bad_id).last_error
    assert load(smtp_app, good).status == "sent"
    assert len(smtp_sink.messages) == 1


def test_sink_backend_keeps_mail_without_network_and_never_calls_it_sent(make_app):
    app = make_app(MAIL_BACKEND="sink", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    ids = enqueue(app, 3)
    report = run(app)
    assert (report.sent, report.kept, report.connections) == (0, 3, 0)
    assert "kept, not sent 3" in report.summary()
    assert not any(load(app, message_id).sent_at for message_id in ids)  # nobody received it
    assert statuses(app, ids) == ["kept"] * 3
    assert run(app).claimed == 0  # kept is final: not tried again


def test_the_outbox_says_mail_is_kept_and_why(make_app):
    app = make_app(MAIL_BACKEND="sink")
    ids = enqueue(app, 1)
    run(app)
    client = app.test_client()
    with app.app_context():
        UserFactory(email="organiser@example.org")
        db.session.commit()
    login(client, "organiser@example.org")
    page = client.get("/outbox/").get_data(as_text=True)
    assert "Guardado, no enviado" in page.split(f'id="message-{ids[0]}"')[1].split("</tr>")[0]
    assert 'id="filter-kept"' in page
    banner = page.split('id="mail-kept-banner"')[1].split("</p>")[0]
    assert "Ningún correo sale de esta máquina hasta que se configure MAIL_SERVER" in banner
    message = client.get(f"/outbox/{ids[0]}").get_data(as_text=True)
    assert "Guardado, no enviado" in message and "Enviada" not in message


@pytest.mark.parametrize(
    ("lang", "labels"),
    [
        ("es", ["Invitación", "Recordatorio de compromiso", "Inscripción: lista de espera"]),
        ("en", ["Invitation", "Commitment reminder", "Registration: waiting list"]),
    ],
)
def test_the_outbox_names_each_kind_of_message_in_the_readers_language(
    app, organiser_client, lang, labels
):
    topics = ["invitation", "commitment-reminder", "registration-waiting"]
    ids = [enqueue(app, topic=topic)[0] for topic in topics]
    with organiser_client.session_transaction() as session:
        session["lang"] = lang
    page = organiser_client.get("/outbox/").get_data(as_text=True)
    for message_id, topic, label in zip(ids, topics, labels, strict=True):
        row = page.split(f'id="message-{message_id}"')[1].split("</tr>")[0]
        assert f"<td>{label}</td>" in row and topic not in row
        shown = organiser_client.get(f"/outbox/{message_id}").get_data(as_text=True)
        assert f"<dd>{label}</dd>" in shown


def test_no_banner_when_mail_is_delivered(make_app):
    app = make_app(MAIL_BACKEND="smtp")
    client = app.test_client()
    with app.app_context():
        UserFactory(email="organiser@example.org")
        db.session.commit()
    login(client, "organiser@example.org")
    assert 'id="mail-kept-banner"' not in client.get("/outbox/").get_data(as_text=True)


@pytest.mark.xdist_group("timed")
def test_concurrent_workers_never_share_a_message(smtp_app, smtp_sink):
    ids = enqueue(smtp_app, 60)
    errors = []

    def work(name):
        try:
            with smtp_app.app_context():
                while deliver_due(worker_id=name, batch_size=7).claimed:
                    pass
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert statuses(smtp_app, ids) == ["sent"] * 60
    counts = smtp_sink.message_ids()
    assert len(counts) == 60 and set(counts.values()) == {1}


def test_concurrent_senders_deliver_each_message_once_over_one_connection_each(
    smtp_app, smtp_sink, monkeypatch
):
    """One run, four senders: every message arrives once, over four connections, and at any
    moment at most one message per sender is SENDING (in doubt if the worker died)."""
    from eventhub.mail import worker

    ids = enqueue(smtp_app, 120)
    real_send = worker._send
    in_doubt = []

    def send(connection, job, message, report):
        with smtp_app.app_context():
            in_doubt.append(
                db.session.scalar(
                    select(func.count(OutboxMessage.id)).where(
                        OutboxMessage.status == OutboxStatus.SENDING.value
                    )
                )
            )
            db.session.remove()
        return real_send(connection, job, message, report)

    monkeypatch.setattr(worker, "_send", send)
    report = run(smtp_app, batch_size=120, concurrency=4)

    assert (report.claimed, report.sent, report.retry, report.failed) == (120, 120, 0, 0)
    assert report.connections == 4 and smtp_sink.connections == 4
    assert statuses(smtp_app, ids) == ["sent"] * 120
    assert all(load(smtp_app, i).attempts == 1 for i in ids)
    counts = smtp_sink.message_ids()
    assert len(counts) == 120 and set(counts.values()) == {1}
    with smtp_app.app_context():
        assert set(counts) == set(db.session.scalars(select(OutboxMessage.message_id)))
    assert len(in_doubt) == 120 and 1 <= max(in_doubt) <= 4


def test_concurrency_never_opens_more_connections_than_messages(smtp_app, smtp_sink):
    ids = enqueue(smtp_app, 3)
    report = run(smtp_app, concurrency=8)
    assert (report.sent, report.connections, smtp_sink.connections) == (3, 3, 3)
    assert statuses(smtp_app, ids) == ["sent"] * 3


def test_concurrency_is_capped_at_the_senders_the_pool_can_serve(make_app, smtp_sink):
    app = make_app(**smtp_sink.app_config(MAIL_CONCURRENCY=50))
    enqueue(app, 30)
    report = run(app, batch_size=30)
    assert (report.sent, report.connections, smtp_sink.connections) == (30, 10, 10)


def test_concurrency_from_the_setting_and_mail_max_emails_per_connection(make_app, smtp_sink):
    app = make_app(**smtp_sink.app_config(MAIL_CONCURRENCY=3, MAIL_MAX_EMAILS=2))
    ids = enqueue(app, 10)
    report = run(app)
    assert (report.claimed, report.sent, report.connections) == (6, 6, 3)
    assert len(smtp_sink.envelopes) == 6 and smtp_sink.connections == 3
    assert statuses(app, ids).count("sent") == 6


def test_a_dropped_connection_among_senders_loses_nothing_and_sends_nothing_twice(
    smtp_app, smtp_sink
):
    ids = enqueue(smtp_app, 30)
    smtp_sink.drop_after(7)  # one sender's connection vanishes under its message
    report = run(smtp_app, batch_size=30, concurrency=3)
    assert smtp_sink.handler.dropped == 1
    assert (report.sent, report.retry, report.released) == (29, 1, 0)
    assert report.connections == 4  # three, and one reconnect
    [retry] = [
        i for i, status in zip(ids, statuses(smtp_app, ids), strict=True) if status != "sent"
    ]
    make_due(smtp_app, [retry])
    assert run(smtp_app, concurrency=3).sent == 1
    counts = smtp_sink.message_ids()
    assert len(counts) == 30 and set(counts.values()) == {1}


def test_a_sender_that_crashes_releases_the_rest_and_the_error_surfaces(
    smtp_app, smtp_sink, monkeypatch
):
    from eventhub.mail import worker

    ids = enqueue(smtp_app, 12)
    real_build = worker._build

    def build(job, report):
        if job.id == ids[4]:
            raise RuntimeError("boom")
        return real_build(job, report)

    monkeypatch.setattr(worker, "_build", build)
    with pytest.raises(RuntimeError, match="boom"):
        run(smtp_app, concurrency=2)
    found = statuses(smtp_app, ids)
    # The other sender finished its share; what the crashed one had not attempted is queued.
    assert found.count("sent") >= 6 and set(found) == {"sent", "queued"}
    monkeypatch.undo()
    assert run(smtp_app, concurrency=2).sent == found.count("queued")
    counts = smtp_sink.message_ids()
    assert len(counts) == 12 and set(counts.values()) == {1}


# --- CLI -------------------------------------------------------------------------------------


def test_cli_outbox_send(make_app, smtp_sink):
    app = make_app(**smtp_sink.app_config())
    ids = enqueue(app, 3)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["outbox", "send", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "sent 2" in result.output and "connections 1" in result.output
    result = runner.invoke(args=["outbox", "send"])
    assert "sent 1" in result.output
    assert statuses(app, ids) == ["sent"] * 3


def test_cli_outbox_send_with_concurrency(make_app, smtp_sink):
    app = make_app(**smtp_sink.app_config())
    ids = enqueue(app, 9)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["outbox", "send", "--concurrency", "3"])
    assert result.exit_code == 0, result.output
    assert "sent 9" in result.output and "connections 3" in result.output
    assert statuses(app, ids) == ["sent"] * 9
    assert len(smtp_sink.message_ids()) == 9 and smtp_sink.connections == 3
    result = runner.invoke(args=["outbox", "send", "--concurrency", "0"])
    assert result.exit_code != 0


def test_cli_uses_the_runner_fixture(runner, app):
    ids = enqueue(app, 1)  # the default app has no mail server: the sink backend
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "kept, not sent 1" in result.output
    assert statuses(app, ids) == ["kept"]


def test_cli_loop_stops_cleanly_on_sigterm(app, tmp_path):
    ids = enqueue(app, 2)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("EVENTHUB_", "MAIL_"))},
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "test",
        "EVENTHUB_MAIL_BACKEND": "sink",
    }
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "send", "--loop"]
    with subprocess.Popen(
        [*flask, "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            deadline = time.monotonic() + 20
            while statuses(app, ids) != ["kept", "kept"] and time.monotonic() < deadline:
                time.sleep(0.1)
            later = enqueue(app, 1)  # picked up by the next poll
            while statuses(app, later) != ["kept"] and time.monotonic() < deadline:
                time.sleep(0.1)
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 0, err
    assert statuses(app, [*ids, *later]) == ["kept"] * 3
    assert "outbox worker stopped" in out


def test_the_outbox_benchmark_runs(database_url):
    """bench/outbox_rate.py, which bench/run.py runs for the report, on a small batch."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVENTHUB_", "MAIL_"))}
    command = [sys.executable, str(ROOT / "bench" / "outbox_rate.py"), "--count", "20"]
    if database_url.startswith("postgresql"):
        command += ["--database-url", database_url]
    result = subprocess.run(
        [*command, "--concurrency", "2"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "sent 20" in result.stdout and "connections 2" in result.stdout
    assert "received by the SMTP server: 20 in 2 connection(s)" in result.stdout


# --- Outbox pages ----------------------------------------------------------------------------


@pytest.fixture
def outbox_rows(app, organiser):
    """Messages of an event the organiser created, so they read and resend them (who else
    may: test_outbox_access.py)."""
    [sent] = enqueue(app, 1, subject=SUBJECT, html_body="<p>Hola <b>María</b></p>")
    [failed] = enqueue(app, 1, subject="Rebotado", to_address="nadie@example.org")
    [plain] = enqueue(app, 1, subject="Solo texto")
    with app.app_context():
        event = EventFactory(created_by_id=organiser)
        db.session.flush()
        db.session.execute(update(OutboxMessage).values(event_id=event.id))
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == sent)
            .values(status="sent", sent_at=utcnow(), attempts=1)
        )
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == failed)
            .values(status="failed", attempts=1, last_error="550 5.1.1 No such mailbox")
        )
        db.session.commit()
    return {"sent": sent, "failed": failed, "plain": plain}


def in_english(client):
    with client.session_transaction() as session:
        session["lang"] = "en"
    return client


def test_outbox_requires_sign_in(client, outbox_rows):
    for url in (
        "/outbox/",
        f"/outbox/{outbox_rows['sent']}",
        f"/outbox/{outbox_rows['sent']}/html",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    response = client.post(f"/outbox/{outbox_rows['failed']}/resend")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/outbox/resend-failed").status_code == 302


def test_outbox_list_and_filter(organiser_client, outbox_rows):
    page = organiser_client.get("/outbox/").get_data(as_text=True)
    assert SUBJECT in page and "Rebotado" in page and "Solo texto" in page
    assert "550 5.1.1 No such mailbox" in page
    assert 'href="/outbox/"' in page  # the nav link
    failed_only = organiser_client.get("/outbox/?status=failed").get_data(as_text=True)
    assert "Rebotado" in failed_only and SUBJECT not in failed_only
    junk = organiser_client.get("/outbox/?status=nonsense&page=-4")
    assert junk.status_code == 200


def test_message_page_and_sandboxed_html(organiser_client, outbox_rows):
    sent = outbox_rows["sent"]
    page = organiser_client.get(f"/outbox/{sent}").get_data(as_text=True)
    assert "<pre" in page and "Hola 0" in page
    assert f'<iframe id="html-body" sandbox src="/outbox/{sent}/html"' in page
    assert "Message-ID" in page

    html = organiser_client.get(f"/outbox/{sent}/html")
    assert html.status_code == 200
    assert html.mimetype == "text/html"
    assert html.get_data(as_text=True) == "<p>Hola <b>María</b></p>"
    assert html.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "frame-ancestors 'self'; sandbox"
    )
    assert organiser_client.get(f"/outbox/{outbox_rows['plain']}/html").status_code == 404
    assert organiser_client.get("/outbox/999999").status_code == 404
    # The app-wide policy still applies to the page around it.
    assert (
        "frame-ancestors 'none'"
        in organiser_client.get(f"/outbox/{sent}").headers["Content-Security-Policy"]
    )


def _count(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(OutboxMessage.id)).all())


def test_resend_a_failed_message_once(app, organiser_client, outbox_rows):
    failed = outbox_rows["failed"]
    before = _count(app)
    response = organiser_client.post(f"/outbox/{failed}/resend")
    assert response.status_code == 302
    assert _count(app) == before + 1
    with app.app_context():
        new = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
        assert (new.status, new.to_address, new.subject) == (
            "queued",
            "nadie@example.org",
            "Rebotado",
        )
        assert new.message_id != load(app, failed).message_id
        assert response.headers["Location"].endswith(f"/outbox/{new.id}")

    again = in_english(organiser_client).post(f"/outbox/{failed}/resend", follow_redirects=True)
    assert _count(app) == before + 1  # a second click sends nothing more
    assert "already been sent again" in again.get_data(as_text=True)


def test_only_failed_messages_can_be_resent(app, organiser_client, outbox_rows):
    before = _count(app)
    response = in_english(organiser_client).post(
        f"/outbox/{outbox_rows['sent']}/resend", follow_redirects=True
    )
    assert "Only failed messages" in response.get_data(as_text=True)
    assert _count(app) == before
    assert organiser_client.post("/outbox/999999/resend").status_code == 404


def test_resend_all_failed(app, organiser_client, outbox_rows):
    enqueue(app, 1, subject="Otro rebote", to_address="otro@example.org")
    with app.app_context():
        event_id = db.session.get(OutboxMessage, outbox_rows["failed"]).event_id
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.subject == "Otro rebote")
            .values(status="failed", event_id=event_id)
        )
        db.session.commit()
    before = _count(app)
    response = organiser_client.post("/outbox/resend-failed")
    assert response.status_code == 302
    assert _count(app) == before + 2
    organiser_client.post("/outbox/resend-failed")
    assert _count(app) == before + 2  # already resent: not again


def test_one_commit_per_message_and_never_more_than_one_in_doubt(smtp_app, smtp_sink, monkeypatch):
    """Each commit marks the last accepted message SENT and the next SENDING: half the
    commits of SENDING-then-SENT, and at any moment at most one row whose fate is unknown."""
    from sqlalchemy import event as sa_event

    from eventhub.mail import worker

    ids = enqueue(smtp_app, 30)
    real_send = worker._send
    in_doubt = []

    def send(connection, job, message, report):
        with smtp_app.app_context():
            sending = db.session.scalar(
                select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.status == OutboxStatus.SENDING.value
                )
            )
            db.session.remove()
        in_doubt.append(sending)
        return real_send(connection, job, message, report)

    monkeypatch.setattr(worker, "_send", send)
    commits = []
    with smtp_app.app_context():
        engine = db.engine
    listener = lambda *args: commits.append(1)  # noqa: E731
    sa_event.listen(engine, "commit", listener)
    try:
        report = run(smtp_app)
    finally:
        sa_event.remove(engine, "commit", listener)
    assert report.sent == len(ids) and statuses(smtp_app, ids) == ["sent"] * len(ids)
    assert all(load(smtp_app, i).attempts == 1 for i in ids)
    assert sorted(smtp_sink.message_ids().values()) == [1] * len(ids)
    assert in_doubt == [1] * len(ids)
    # recover, claim, read the claim, one per message, the last SENT, release
    assert len(commits) <= len(ids) + 6, len(commits)
