"""After the table: minutes, materials, commitments, the follow-up mail and the reminders."""

import io
import re
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from eventhub.extensions import db
from eventhub.files import detect_kind, safe_filename
from eventhub.followup.commitments.reminders import send_reminders
from eventhub.followup.models import (
    Commitment,
    CommitmentReminder,
    CommitmentUpdate,
    Material,
    Minutes,
)
from eventhub.mail.models import OutboxMessage
from eventhub.markdown import render_markdown
from eventhub.registrations.services import registration_token
from tests.factories import (
    ContactFactory,
    EventFactory,
    OrganisationFactory,
    ProgrammeFactory,
    RegistrationFactory,
)

PAST = datetime.now(UTC) - timedelta(days=3)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx_bytes() -> bytes:
    # Entries dated once and for all: a name alone takes the clock's time, and two calls a
    # second apart would give different bytes.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in (
            ("[Content_Types].xml", "<Types/>"),
            ("word/document.xml", "<document/>"),
        ):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 12, 1, 10, 0, 0)), text)
    return buffer.getvalue()


# --- pure functions ----------------------------------------------------------------------------


def test_markdown_keeps_headings_and_lists_and_makes_scripts_inert():
    html = str(
        render_markdown(
            "# Acta\n\n- Quilicura mapea oficinas\n- **Lo Prado** comparte\n\n"
            "<script>alert(1)</script>\n\n[clic](javascript:alert(1)) "
            '[ok](https://oim.cl "t") <img src=x onerror=alert(1)>'
        )
    )
    assert "<h1>Acta</h1>" in html
    assert "<li><strong>Lo Prado</strong> comparte</li>" in html
    assert "<script" not in html and "onerror=" not in html.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;" in html  # shown as text, not run
    assert 'href="javascript' not in html
    assert '<a href="https://oim.cl" title="t" rel="noopener noreferrer nofollow">ok</a>' in html


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (PDF, "acta.pdf", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "foto.png", "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 20, "foto.jpeg", "image/jpeg"),
        (docx_bytes(), "convenio.docx", "application/vnd.openxmlformats-officedocument"),
        (b"<!doctype html><script>alert(1)</script>", "acta.pdf", None),
        (b"MZ\x90\x00" + b"\0" * 60, "acta.pdf", None),
        (b"\x7fELF\x02\x01", "slides.pptx", None),
        (b"PK\x03\x04not really a zip", "x.docx", None),
    ],
)
def test_file_type_comes_from_the_content(data, name, expected):
    kind = detect_kind(data, name)
    if expected is None:
        assert kind is None
    else:
        assert kind.content_type.startswith(expected)


def test_safe_filename_drops_paths_and_control_characters():
    kind = detect_kind(PDF, "x.pdf")
    assert safe_filename("../../etc/passwd.pdf", kind) == "passwd.pdf"
    assert safe_filename("C:\\Users\\ana\\Acta final.pdf", kind) == "Acta final.pdf"
    assert safe_filename("acta\r\nX-Evil: 1.pdf", kind) == "acta_X-Evil_ 1.pdf"
    assert safe_filename("informe.exe", kind) == "informe.exe.pdf"
    assert safe_filename("", kind) == "file.pdf"


# --- the world ---------------------------------------------------------------------------------


