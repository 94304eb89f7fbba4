"""Screenshots of the ten main pages at 375, 768 and 1280 px, in Spanish and in English.

Each page is saved as a PNG (under pytest's tmp dir, or ``SCREENSHOT_DIR`` when set, for people
to look at) and measured: the test fails when anything is wider than the screen or a control is
cut off (``tests/browser/layout.py`` says exactly what counts, and which containers scroll
sideways on purpose).

The ten pages, on the demo world (``tests/world.py``) plus the longest names and addresses
people really have:
  anonymous   the public events list, a public event page (its registration form), the month
              calendar
  organiser   the events list signed in, the event page as its manager, participants,
              invitations, the door, the follow-up page, an organisation's page

One browser, one context per width × language (signed in once), the data built once.
"""

import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from eventhub import create_app
from eventhub.auth.models import User
from eventhub.events import services as events
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.followup.commitments import services as commitments
from eventhub.invitations import services as invitations
from eventhub.organisations.models import Contact, Organisation
from eventhub.registrations import services as registrations
from tests.browser.layout import overflow_problems
from tests.conftest import base_config
from tests.factories import TEST_PASSWORD
from tests.world import ADMIN_EMAIL, build_world

WIDTHS = (375, 768, 1280)
FAVICON = Path(__file__).parents[2] / "static" / "favicon.svg"
LANGUAGES = ("es", "en")

# Long as they come: a municipality's full name, a coordinator's four names, and the kind of
# address an office really has (no spaces: the browser cannot break it by itself).
LONG_ORGANISATION = "Municipalidad de Pedro Aguirre Cerda"
LONG_EMAIL = "coordinacion.oficina.migrantes.y.refugiados@municipalidad-de-pedro-aguirre-cerda.cl"
PEOPLE = [
    ("María José Fernández de la Fuente Undurraga", LONG_EMAIL),
    (
        "Juan Pablo Errázuriz Ossandón",
        "oficina.de.asuntos.migratorios.e.interculturalidad@estacioncentral.cl",
    ),
    ("Ana Pérez Cotapos", "ana.perez.cotapos@gobernacion-provincial-cordillera.gob.cl"),
]


def _add_long_names(open_event_id: int) -> tuple[int, int]:
    """The open event's people with long names and addresses, an organisation that takes a
    line on a phone, its contact invited, and a commitment it owns. Returns the
    organisation's id and the id of an event with a follow-up."""
    event = db.session.get(Event, open_event_id)
    admin = db.session.scalars(select(User).where(User.email == ADMIN_EMAIL)).one()
    admin.name = "María Fernanda Undurraga Echeverría"  # in the header on every page
    organisation = Organisation(
        name=LONG_ORGANISATION,
        kind="municipality",
        region="Metropolitana de Santiago",
        commune="Pedro Aguirre Cerda",
    )
    contact = Contact(
        organisation=organisation,
        name=PEOPLE[0][0],
        role="Coordinadora de la Oficina Municipal de Migrantes y Refugiados",
        email=LONG_EMAIL,
        language="es",
    )
    db.session.add_all([organisation, contact])
    db.session.flush()
    events.set_participation(event, organisation.id, "participant")
    plan = invitations.plan_invitations(event, [], False, [contact.id], "", "es")
    invitations.send_invitations(event, plan, admin)
    for name, email in PEOPLE:
        registrations.register(
            event,
            registrations.RegistrantData(
                name=name,
                email=email,
                organisation_id=organisation.id,
                job_title="Encargada de la Oficina de Migrantes y Refugiados",
                needs="Intérprete de lengua de señas chilena y acceso para silla de ruedas",
            ),
        )
    followed = db.session.scalars(select(Event).order_by(Event.id)).first()
    assert followed is not None
    events.set_participation(followed, organisation.id, "participant")
    commitments.create_commitment(
        followed,
        commitments.CommitmentData(
            description="Coordinar con la Oficina de Migrantes y Refugiados de "
            f"{LONG_ORGANISATION} la mesa de salud intercultural ({LONG_EMAIL})",
            organisation_id=organisation.id,
            contact_id=contact.id,
        ),
        admin,
    )
    db.session.commit()
    return organisation.id, followed.id


