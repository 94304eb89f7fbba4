"""An event's image: uploaded, replaced, described and removed by its managers; served to whoever
may read the event; shown on the event page, in the list and at the top of the invitation email
(an inline part of multipart/related, read here from the bytes the SMTP server received)."""

import base64
import email
import hashlib
import io
import re
import threading
from email import policy

import pytest
from sqlalchemy import select

from eventhub.audit.models import AuditEntry
from eventhub.auth.models import User
from eventhub.events import images
from eventhub.events.models import Event, EventImage
from eventhub.extensions import db
from eventhub.files import Upload
from eventhub.invitations import services as invitations
from eventhub.mail.models import OutboxBlob, OutboxMessage
from eventhub.mail.worker import deliver_due
from tests.conftest import login, recorded_statements
from tests.factories import EventFactory, UserFactory
from tests.factories import png_bytes as png

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00" + b"\x00" * 24
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script></svg>"
)


def upload(client, event_id: int, data: bytes | None, name: str = "cartel.png", alt: str = ""):
    form: dict = {"alt_text": alt}
    if data is not None:
        form["file"] = (io.BytesIO(data), name)
    return client.post(f"/events/{event_id}/image", data=form, content_type="multipart/form-data")


def stored(app, event_id: int) -> EventImage | None:
    with app.app_context():
        return db.session.scalar(select(EventImage).where(EventImage.event_id == event_id))


def image_url(app, event_id: int) -> str:
    image = stored(app, event_id)
    assert image is not None
    return f"/events/{event_id}/image/{image.digest}"


@pytest.fixture
def event_id(create_event, organiser):
    return create_event(created_by_id=organiser, published=True, title="Mesa de Lo Prado")


def test_upload_replace_describe_and_remove(app, organiser_client, event_id):
    page = organiser_client.get(f"/events/{event_id}/image")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    assert 'id="no-image"' in page.text

    first = png()
    response = upload(organiser_client, event_id, first, alt="Cartel azul de la mesa")
    assert response.status_code == 302
    image = stored(app, event_id)
    assert image is not None and image.content_type == "image/png" and image.size == len(first)
    url = image_url(app, event_id)

    served = organiser_client.get(url)
    assert served.status_code == 200 and served.data == first
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert served.headers["ETag"] == f'"{image.digest}"'
    again = organiser_client.get(url, headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304 and not again.data

    public = app.test_client().get(f"/events/{event_id}").text
    assert f'src="{url}"' in public and 'alt="Cartel azul de la mesa"' in public

    # Only the description: the same bytes at the same address.
    assert upload(organiser_client, event_id, None, alt="Cartel").status_code == 302
    assert image_url(app, event_id) == url and stored(app, event_id).alt_text == "Cartel"

    # Replaced: a new address; the old one is gone.
    assert upload(organiser_client, event_id, JPEG, name="foto.jpeg").status_code == 302
    replaced = image_url(app, event_id)
    assert replaced != url and organiser_client.get(url).status_code == 404
    assert organiser_client.get(replaced).headers["Content-Type"] == "image/jpeg"
    # No description: the event's title speaks for it.
    assert 'alt="Mesa de Lo Prado"' in app.test_client().get(f"/events/{event_id}").text

    assert upload(organiser_client, event_id, WEBP, name="x.webp").status_code == 302
    assert stored(app, event_id).content_type == "image/webp"

    removed = organiser_client.post(f"/events/{event_id}/image/delete")
    assert removed.status_code == 302 and stored(app, event_id) is None
    assert organiser_client.get(replaced).status_code == 404
    assert "/image/" not in app.test_client().get(f"/events/{event_id}").text
    # A second click (another tab) says there is nothing to remove, and is no error.
    assert organiser_client.post(f"/events/{event_id}/image/delete").status_code == 302

    with app.app_context():
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.event_id == event_id)
        ).all()
    assert actions.count("event.image") == 4 and actions.count("event.image_remove") == 1


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (SVG, "logo.svg", "No se acepta SVG"),
        (SVG, "logo.png", "No se acepta SVG"),  # the name does not make it an image
        (b"<html><script>alert(1)</script></html>", "cartel.jpg", "no es una imagen aceptada"),
        (b"%PDF-1.4 acta", "acta.png", "no es una imagen aceptada"),
        (b"GIF89a" + b"\x00" * 20, "animado.gif", "no es una imagen aceptada"),
        (b"", "vacio.png", "El archivo está vacío."),
    ],
)
def test_refused_files_say_why_and_leave_the_image_as_it_was(
    app, organiser_client, event_id, data, name, message
):
    assert upload(organiser_client, event_id, png(), alt="Antes").status_code == 302
    before = stored(app, event_id)
    response = upload(organiser_client, event_id, data, name=name, alt="Después")
    assert response.status_code == 422
    assert message in response.text and 'aria-invalid="true"' in response.text
    after = stored(app, event_id)
    assert (after.digest, after.alt_text) == (before.digest, "Antes")