@pytest.fixture
def world(app, organiser):
    """A round table that took place three days ago, with two municipalities."""
    with app.app_context():
        programme = ProgrammeFactory(name="Migrantes y Ciudades")
        event = EventFactory(
            title="Mesa intermunicipal de Lo Prado",
            published=True,
            starts_at=PAST,
            ends_at=PAST + timedelta(hours=3),
            programme=programme,
        )
        quilicura = OrganisationFactory(name="Municipalidad de Quilicura")
        recoleta = OrganisationFactory(name="Municipalidad de Recoleta")
        office = ContactFactory(
            organisation=quilicura,
            name="Oficina de Migrantes",
            email="migrantes@quilicura.example.org",
            is_primary=True,
        )
        mayor = ContactFactory(
            organisation=recoleta,
            name="Daniel Jadue",
            email="alcalde@recoleta.example.org",
            language="en",
            is_primary=True,
        )
        came = RegistrationFactory(
            event=event,
            name="Carla Quilicura",
            email="carla@quilicura.example.org",
            organisation=quilicura,
            checked_in_at=PAST,
        )
        absent = RegistrationFactory(
            event=event,
            name="Rob Recoleta",
            email="rob@recoleta.example.org",
            organisation=recoleta,
            language="en",
        )
        db.session.commit()
        return {
            "event": event.id,
            "programme": programme.id,
            "quilicura": quilicura.id,
            "recoleta": recoleta.id,
            "office": office.id,
            "mayor": mayor.id,
            "came": came.id,
            "came_token": registration_token(came),
            "absent_token": registration_token(absent),
        }


@pytest.fixture
def organiser_client(organiser_client):
    """The organiser reads English, so the assertions read like the msgids."""
    organiser_client.post("/language", data={"lang": "en"})
    return organiser_client


def anonymous(app):
    client = app.test_client()
    client.post("/language", data={"lang": "en"})
    return client


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def add_commitment(client, world, organisation="quilicura", due=None, **extra):
    due = due or (date.today() + timedelta(days=5))
    data = {
        "description": "Mapear las oficinas de atención a migrantes",
        "organisation_id": str(world[organisation]),
        "contact_id": "",
        "due_on": due.isoformat(),
        **extra,
    }
    return client.post(f"/events/{world['event']}/commitments", data=data)


def fetch(client, url):
    """GET a file and close the response (send_file keeps it open until then)."""
    response = client.get(url)
    response.get_data()  # read it all, then let go of the file
    response.close()
    return response


def upload(client, world, data, name, **fields):
    form = {"file": (io.BytesIO(data), name), "visibility": "participants", **fields}
    return client.post(
        f"/events/{world['event']}/materials", data=form, content_type="multipart/form-data"
    )


# --- minutes -----------------------------------------------------------------------------------


def test_minutes_show_who_edited_and_follow_their_visibility(app, organiser_client, world):
    event_id = world["event"]
    response = organiser_client.post(
        f"/events/{event_id}/minutes",
        data={"body": "## Acuerdos\n\n- Quilicura mapea", "visibility": "private"},
    )
    assert response.status_code == 302
    page = organiser_client.get(f"/events/{event_id}/followup").get_data(as_text=True)
    assert "<h2>Acuerdos</h2>" in page
    assert "Ana Organiser" in page

    visitor = anonymous(app)
    assert "Acuerdos" not in visitor.get(f"/events/{event_id}").get_data(as_text=True)
    registrant_page = visitor.get(f"/r/{world['came_token']}").get_data(as_text=True)
    assert "Acuerdos" not in registrant_page

    organiser_client.post(
        f"/events/{event_id}/minutes", data={"body": "## Acuerdos", "visibility": "participants"}
    )
    assert "Acuerdos" in visitor.get(f"/r/{world['came_token']}").get_data(as_text=True)
    assert "Acuerdos" not in visitor.get(f"/events/{event_id}").get_data(as_text=True)

    organiser_client.post(
        f"/events/{event_id}/minutes", data={"body": "## Acuerdos", "visibility": "public"}
    )
    assert "<h2>Acuerdos</h2>" in visitor.get(f"/events/{event_id}").get_data(as_text=True)
    assert count(app, Minutes) == 1


def test_minutes_refuse_an_unknown_visibility_and_keep_nothing(app, organiser_client, world):
    response = organiser_client.post(
        f"/events/{world['event']}/minutes", data={"body": "x", "visibility": "everyone"}
    )
    assert response.status_code == 422
    assert count(app, Minutes) == 0


def test_minutes_with_a_script_render_inert_on_the_public_page(app, organiser_client, world):
    organiser_client.post(
        f"/events/{world['event']}/minutes",
        data={"body": "<script>alert(1)</script> [x](javascript:alert(1))", "visibility": "public"},
    )
    page = anonymous(app).get(f"/events/{world['event']}").get_data(as_text=True)
    minutes = page.split('id="minutes-text">')[1].split("</div>")[0]
    assert "<script" not in minutes and "javascript:alert(1)</" not in minutes
    assert 'href="javascript' not in minutes


