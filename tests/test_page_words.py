"""What every page says when a person just looks: no error nobody caused, no "1 <plural>".

The pages are found by crawling the demo world (tests/world.py), in Spanish and in English,
so a page or filter form added later is walked without anyone listing it here.
"""

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from eventhub.agenda.models import AgendaItem
from eventhub.extensions import db
from eventhub.followup.models import Commitment
from eventhub.mail.models import OutboxMessage
from tests.crawl import crawl, local_path, parse_page
from tests.factories import (
    ContactFactory,
    EventFactory,
    OrganisationFactory,
    ProgrammeFactory,
    RegistrationFactory,
)
from tests.world import build_world, clients

INVALID_CHOICE = ("Not a valid choice", "Opción inválida", 'class="errors"')


@pytest.fixture
def walked(app):
    """Every page an admin reaches, by language: {lang: Site}, and the clients used."""
    world = build_world(app)
    result = {}
    for lang in ("es", "en"):
        admin = clients(app)["admin"]
        with admin.session_transaction() as session:
            session["lang"] = lang
        result[lang] = (crawl(app, {"admin": admin}, world.seeds), admin)
    return result


def test_no_filter_form_greets_a_plain_visit_with_an_error(walked):
    checked = 0
    for lang, (site, client) in walked.items():
        for page in site.pages.values():
            if page.status != 200 or not page.html:
                continue
            for form in parse_page(page.html, f"http://localhost{page.url}").forms:
                if form.method != "GET" or local_path(form.action) is None:
                    continue
                path = local_path(form.action).split("?")[0]
                # A plain visit, and a search with only the text typed (the other fields absent).
                texts = [f.name for f in form.fields.values() if f.kind in ("search", "text")]
                queries = ["", *(f"?{urlencode({name: 'a'})}" for name in texts[:1])]
                for query in queries:
                    html = client.get(path + query).get_data(as_text=True)
                    found = [text for text in INVALID_CHOICE if text in html]
                    assert not found, f"{lang} {path}{query}: {found}"
                    checked += 1
    assert checked >= 10  # the events list, the directory, speakers, programmes, participants…


# "1 invitaciones", "1 confirmados", "1 items": a count of one before a word in the plural.
# Words that end in -s in the singular are allowed.
ONE_PLURAL = re.compile(r"(?<![\d.,:/-])\b1\s+([A-Za-zÁÉÍÓÚáéíóúñ]+s)\b")
SINGULAR_IN_S = {"mes", "inglés", "vs"}
TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S)
# A table cell, a list item or a heading ends a phrase: "1" in one cell and "Eventos" in the
# next are not "1 Eventos".
BLOCK = re.compile(
    r"</?(?:td|th|tr|li|p|h\d|div|dt|dd|caption|section|option|button|label|br|title|text|ul)\b[^>]*>"
)


def visible_text(html: str) -> str:
    return unescape(TAGS.sub(" ", BLOCK.sub(" ¦ ", html)))


def plurals_after_one(html: str) -> list[str]:
    text = re.sub(r"\s+", " ", visible_text(html))
    return [
        text[max(m.start() - 30, 0) : m.end() + 10]
        for m in ONE_PLURAL.finditer(text)
        if m.group(1) not in SINGULAR_IN_S
    ]


@pytest.fixture
def one_of_everything(app, organiser_client):
    """An event with one of each thing a page counts; the flash messages of the actions."""
    with app.app_context():
        programme = ProgrammeFactory(name="Programa Uno")
        org = OrganisationFactory(name="Municipalidad de Uno")
        ContactFactory(organisation=org, email="uno@example.org", is_primary=True)
        event = EventFactory(
            title="Mesa de prueba",
            programme=programme,
            published=True,
            registration_mode="open",
            capacity=1,
        )
        item = AgendaItem(
            event=event,
            title="Apertura",
            starts_at=event.starts_at,
            ends_at=event.starts_at + timedelta(minutes=30),
            speakers=[],
        )
        db.session.add(item)
        confirmed = RegistrationFactory(event=event, organisation=org, name="Ana")
        RegistrationFactory(event=event, status="waiting", name="Bea")
        RegistrationFactory(event=event, status="cancelled", name="Carla")
        confirmed.checked_in_at = datetime.now(UTC)
        db.session.add(
            Commitment(
                event=event,
                organisation=org,
                description="Abrir una oficina",
                due_on=date.today() - timedelta(days=3),
                status="open",
            )
        )
        db.session.commit()
        ids = {"event": event.id, "programme": programme.id, "org": org.id, "item": item.id}
    client, e = organiser_client, ids["event"]
    flashes = [
        client.post(
            f"/events/{e}/invitations/new",
            data={"whom": "primary", "organisation_ids": [ids["org"]], "send": "1"},
            follow_redirects=True,
        ),
        client.post(
            f"/events/{e}/agenda/{ids['item']}/shift", data={"minutes": "1"}, follow_redirects=True
        ),
        client.post(f"/events/{e}/followup/mail", data={"send": "1"}, follow_redirects=True),
    ]
    with app.app_context():
        for message in db.session.scalars(select(OutboxMessage)):
            message.status = "failed"
        db.session.commit()
    flashes.append(client.post(f"/events/{e}/invitations/resend-failed", follow_redirects=True))
    with app.app_context():
        for message in db.session.scalars(select(OutboxMessage)):
            message.status, message.sent_at = "sent", datetime.now(UTC)
        db.session.commit()
    flashes.append(client.post(f"/events/{e}/invitations/remind", follow_redirects=True))
    seeds = [
        f"/events/{e}",
        f"/events/{e}/participants",
        f"/events/{e}/invitations",
        f"/events/{e}/checkin",
        f"/events/{e}/followup",
        f"/programmes/{ids['programme']}",
        f"/organisations/{ids['org']}",
        "/events/",
        "/organisations/",
        "/outbox/",
    ]
    return client, seeds, [r.get_data(as_text=True) for r in flashes]


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_count_of_one_takes_the_singular(app, one_of_everything, lang):
    client, seeds, flashes_es = one_of_everything
    with client.session_transaction() as session:
        session["lang"] = lang
    site = crawl(app, {"organiser": client}, seeds)
    pages = [p for p in site.pages.values() if p.status == 200 and p.html]
    assert len(pages) >= len(seeds)
    found = {p.url: hits for p in pages if (hits := plurals_after_one(p.html))}
    assert not found
    if lang == "es":  # the actions' messages were shown in Spanish
        flashes = " ".join(re.findall(r'<p class="flash[^"]*">(.*?)</p>', "".join(flashes_es)))
        for said in (
            "1 invitación en cola de envío",
            "1 ítem movido en 1 minuto",
            "Seguimiento en cola para 1 persona.",
            "1 invitación fallida en cola de nuevo",
        ):
            assert said in flashes
        assert not plurals_after_one(flashes)
    text = re.sub(r"\s+", " ", " ".join(visible_text(p.html) for p in pages))
    expected = {
        "es": ("1 confirmado,", "1 invitado,", "Llegaron 1 de 1 persona confirmada"),
        "en": ("1 confirmed,", "1 invited,", "1 of 1 confirmed person arrived"),
    }[lang]
    for said in expected:
        assert said in text
