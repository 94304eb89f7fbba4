"""The programme page: which municipalities take part, and which never came."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import event as sa_event

from eventhub.extensions import db
from eventhub.invitations.models import Invitation
from eventhub.registrations.models import Registration
from tests.factories import EventFactory, OrganisationFactory, ProgrammeFactory

START = datetime(2027, 3, 30, 12, 30, tzinfo=UTC)


def build(app, organisations=2, events=2) -> int:
    with app.app_context():
        programme = ProgrammeFactory()
        prefix = f"Municipalidad {programme.id}-"
        orgs = [OrganisationFactory(name=f"{prefix}{n:02d}") for n in range(organisations)]
        for e in range(events):
            event = EventFactory(
                programme=programme, published=True, starts_at=START + timedelta(days=30 * e)
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
                            checked_in_at=START if e == 0 else None,
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


def test_programme_page_query_count_is_constant(app, organiser_client):
    def queries(programme_id):
        statements = []
        with app.app_context():
            listener = lambda *args: statements.append(args[2])  # noqa: E731
            sa_event.listen(db.engine, "before_cursor_execute", listener)
            try:
                assert organiser_client.get(f"/programmes/{programme_id}").status_code == 200
            finally:
                sa_event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    small = queries(build(app, organisations=2, events=2))
    assert queries(build(app, organisations=8, events=5)) == small