# --- materials ---------------------------------------------------------------------------------


def test_upload_and_download_follow_the_visibility(app, organiser_client, world, tmp_path):
    response = upload(organiser_client, world, docx_bytes(), "../convenio.docx", title="Convenio")
    assert response.status_code == 302
    with app.app_context():
        material = db.session.scalars(select(Material)).one()
        assert material.filename == "convenio.docx"
        material_id = material.id
    url = f"/events/{world['event']}/materials/{material_id}"

    download = fetch(organiser_client, url)
    assert download.status_code == 200
    assert download.data == docx_bytes()
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    visitor = anonymous(app)
    assert fetch(visitor, url).status_code == 404  # participants only
    via_link = fetch(visitor, f"/r/{world['came_token']}/materials/{material_id}")
    assert via_link.status_code == 200 and via_link.data == docx_bytes()
    assert visitor.get(f"/r/{'x' * 43}/materials/{material_id}").status_code == 404
    assert "Convenio" in visitor.get(f"/r/{world['came_token']}").get_data(as_text=True)


def test_pdf_is_shown_inline_and_public_files_reach_the_event_page(app, organiser_client, world):
    upload(organiser_client, world, PDF, "acta.pdf", visibility="public")
    with app.app_context():
        material_id = db.session.scalar(select(Material.id))
    visitor = anonymous(app)
    response = fetch(visitor, f"/events/{world['event']}/materials/{material_id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert "acta.pdf" in visitor.get(f"/events/{world['event']}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"<html><script>alert(1)</script></html>", "acta.pdf"),
        (b"MZ\x90\x00" + b"\0" * 200, "presentacion.pdf"),
        (b"", "vacio.pdf"),
    ],
)
def test_refused_uploads_store_nothing(app, organiser_client, world, tmp_path, data, name):
    response = upload(organiser_client, world, data, name)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "not an accepted type" in page or "empty" in page
    assert count(app, Material) == 0
    uploads = tmp_path / "uploads"
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))


