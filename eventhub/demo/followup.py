"""The Lo Prado round table's follow-up for the demo: minutes, a handout, commitments."""

from datetime import date, timedelta

from sqlalchemy import select

from eventhub.auth.models import User
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.followup.commitments import services as commitments
from eventhub.followup.minutes import services
from eventhub.followup.models import Minutes, Visibility
from eventhub.organisations.models import Contact, Organisation
from eventhub.registrations.models import Registration, RegistrationStatus
from eventhub.registrations.services import checkin_code, registration_token
from eventhub.tokens import new_salt, token_hash

ROUND_TABLE = "Mesa intermunicipal sobre migración en Lo Prado"

MINUTES = """\
## Asistentes

Oficinas de Migrantes de **Lo Prado** (anfitriona), **La Reina**, **Quilicura**,
**Estación Central**, **Peñalolén**, **Maipú** y **Quinta Normal**; OIM Chile; Instituto
Nacional de Derechos Humanos.

## Temas tratados

1. Fernando Cejudo presentó el trabajo de la Oficina de Migrantes de Lo Prado con la
   comunidad migrante de la comuna.
2. Branislav Marelic (INDH) expuso sobre migración y derechos humanos.
3. Cada oficina describió la realidad de su comuna: regularización, acceso a salud y
   educación, vivienda y empleo.

## Acuerdos

- Compartir protocolos y materiales de atención entre las oficinas.
- Levantar información comunal común para el Programa Migrantes y Ciudades.
- Realizar la próxima mesa en otra comuna participante.

Más información: [OIM Chile](https://chile.iom.int).
"""

# organisation, what was agreed, days from today to the due date (None: no date),
# then the status changes with their notes
COMMITMENTS: list[tuple[str, str, int | None, list[tuple[str, str | None]]]] = [
    (
        "Municipalidad de Quilicura",
        "Compartir con las demás comunas el protocolo de atención de la Oficina de "
        "Migrantes y Refugiados.",
        5,
        [("in_progress", "Borrador enviado a revisión jurídica.")],
    ),
    (
        "Municipalidad de La Reina",
        "Levantar un catastro de organizaciones migrantes de la comuna.",
        20,
        [],
    ),
    (
        "Municipalidad de Estación Central",
        "Coordinar con el INDH una capacitación en derechos humanos para funcionarios municipales.",
        -10,
        [],
    ),
    (
        "Municipalidad de Peñalolén",
        "Proponer una mesa de trabajo sobre regularización migratoria.",
        -30,
        [("done", "Mesa constituida; primera sesión realizada.")],
    ),
    (
        "Municipalidad de Maipú",
        "Enviar los datos de atenciones de la oficina para el informe del programa.",
        -15,
        [("in_progress", None), ("done", "Datos enviados a la OIM.")],
    ),
    (
        "Municipalidad de Quinta Normal",
        "Ofrecer sede para la próxima mesa intermunicipal.",
        45,
        [],
    ),
    (
        "Municipalidad de Lo Prado",
        "Difundir el acta y los materiales a las comunas participantes.",
        None,
        [("done", None)],
    ),
]


def handout_pdf(title: str) -> bytes:
    """A one-page PDF with a title line: a real file for the demo's materials."""
    text = title.encode("latin-1", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 18 Tf 72 760 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _attendees(event: Event, organisations: list[Organisation]) -> None:
    """The municipalities' migration offices registered and came (as the newsletter tells)."""
    for organisation in organisations:
        contact = db.session.scalar(
            select(Contact)
            .where(Contact.organisation_id == organisation.id)
            .order_by(Contact.is_primary.desc(), Contact.id)
        )
        if contact is None:
            continue
        registration = Registration(
            event=event,
            event_id=event.id,
            name=contact.name,
            email=contact.email,
            language=contact.language,
            organisation=organisation,
            status=RegistrationStatus.CONFIRMED.value,
            confirmed_at=event.starts_at - timedelta(days=7),
            checked_in_at=event.starts_at,
            token_salt=new_salt(),
        )
        registration.token_hash = token_hash(registration_token(registration))
        registration.checkin_hash = token_hash(checkin_code(registration))
        db.session.add(registration)


def load_followup(organiser: User, today: date) -> bool:
    event = db.session.scalar(select(Event).where(Event.title == ROUND_TABLE))
    if event is None or db.session.scalar(select(Minutes.id).where(Minutes.event_id == event.id)):
        return False
    services.save_minutes(event, MINUTES, Visibility.PUBLIC.value, organiser)
    services.add_material(
        event,
        services.Upload("programa-mesa-lo-prado.pdf", handout_pdf(ROUND_TABLE)),
        "Programa de la mesa (PDF)",
        Visibility.PUBLIC.value,
        None,
        organiser,
    )
    names = [name for name, *_ in COMMITMENTS]
    by_name = {
        o.name: o
        for o in db.session.scalars(select(Organisation).where(Organisation.name.in_(names)))
    }
    _attendees(event, [by_name[name] for name in names if name in by_name])
    for name, description, due_in, changes in COMMITMENTS:
        if name not in by_name:
            continue
        commitment = commitments.create_commitment(
            event,
            commitments.CommitmentData(
                description=description,
                organisation_id=by_name[name].id,
                due_on=today + timedelta(days=due_in) if due_in is not None else None,
            ),
            organiser,
        )
        for status, note in changes:
            commitments.change_status(commitment, status, note, user=organiser)
    return True