@pytest.fixture(scope="module")
def shots_site(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("shots")
    app = create_app(base_config(f"sqlite:///{tmp_path / 'shots.sqlite'}", tmp_path))
    with app.app_context():
        db.create_all()
    world = build_world(app)
    with app.app_context():
        organisation_id, followed_id = _add_long_names(world.open_event_id)
    event = world.open_event_id
    pages = {
        "anonymous": {
            "events": "/events/",
            "event": f"/events/{event}",
            "calendar": "/calendar?month=2026-12",
        },
        "organiser": {
            "home": "/",
            "manage-event": f"/events/{event}",
            "participants": f"/events/{event}/participants",
            "invitations": f"/events/{event}/invitations",
            "door": f"/events/{event}/checkin",
            "followup": f"/events/{followed_id}/followup",
            "organisation": f"/organisations/{organisation_id}",
        },
    }
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", pages
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def screenshot_dir(tmp_path_factory) -> Path:
    wanted = os.environ.get("SCREENSHOT_DIR")
    if not wanted:
        return tmp_path_factory.mktemp("screenshots")
    path = Path(wanted)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("width", WIDTHS)
def test_the_main_pages_fit_the_screen(shots_site, screenshot_dir, browser, width, language):
    base, pages = shots_site
    context = browser.new_context(viewport={"width": width, "height": 900})
    # The icon is fetched after the page has loaded, so moving on at once aborts it mid-file
    # (werkzeug then leaves the file open: a ResourceWarning). The browser reads it from disk.
    context.route("**/favicon.svg", lambda route: route.fulfill(path=FAVICON))
    page = context.new_page()
    found: list[str] = []
    shot = 0

    def capture(role: str, name: str, path: str) -> None:
        nonlocal shot
        response = page.goto(base + path)
        assert response is not None and response.ok, f"{path} answered {response}"
        assert page.locator("html").get_attribute("lang") == language, path
        shot += 1
        page.screenshot(
            path=screenshot_dir / f"{width}-{language}-{role}-{name}.png", full_page=True
        )
        found.extend(f"{name} ({path}): {problem}" for problem in overflow_problems(page))

    page.goto(f"{base}/login")
    if language != "es":
        with page.expect_navigation():
            page.click(f"button[name=lang][value={language}]")
    for name, path in pages["anonymous"].items():
        capture("anonymous", name, path)
    page.goto(f"{base}/login")
    page.fill("#email", ADMIN_EMAIL)
    page.fill("#password", TEST_PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_url(f"{base}/")  # sign-in lands on the home
    for name, path in pages["organiser"].items():
        capture("organiser", name, path)
    # The folded menu, opened on a phone or a tablet: every link of an organiser whole.
    menu = page.locator(".site-menu > summary")
    if menu.is_visible():
        menu.click()
        page.screenshot(path=screenshot_dir / f"{width}-{language}-organiser-menu.png")
        found.extend(f"the open menu: {problem}" for problem in overflow_problems(page))
    context.close()
    assert shot == 10
    assert not found, f"at {width}px in {language}:\n" + "\n".join(found)


def test_the_measure_sees_what_is_too_wide_and_nothing_else(browser):
    """The measure itself, on a page made for it: each fault found, the look-alikes not."""
    context = browser.new_context(viewport={"width": 375, "height": 600})
    page = context.new_page()
    email = LONG_EMAIL.replace(".", "")  # no break opportunity at all
    page.set_content(
        f"""<!doctype html><html><head><style>
          .table-wrap {{ overflow-x: auto; }}
          .visually-hidden {{ position: absolute; width: 1px; height: 1px; overflow: hidden;
                              clip: rect(0 0 0 0); white-space: nowrap; }}
          .skip {{ position: absolute; left: -999px; }}
          table {{ border-collapse: collapse; }}
        </style></head><body style="margin: 0">
          <a class="skip" href="#main">Saltar al contenido</a>
          <details><summary>Menú</summary><div style="width: 900px">cerrado</div></details>
          <div class="table-wrap"><table><tr><td style="white-space: nowrap">{email}</td>
            </tr></table></div>
          <p id="wide" style="width: 500px">Una fila demasiado ancha</p>
          <div style="overflow: hidden; width: 200px">
            <button id="cut" style="margin-left: 150px; white-space: nowrap">Confirmar</button>
          </div>
          <div class="table-wrap"><table><tr><td>Ana
            <span class="visually-hidden" style="left: 600px">escapa</span></td></tr></table>
          </div>
          <div style="width: 120px"><span id="runs">{email}</span></div>
          <button id="narrow" style="width: 60px; white-space: nowrap">Rechazar todo</button>
          <div id="scrolls" style="overflow-x: auto"><div style="width: 800px">x</div></div>
          <p id="squeezed" style="width: 50px; overflow-wrap: anywhere">Municipalidad</p>
          <p id="address" style="width: 50px; overflow-wrap: anywhere">{LONG_EMAIL}</p>
          <select id="short" style="width: 70px"><option>Todos los estados</option></select>
        </body></html>"""
    )
    problems = "\n".join(overflow_problems(page))
    context.close()
    assert "the page is" in problems  # the wide paragraph and the escaping span
    for found in (
        'p#wide "Una fila demasiado ancha": reaches 500px',
        'button#cut "Confirmar": control cut off',
        'span.visually-hidden "escapa": reaches',
        'div "coordinacion',  # the address runs out of its 120 px box
        "px out of its box",
        'button#narrow "Rechazar todo": its text',
        "div#scrolls",
        'p#squeezed "Municipalidad": breaks the word "Municipalidad"',
        'select#short "Todos los estados": its choice "Todos los estados" is cut',
    ):
        assert found in problems, f"{found!r} not in:\n{problems}"
    for fine in ("Saltar", "cerrado", "td", "p#address"):
        assert fine not in problems, f"{fine!r} reported:\n{problems}"