def test_a_file_over_the_limit_is_refused(make_app, world_factory=None):
    app = make_app(UPLOAD_MAX_BYTES=1000)
    from tests.conftest import login
    from tests.factories import UserFactory

    with app.app_context():
        creator = UserFactory(email="o@example.org")
        event = EventFactory(created_by_id=creator.id)
        db.session.commit()
        event_id = event.id
    client = anonymous(app)
    login(client, "o@example.org")
    just_over = {"file": (io.BytesIO(PDF + b"0" * 1000), "big.pdf"), "visibility": "private"}
    response = client.post(
        f"/events/{event_id}/materials", data=just_over, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "larger than 0.001 MB" in response.get_data(as_text=True)
    far_over = {"file": (io.BytesIO(PDF + b"0" * 400_000), "huge.pdf"), "visibility": "private"}
    response = client.post(
        f"/events/{event_id}/materials", data=far_over, content_type="multipart/form-data"
    )
    assert response.status_code == 413
    with app.app_context():
        assert db.session.scalar(select(func.count(Material.id))) == 0


def test_the_upload_limit_is_larger_than_the_form_limit(make_app):
    app = make_app(MAX_CONTENT_LENGTH=10_000, UPLOAD_MAX_BYTES=50_000)
    from tests.conftest import login
    from tests.factories import UserFactory

    with app.app_context():
        creator = UserFactory(email="o@example.org")
        event = EventFactory(created_by_id=creator.id)
        db.session.commit()
        event_id = event.id
    client = anonymous(app)
    login(client, "o@example.org")
    body = {"file": (io.BytesIO(PDF + b"0" * 30_000), "acta.pdf"), "visibility": "private"}
    response = client.post(
        f"/events/{event_id}/materials", data=body, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    # Everywhere else the general limit still holds.
    minutes = client.post(
        f"/events/{event_id}/minutes", data={"body": "x" * 20_000, "visibility": "private"}
    )
    assert minutes.status_code == 413


# --- commitments -------------------------------------------------------------------------------


def test_commitments_keep_a_dated_history_and_show_on_the_organisation(
    app, organiser_client, world
):
    response = add_commitment(organiser_client, world)
    assert response.status_code == 302
    with app.app_context():
        commitment_id = db.session.scalar(select(Commitment.id))
    url = f"/events/{world['event']}/commitments/{commitment_id}/status"
    organiser_client.post(url, data={"status": "in_progress", "note": "Encuesta enviada"})
    organiser_client.post(url, data={"status": "done", "note": ""})
    with app.app_context():
        updates = db.session.scalars(select(CommitmentUpdate).order_by(CommitmentUpdate.id)).all()
        assert [u.status for u in updates] == ["open", "in_progress", "done"]
        assert updates[1].note == "Encuesta enviada" and updates[1].by_user_id is not None
    page = organiser_client.get(f"/organisations/{world['quilicura']}").get_data(as_text=True)
    assert "Mapear las oficinas" in page and "Encuesta enviada" in page


def test_a_past_due_date_is_allowed_with_a_warning(app, organiser_client, world):
    response = add_commitment(organiser_client, world, due=date.today() - timedelta(days=10))
    assert response.status_code == 302
    page = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "the due date is already past" in page
    assert count(app, Commitment) == 1


def test_a_contact_of_another_organisation_is_refused(app, organiser_client, world):
    response = add_commitment(organiser_client, world, contact_id=str(world["mayor"]))
    assert response.status_code == 422
    assert "must belong to the owning organisation" in response.get_data(as_text=True)
    assert count(app, Commitment) == 0


def test_programme_lists_commitments_with_filters_and_csv(app, organiser_client, world):
    add_commitment(organiser_client, world, description="Mapear oficinas")
    add_commitment(
        organiser_client,
        world,
        organisation="recoleta",
        description="Compartir ordenanza",
        due=date.today() - timedelta(days=2),
    )
    url = f"/programmes/{world['programme']}"
    page = organiser_client.get(url).get_data(as_text=True)
    assert "Mapear oficinas" in page and "Compartir ordenanza" in page
    assert "1 commitment is overdue" in page
    owner = organiser_client.get(url, query_string={"owner": world["recoleta"]})
    assert "Mapear oficinas" not in owner.get_data(as_text=True)
    overdue = organiser_client.get(url, query_string={"overdue": "y"}).get_data(as_text=True)
    assert "Compartir ordenanza" in overdue and "Mapear oficinas" not in overdue
    status = organiser_client.get(url, query_string={"status": "done"}).get_data(as_text=True)
    assert "No commitments match" in status
    csv = organiser_client.get(f"{url}/commitments.csv", query_string={"overdue": "y"})
    text = csv.get_data(as_text=True)
    assert "Compartir ordenanza" in text and "Mapear oficinas" not in text


def test_programme_charts_are_svg_with_the_same_figures_in_tables(app, organiser_client, world):
    add_commitment(organiser_client, world)
    page = organiser_client.get(f"/programmes/{world['programme']}").get_data(as_text=True)
    for key in ("events", "participation", "commitments"):
        figure = page.split(f'id="chart-{key}"')[1].split("</figure>")[0]
        assert "<svg" in figure and "<rect" in figure and "<table" in figure
    participation = page.split('id="chart-participation"')[1].split("</figure>")[0]
    quilicura_row = participation.split("Municipalidad de Quilicura</th>")[1].split("</tr>")[0]
    assert re.findall(r"<td>(\d+)</td>", quilicura_row) == ["0", "1", "1"]
    assert "<script" not in page.split('id="figures"')[1].split("</section>")[0]
    csv = organiser_client.get(f"/programmes/{world['programme']}/figures.csv")
    assert "Municipalidad de Quilicura" in csv.get_data(as_text=True)


# --- the follow-up mail ------------------------------------------------------------------------


def test_follow_up_preview_writes_nothing(app, organiser_client, world):
    response = organiser_client.post(
        f"/events/{world['event']}/followup/mail",
        data={"summary": "Gracias por venir", "preview": "1"},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Gracias por venir" in page.split('id="mail-preview"')[1]
    assert count(app, OutboxMessage) == 0
    # The stand-in for each person's link is in the mail's language (Spanish here) too.
    preview = page.split('id="mail-preview"')[1]
    assert "https://…/su-enlace-personal" in preview and "your-personal-link" not in preview


def test_follow_up_goes_to_participants_in_their_language_with_their_commitments(
    app, organiser_client, world
):
    add_commitment(organiser_client, world, description="Mapear oficinas")
    add_commitment(organiser_client, world, organisation="recoleta", description="Ordenanza")
    organiser_client.post(
        f"/events/{world['event']}/minutes", data={"body": "# Acta", "visibility": "participants"}
    )
    response = organiser_client.post(
        f"/events/{world['event']}/followup/mail", data={"summary": "Gracias", "send": "1"}
    )
    assert response.status_code == 302
    with app.app_context():
        messages = db.session.scalars(select(OutboxMessage)).all()
        assert [m.to_address for m in messages] == ["carla@quilicura.example.org"]
        text = messages[0].text_body
        assert messages[0].subject.startswith("Seguimiento")
        assert "Mapear oficinas" in text and "Ordenanza" not in text
        link = re.search(r"http://eventhub\.test(/r/[\w-]+)", text).group(1)
    assert "Acta" in anonymous(app).get(link).get_data(as_text=True)

    organiser_client.post(
        f"/events/{world['event']}/followup/mail",
        data={"summary": "", "include_absent": "y", "send": "1"},
    )
    with app.app_context():
        english = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == "rob@recoleta.example.org")
        ).one()
        assert english.subject.startswith("Follow-up")
        assert "Ordenanza" in english.text_body and "Mapear" not in english.text_body


def test_follow_up_with_nobody_checked_in_says_why(app, organiser_client, world):
    with app.app_context():
        from eventhub.registrations.models import Registration

        db.session.get(Registration, world["came"]).checked_in_at = None
        db.session.commit()
    response = organiser_client.post(
        f"/events/{world['event']}/followup/mail", data={"summary": "", "send": "1"}
    )
    assert response.status_code == 422
    assert "Nobody to send it to" in response.get_data(as_text=True)
    assert count(app, OutboxMessage) == 0


# --- reminders and the owner's link ------------------------------------------------------------


def test_reminders_are_sent_once_and_again_for_a_new_due_date(app, organiser_client, world):
    add_commitment(organiser_client, world, due=date.today() + timedelta(days=3))
    add_commitment(organiser_client, world, due=date.today() + timedelta(days=40))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reminders", "send"])
    assert "Reminders queued: 1;" in result.output, result.output
    assert "Reminders queued: 0;" in runner.invoke(args=["reminders", "send"]).output
    assert count(app, CommitmentReminder) == 1
    with app.app_context():
        message = db.session.scalars(select(OutboxMessage)).one()
        assert message.to_address == "migrantes@quilicura.example.org"
        assert "Mapear las oficinas" in message.text_body
        commitment = db.session.scalars(select(Commitment).order_by(Commitment.id)).first()
        commitment.due_on = date.today() + timedelta(days=6)
        db.session.commit()
    assert "Reminders queued: 1;" in runner.invoke(args=["reminders", "send"]).output


def test_two_reminder_runs_at_once_send_each_reminder_once(app, organiser_client, world):
    import threading

    for _ in range(8):
        add_commitment(organiser_client, world, due=date.today() + timedelta(days=2))
    errors, barrier = [], threading.Barrier(2)

    def run():
        with app.app_context():
            barrier.wait()
            try:
                send_reminders(7)
            except Exception as error:  # reported below, not lost in the thread
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert count(app, CommitmentReminder) == 8
    assert count(app, OutboxMessage) == 8


def test_the_owner_updates_the_status_from_the_reminder_link(app, organiser_client, world):
    add_commitment(organiser_client, world, due=date.today() + timedelta(days=1))
    app.test_cli_runner().invoke(args=["reminders", "send"])
    with app.app_context():
        text = db.session.scalars(select(OutboxMessage)).one().text_body
        commitment_id = db.session.scalar(select(Commitment.id))
    link = re.search(r"http://eventhub\.test(/c/[\w-]+)", text).group(1)
    contact = anonymous(app)
    page = contact.get(link)
    assert page.status_code == 200 and "Mapear las oficinas" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Commitment, commitment_id).status == "open"  # GET changed nothing
    response = contact.post(
        f"{link}/commitments/{commitment_id}", data={"status": "done", "note": "Listo"}
    )
    assert response.status_code == 302
    with app.app_context():
        commitment = db.session.get(Commitment, commitment_id)
        assert commitment.status == "done"
        assert commitment.updates[-1].by_contact_id == world["office"]
    assert contact.get(link[:-1] + ("A" if link[-1] != "A" else "B")).status_code == 404

    organiser_client.post(
        f"/organisations/{world['quilicura']}/contacts/{world['office']}/commitment-link/revoke"
    )
    assert contact.get(link).status_code == 404
    refused = contact.post(f"{link}/commitments/{commitment_id}", data={"status": "open"})
    assert refused.status_code == 404