def test_no_file_and_no_image_yet_asks_for_one(app, organiser_client, event_id):
    response = upload(organiser_client, event_id, None, alt="Sin imagen")
    assert response.status_code == 422 and "Elija una imagen." in response.text
    assert stored(app, event_id) is None


def test_too_large_images_get_a_form_message_and_bodies_past_the_limit_413(make_app, organiser):
    app = make_app(EVENT_IMAGE_MAX_BYTES=2_000, MAX_CONTENT_LENGTH=20_000)
    with app.app_context():
        user = UserFactory(email="owner@example.org")
        event = EventFactory(created_by_id=user.id)
        db.session.commit()
        event_id = event.id
    client = app.test_client()
    assert login(client, "owner@example.org").status_code == 302
    large = png(40, 40) + b"\x00" * 3_000
    response = upload(client, event_id, large)
    assert response.status_code == 422 and "pesa más de 0.002 MB" in response.text
    huge = upload(client, event_id, png() + b"\x00" * 30_000)
    assert huge.status_code == 413 and "supera el tamaño permitido" in huge.text
    assert stored(app, event_id) is None


def test_who_may_change_and_who_may_see_the_image(app, client, create_event, organiser):
    draft = create_event(created_by_id=organiser, title="Borrador")
    published = create_event(created_by_id=organiser, published=True)
    assert login(client, "organiser@example.org").status_code == 302
    for event_id in (draft, published):
        assert upload(client, event_id, png()).status_code == 302
    draft_url, published_url = image_url(app, draft), image_url(app, published)
    # A signed-in organiser reads drafts; the browser keeps a draft's image to itself.
    assert client.get(draft_url).headers["Cache-Control"].startswith("private,")

    with app.app_context():
        UserFactory(email="other@example.org")
        db.session.commit()
    other = app.test_client()
    assert login(other, "other@example.org").status_code == 302
    assert other.get(f"/events/{published}/image").status_code == 403
    assert upload(other, published, JPEG).status_code == 403
    assert other.post(f"/events/{published}/image/delete").status_code == 403
    assert stored(app, published).content_type == "image/png"
    assert other.get(draft_url).status_code == 200  # organisers read every event's page

    anonymous = app.test_client()
    assert anonymous.get(f"/events/{published}/image").status_code == 302  # to sign in
    assert anonymous.post(f"/events/{published}/image/delete").status_code == 302
    assert stored(app, published) is not None
    assert anonymous.get(draft_url).status_code == 404
    assert anonymous.get(published_url).status_code == 200
    assert anonymous.get(f"/events/{published}/image/{'0' * 64}").status_code == 404
    assert anonymous.get(f"/events/999999/image/{'0' * 64}").status_code == 404


def test_the_list_shows_thumbnails_from_its_own_query(app, organiser, create_event):
    anonymous = app.test_client()

    def list_queries() -> tuple[int, str]:
        anonymous.get("/events/")
        with recorded_statements(app) as statements:
            response = anonymous.get("/events/")
        assert response.status_code == 200
        return len(statements), response.text

    def add_events(count: int) -> None:
        with app.app_context():
            for n in range(count):
                event = EventFactory(published=True, created_by_id=organiser)
                db.session.flush()
                data = png(1, 1, bytes([n, 0, 0]))
                db.session.add(
                    EventImage(
                        event=event,
                        content_type="image/png",
                        size=len(data),
                        digest=f"{n:064x}",
                        data=data,
                    )
                )
            EventFactory(published=True, created_by_id=organiser)  # one without an image
            db.session.commit()

    app.config["CACHE_TTL"] = 0
    add_events(2)
    small, html = list_queries()
    assert html.count('class="event-thumb"') == 2
    add_events(8)
    large, html = list_queries()
    assert html.count('class="event-thumb"') == 10
    assert large == small


@pytest.fixture
def smtp_app(make_app, smtp_sink):
    return make_app(**smtp_sink.app_config())


