"""The programme page: which municipalities take part, and which never came."""

from datetime import UTC, datetime, timedelta

from eventhub.events.models import EventOrganisation
from eventhub.extensions import db
from eventhub.invitations.models import Invitation
from eventhub.registrations.models import Registration
from tests.factories import EventFactory, OrganisationFactory, ProgrammeFactory

START = datetime(2025, 3, 30, 12, 30, tzinfo=UTC)  # both events held
FUTURE = datetime.now(UTC) + timedelta(days=60)


def build(app, organisations=2, events=2, start=START) -> int:
    with app.app_context():
        programme = ProgrammeFactory()
        prefix = f"Municipalidad {programme.id}-"
        orgs = [OrganisationFactory(name=f"{prefix}{n:02d}") for n in range(organisations)]
        for e in range(events):
            event = EventFactory(
                programme=programme, published=True, starts_at=start + timedelta(days=30 * e)
            )
            for n, org in enumerate(orgs):
                db.session.add(
                    Invitation(
                        event=event,
                        organisation=org,
                        email=f"o{n}e{e}@x.org",
                        token_salt=f"s{n}-{e}",
                        token_hash=f"h{programme.id}-{n}-{e}",
                    )
                )
                if n == 0:  # only the first municipality registers and comes, to the first event
                    db.session.add(
                        Registration(
                            event=event,
                            organisation=org,
                            name="Ana",
                            email=f"ana{e}@x.org",
                            status="confirmed",
                            checked_in_at=start if e == 0 else None,
                        )
                    )
        db.session.commit()
        return programme.id


def test_programme_attendance_table(app, organiser_client):
    programme_id = build(app)
    page = organiser_client.get(f"/programmes/{programme_id}").get_data(as_text=True)
    table = page.split('id="attendance"')[1]
    first = table.split(f"Municipalidad {programme_id}-00")[1]
    second = table.split(f"Municipalidad {programme_id}-01")[1]
    assert "1 / 1 / <strong>1</strong>" in first.split("</tr>")[0]
    assert "1 / 1 / <strong>0</strong>" in first.split("</tr>")[0]
    assert "nunca vino" in second.split("</tr>")[0]
    assert "1 / 0 / <strong>0</strong>" in second.split("</tr>")[0]
    assert "1 de 2" in first.split("</tr>")[0] and "0 de 2" in second.split("</tr>")[0]


def test_events_still_to_come_count_for_nobody(app, organiser_client):
    programme_id = build(app, start=FUTURE)
    page = organiser_client.get(f"/programmes/{programme_id}").get_data(as_text=True)
    table = page.split('id="attendance"')[1].split("</table>")[0]
    assert "nunca vino" not in table
    assert "por realizarse" in table  # each event's header says so
    second = table.split(f"Municipalidad {programme_id}-01")[1].split("</tr>")[0]
    assert "1 / 0 / <strong>0</strong>" in second and second.rstrip().endswith("<td>–</td>")


def test_a_past_event_and_one_to_come(app, organiser_client):
    with app.app_context():
        programme = ProgrammeFactory()
        org = OrganisationFactory(name="Municipalidad de Renca")
        for starts_at in (START, FUTURE):
            event = EventFactory(programme=programme, published=True, starts_at=starts_at)
            db.session.add(Registration(event=event, organisation=org, name="Ana", email="a@x.org"))
        db.session.commit()
        programme_id = programme.id
    page = organiser_client.get(f"/programmes/{programme_id}").get_data(as_text=True)
    table = page.split('id="attendance"')[1]
    row = table.split("Municipalidad de Renca")[1].split("</tr>")[0]
    assert "nunca vino" in row and "0 de 1" in row  # the event to come is not counted


def test_hosts_and_co_organisers_are_listed_without_people(app, organiser_client):
    with app.app_context():
        programme = ProgrammeFactory()
        host = OrganisationFactory(name="OIM Chile")
        co = OrganisationFactory(name="Municipalidad de Quilicura")
        event = EventFactory(programme=programme, published=True, host_organisation=host)
        db.session.add(EventOrganisation(event=event, organisation=co, role="co_organiser"))
        db.session.commit()
        programme_id = programme.id
    page = organiser_client.get(f"/programmes/{programme_id}").get_data(as_text=True)
    table = page.split('id="attendance"')[1].split("</table>")[0]
    assert "Anfitrión" in table.split("OIM Chile")[1].split("</tr>")[0]
    assert "Coorganizador" in table.split("Municipalidad de Quilicura")[1].split("</tr>")[0]
    assert "nunca vino" not in table


def test_the_came_to_column_is_explained(app, organiser_client):
    programme_id = build(app)
    page = organiser_client.get(f"/programmes/{programme_id}").get_data(as_text=True)
    assert 'aria-describedby="attendance-legend"' in page
    legend = page.split('id="attendance-legend">')[1].split("</p>")[0]
    assert "«Asistió a»" in legend and "ya realizados" in legend


def test_programme_page_query_count_is_constant(app, organiser_client, count_queries):
    def queries(programme_id):
        with count_queries(app) as statements:
            assert organiser_client.get(f"/programmes/{programme_id}").status_code == 200
        return len(statements)

    small = queries(build(app, organisations=2, events=2))
    assert queries(build(app, organisations=8, events=5)) == small