def test_a_link_cannot_reach_another_organisations_commitment(app, organiser_client, world):
    add_commitment(organiser_client, world, due=date.today() + timedelta(days=1))
    add_commitment(organiser_client, world, organisation="recoleta", due=date.today())
    app.test_cli_runner().invoke(args=["reminders", "send"])
    with app.app_context():
        message = db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.to_address == "migrantes@quilicura.example.org"
            )
        ).one()
        recoleta_commitment = db.session.scalar(
            select(Commitment.id).where(Commitment.organisation_id == world["recoleta"])
        )
    link = re.search(r"http://eventhub\.test(/c/[\w-]+)", message.text_body).group(1)
    response = anonymous(app).post(
        f"{link}/commitments/{recoleta_commitment}", data={"status": "done"}
    )
    assert response.status_code == 404


def test_demo_holds_the_lo_prado_minutes_and_commitments(app, runner):
    from eventhub.events.models import Event

    assert runner.invoke(args=["demo"]).exit_code == 0
    assert runner.invoke(args=["demo"]).exit_code == 0  # idempotent
    with app.app_context():
        lo_prado = db.session.scalar(select(Event).where(Event.title.contains("Lo Prado")))
        minutes = db.session.scalars(select(Minutes)).one()
        assert minutes.event_id == lo_prado.id and "Quilicura" in minutes.body
        owners = {c.organisation.name for c in db.session.scalars(select(Commitment))}
        assert {"Municipalidad de Quilicura", "Municipalidad de Peñalolén"} <= owners
        assert count(app, Commitment) == 7
        assert db.session.scalars(select(Material)).one().content_type == "application/pdf"
    client = anonymous(app)
    page = client.get(f"/events/{lo_prado.id}").get_data(as_text=True)
    assert "Temas tratados" in page  # public minutes on the event page