def test_the_invitation_carries_the_image_inline_as_mail_clients_read_it(smtp_app, smtp_sink):
    app = smtp_app
    picture = png(3, 2)
    with app.app_context(), app.test_request_context():
        organiser = UserFactory(email="organiser@example.org")
        event = EventFactory(published=True, created_by_id=organiser.id, title="Mesa de Lo Prado")
        db.session.commit()
        event_id, organiser_id = event.id, organiser.id
    client = app.test_client()
    assert login(client, "organiser@example.org").status_code == 302
    assert upload(client, event_id, picture, alt="Cartel de la mesa").status_code == 302
    with app.app_context(), app.test_request_context():
        event = db.session.get(Event, event_id)
        plan = invitations.plan_invitations(
            event, [], False, [], "ana@example.org\nbeto@example.org"
        )
        invitations.send_invitations(event, plan, db.session.get(User, organiser_id))
        db.session.commit()
        # Kept once for the whole sending: the messages name it instead of each holding it.
        [blob] = db.session.scalars(select(OutboxBlob)).all()
        assert bytes(blob.data) == picture
        for row in db.session.scalars(select(OutboxMessage)):
            [inline] = [a for a in row.attachments if a.get("content_id")]
            assert inline["blob"] == blob.digest and inline["data"] == ""
        deliver_due()
    envelopes = {e.rcpt_tos[0]: e for e in smtp_sink.envelopes}
    assert set(envelopes) == {"ana@example.org", "beto@example.org"}
    other = email.message_from_bytes(
        envelopes["beto@example.org"].original_content, policy=policy.default
    )
    assert [p.get_content() for p in other.walk() if p["Content-ID"]] == [picture]
    raw = envelopes["ana@example.org"].original_content
    message = email.message_from_bytes(raw, policy=policy.default)

    assert message.get_content_type() == "multipart/mixed"
    alternative, calendar = message.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert calendar.get_content_type() == "text/calendar"
    text, related = alternative.get_payload()
    assert text.get_content_type() == "text/plain" and "cid:" not in text.get_content()
    assert related.get_content_type() == "multipart/related"
    html, image = related.get_payload()
    assert html.get_content_type() == "text/html"
    assert image.get_content_type() == "image/png"
    assert image["Content-Transfer-Encoding"] == "base64"
    assert image.get_content_disposition() == "inline"
    content_id = image["Content-ID"].strip("<>")
    [src] = re.findall(r'<img src="cid:([^"]+)" alt="Cartel de la mesa"', html.get_content())
    assert src == content_id
    assert image.get_content() == picture  # the base64 decodes to the uploaded bytes
    # And on the wire itself: the base64 lines of the part, decoded, are the image.
    after = raw.split(f"Content-ID: <{content_id}>".encode(), 1)[1]
    body = after.split(b"\r\n\r\n", 1)[1].split(b"\r\n--", 1)[0]
    assert base64.b64decode(body) == picture


def test_an_invitation_without_an_image_keeps_its_shape(smtp_app, smtp_sink):
    app = smtp_app
    with app.app_context(), app.test_request_context():
        organiser = UserFactory(email="organiser@example.org")
        event = EventFactory(published=True, created_by_id=organiser.id)
        db.session.flush()
        plan = invitations.plan_invitations(event, [], False, [], "ana@example.org")
        invitations.send_invitations(event, plan, organiser)
        db.session.commit()
        deliver_due()
    [envelope] = smtp_sink.envelopes
    message = email.message_from_bytes(envelope.original_content, policy=policy.default)
    alternative, _calendar = message.get_payload()
    assert [p.get_content_type() for p in alternative.get_payload()] == [
        "text/plain",
        "text/html",
    ]
    assert "<img" not in alternative.get_payload()[1].get_content()


def test_the_invitation_preview_shows_the_image_by_its_address(app, organiser_client, event_id):
    """A browser cannot resolve cid: in the preview's frame: it gets the image's URL."""
    assert upload(organiser_client, event_id, png(), alt="Cartel").status_code == 302
    url = image_url(app, event_id)
    response = organiser_client.post(
        f"/events/{event_id}/invitations/new",
        data={
            "whom": "primary",
            "extra": "ana@example.org",
            "extra_language": "es",
            "preview": "1",
        },
    )
    preview = response.get_data(as_text=True).split('id="preview-heading"')[1]
    assert f"src=&#34;{url}&#34;" in preview or f"src=&quot;{url}&quot;" in preview
    assert "cid:" not in preview


def test_two_first_uploads_at_once_leave_one_image_the_later_one(app, event_id, organiser):
    # Both organisers open the page while the event has no image; the second to save waits
    # for the first and replaces its image, rather than failing on a second row.
    both_read = threading.Barrier(2, timeout=30)
    failures: list[BaseException] = []

    def save(colour: bytes) -> None:
        try:
            with app.app_context():
                event = db.session.get(Event, event_id)
                assert event.image is None
                both_read.wait()
                images.save_image(
                    event,
                    Upload("a.png", png(colour=colour)),
                    None,
                    db.session.get(User, organiser),
                )
                db.session.commit()
        except BaseException as error:  # reported below, with the thread's traceback
            failures.append(error)

    threads = [threading.Thread(target=save, args=(c,)) for c in (b"\x00\x00\x00", b"\xff\xff\xff")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    with app.app_context():
        rows = db.session.scalars(select(EventImage).where(EventImage.event_id == event_id)).all()
        assert len(rows) == 1
        assert rows[0].digest in {
            hashlib.sha256(png(colour=c)).hexdigest() for c in (b"\x00\x00\x00", b"\xff\xff\xff")
        }