def test_follow_up_pages_cost_the_same_queries_with_more_data(app, organiser_client, world):
    from tests.test_query_counts import _count

    def grow(n: int) -> None:
        with app.app_context():
            from eventhub.events.models import Event

            event = db.session.get(Event, world["event"])
            for i in range(n):
                owner = OrganisationFactory()
                ContactFactory(organisation=owner, is_primary=True)
                other_event = EventFactory(programme=event.programme, published=True)
                RegistrationFactory(event=other_event, organisation=owner, checked_in_at=PAST)
                for target in (event, other_event):
                    commitment = Commitment(
                        event=target,
                        organisation=owner,
                        description=f"Compromiso {i}",
                        due_on=date.today() + timedelta(days=i),
                    )
                    commitment.updates.append(CommitmentUpdate(status="open", note="n"))
                    db.session.add(commitment)
            db.session.commit()
        for _ in range(n):
            upload(organiser_client, world, PDF, "acta.pdf", visibility="public")

    pages = [
        f"/events/{world['event']}/followup",
        f"/programmes/{world['programme']}",
        f"/organisations/{world['quilicura']}",
        f"/events/{world['event']}",
        f"/r/{world['came_token']}",
    ]
    grow(2)
    small = {page: _count(app, organiser_client, page) for page in pages}
    grow(10)
    large = {page: _count(app, organiser_client, page) for page in pages}
    assert small == large


def test_deleting_an_owner_says_its_commitments_go_too(app, organiser_client, world):
    add_commitment(organiser_client, world)
    page = organiser_client.get(f"/organisations/{world['quilicura']}/delete")
    assert "1 commitment of this organisation will be deleted" in page.get_data(as_text=True)


def test_follow_up_actions_are_in_the_audit_log(app, organiser_client, world):
    from eventhub.audit.models import AuditEntry

    organiser_client.post(
        f"/events/{world['event']}/minutes", data={"body": "# Acta", "visibility": "public"}
    )
    add_commitment(organiser_client, world)
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [e.action for e in entries] == ["minutes.save", "commitment.add"]
        assert all(e.event_id == world["event"] for e in entries)
        assert "Municipalidad de Quilicura" in entries[1].summary


def test_a_long_title_after_the_file_is_refused_by_the_form(app, organiser_client, world):
    """Werkzeug's form-memory limit would answer 413 after spooling the file, leaving its
    temporary file unclosed (a ResourceWarning, an error under pytest): the form refuses it."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    fields = {
        "file": FileStorage(io.BytesIO(PDF + b"0" * 600_000), "acta.pdf"),
        "title": "t" * 700_000,
        "visibility": "public",
    }
    boundary, body = encode_multipart(fields)
    response = organiser_client.post(
        f"/events/{world['event']}/materials",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 422
    assert count(app, Material) == 0


def test_only_confirmed_registrants_read_what_is_for_participants(app, organiser_client, world):
    from eventhub.registrations.models import Registration

    organiser_client.post(
        f"/events/{world['event']}/minutes",
        data={"body": "## Acuerdos", "visibility": "participants"},
    )
    upload(organiser_client, world, PDF, "acta.pdf")
    with app.app_context():
        material_id = db.session.scalar(select(Material.id))
        db.session.get(Registration, world["came"]).status = "rejected"
        db.session.commit()
    visitor = anonymous(app)
    assert "Acuerdos" not in visitor.get(f"/r/{world['came_token']}").get_data(as_text=True)
    refused = fetch(visitor, f"/r/{world['came_token']}/materials/{material_id}")
    assert refused.status_code == 404
    allowed = fetch(visitor, f"/r/{world['absent_token']}/materials/{material_id}")
    assert allowed.status_code == 200  # confirmed, even if they did not come


def test_follow_up_entries_show_status_and_visibility_labels(app, organiser_client, world):
    event_id = world["event"]
    add_commitment(organiser_client, world)
    upload(organiser_client, world, PDF, "acta.pdf")
    with app.app_context():
        commitment_id = db.session.scalar(select(Commitment.id))
        material_id = db.session.scalar(select(Material.id))
    organiser_client.post(
        f"/events/{event_id}/commitments/{commitment_id}/status",
        data={"status": "in_progress", "note": ""},
    )
    organiser_client.post(
        f"/events/{event_id}/materials/{material_id}/edit",
        data={"title": "Acta firmada", "visibility": "private"},
    )
    english = organiser_client.get(f"/admin/audit?event={event_id}").get_data(as_text=True)
    assert "Municipalidad de Quilicura: In progress" in english
    assert "Acta firmada: Organisers only" in english
    organiser_client.post("/language", data={"lang": "es"})
    spanish = organiser_client.get(f"/admin/audit?event={event_id}").get_data(as_text=True)
    assert "Municipalidad de Quilicura: En curso" in spanish
    assert "Acta firmada: Solo organizadores" in spanish
    assert "in_progress" not in spanish and "(private)" not in spanish
