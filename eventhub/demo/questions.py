"""The open round table's registration form for the demo, and people who answered it.

The second round table of the year (Quilicura) asks what its organisers need to know and what
the Programa Migrantes y Ciudades reports to its funders: comuna, interpretation (Haitian
Creole, sign language, shown at the door), a workshop session of 20 places, and gender and
nationality behind consent. Registrants go through the same services as the public form
(read_answers on what a browser would post, then register), so the demo holds only what the
form can produce; a few have already been checked in, so the door page and the figures show
something.
"""

from dataclasses import dataclass

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.organisations.models import Organisation
from eventhub.questions import services as questions
from eventhub.questions.models import Question, QuestionKind
from eventhub.registrations import services as registrations

OPEN_ROUND_TABLE = "Mesa intermunicipal: salud y educación de personas migrantes"

PURPOSE_ES = (
    "El Programa Migrantes y Ciudades informa a sus financiadores cuántas mujeres y hombres, "
    "y de qué nacionalidades, participan en sus actividades. Sus respuestas se usan solo en "
    "cifras agregadas (nunca grupos de menos de 5 personas), las ven únicamente las personas "
    "que organizan la mesa y se eliminan después de la actividad."
)
PURPOSE_EN = (
    "The Migrants and Cities Programme reports to its funders how many women and men, and of "
    "which nationalities, take part in its activities. Your answers are used only in "
    "aggregate figures (never groups of fewer than 5 people), are seen only by the round "
    "table's organisers and are deleted after the event."
)

SESSION_PLACES = 20
SESSIONS = [
    # value, Spanish, English
    ("salud", "Taller 1: acceso a la salud primaria", "Workshop 1: access to primary care"),
    ("educacion", "Taller 2: matrícula escolar", "Workshop 2: school enrolment"),
]


@dataclass(frozen=True)
class Registrant:
    name: str
    email: str
    organisation: str | None  # a directory organisation's name
    job_title: str
    comuna: str  # comuna code (questions/reference.py)
    session: str
    interpretation: tuple[str, ...] = ()
    other_interpretation: str = ""
    # Gender and nationality are only sent with consent; None: the person left them blank.
    gender: str | None = None
    nationality: str | None = None
    organisation_name: str | None = None  # when not in the directory
    language: str = "es"
    checked_in: bool = False


QUILICURA = "Municipalidad de Quilicura"
LO_PRADO = "Municipalidad de Lo Prado"
RECOLETA = "Municipalidad de Recoleta"
ESTACION = "Municipalidad de Estación Central"
OIM = "OIM Chile"
INDH = "Instituto Nacional de Derechos Humanos"
COMMUNITY = "Comunidad haitiana de Quilicura"

# fmt: off
REGISTRANTS: list[Registrant] = [
    Registrant("Carolina Muñoz Pizarro", "cmunoz@quilicura.example.org", QUILICURA,
               "Encargada de salud migrante", "13125", "salud", gender="female",
               nationality="CL", checked_in=True),
    Registrant("Jean-Baptiste Pierre", "jbpierre@quilicura.example.org", QUILICURA,
               "Facilitador intercultural", "13125", "salud", ("haitian_creole",),
               gender="male", nationality="HT", checked_in=True),
    Registrant("Marie-Claire Joseph", "mcjoseph@correo.example.org", None,
               "Dirigenta comunitaria", "13125", "educacion", ("haitian_creole",),
               gender="female", nationality="HT", organisation_name=COMMUNITY,
               checked_in=True),
    Registrant("Wilner Saint-Fleur", "wsaintfleur@correo.example.org", None,
               "Vocero", "13125", "salud", ("haitian_creole",), gender="male",
               nationality="HT", organisation_name=COMMUNITY),
    Registrant("Rosemène Dorval", "rdorval@correo.example.org", None,
               "Apoderada", "13127", "educacion", ("haitian_creole",), gender="female",
               nationality="HT", organisation_name=COMMUNITY, checked_in=True),
    Registrant("Fernando Cejudo", "migrantes@loprado.example.org", LO_PRADO,
               "Jefe de la Oficina de Migrantes", "13117", "salud", gender="male",
               nationality="CL", checked_in=True),
    Registrant("Daniela Espinoza Rojas", "despinoza@loprado.example.org", LO_PRADO,
               "Trabajadora social", "13117", "educacion", gender="female",
               nationality="CL"),
    Registrant("Yesenia Quispe Mamani", "yquispe@loprado.example.org", LO_PRADO,
               "Mediadora intercultural", "13117", "educacion", ("other",),
               other_interpretation="Quechua", gender="female", nationality="PE"),
    Registrant("Gabriela Fuentes Soto", "gfuentes@recoleta.example.org", RECOLETA,
               "Coordinadora de la Oficina de Migrantes", "13127", "salud",
               gender="female", nationality="CL", checked_in=True),
    Registrant("Luis Alberto Mendoza", "lmendoza@recoleta.example.org", RECOLETA,
               "Abogado", "13127", "salud", gender="male", nationality="PE"),
    Registrant("Andreína Carrasquel", "acarrasquel@recoleta.example.org", RECOLETA,
               "Psicóloga", "13127", "educacion", gender="female", nationality="VE",
               checked_in=True),
    Registrant("Pedro Aguilera Vidal", "paguilera@recoleta.example.org", RECOLETA,
               "Intérprete de lengua de señas", "13104", "salud", ("sign_language",),
               gender="male", nationality="CL"),
    Registrant("Camila Reyes Araya", "creyes@estacioncentral.example.org", ESTACION,
               "Encargada del Centro Laboral Ideactiva", "13106", "educacion",
               gender="female", nationality="CL", checked_in=True),
    Registrant("José Gregorio Blanco", "jgblanco@estacioncentral.example.org", ESTACION,
               "Orientador laboral", "13106", "salud", gender="male", nationality="VE"),
    Registrant("María Fernanda Ospina", "mfospina@estacioncentral.example.org", ESTACION,
               "Profesora", "13101", "educacion", gender="female", nationality="CO"),
    Registrant("Ignacio Tapia Lagos", "itapia@estacioncentral.example.org", ESTACION,
               "Funcionario municipal", "13106", "salud", ("sign_language",)),
    Registrant("Félix Martínez", "fmartinez@oim-chile.example.org", OIM,
               "Programa Migrantes y Ciudades", "13101", "salud", gender="male",
               nationality="CL", checked_in=True),
    Registrant("Sarah Thompson", "sthompson@oim-chile.example.org", OIM,
               "Programme officer", "13113", "educacion", ("english",), gender="female",
               nationality="GB", language="en"),
    Registrant("Valentina Herrera Castro", "vherrera@indh.example.org", INDH,
               "Abogada de la Unidad de Migrantes", "13108", "educacion",
               gender="female", nationality="CL"),
    Registrant("Roxana Villca Choque", "rvillca@correo.example.org", None,
               "Dirigenta", "13125", "educacion", gender="female", nationality="BO",
               organisation_name="Junta de vecinos Villa San Luis"),
    Registrant("Anaís Rodríguez Parra", "arodriguez@correo.example.org", None,
               "Enfermera", "13128", "salud", gender="prefer_not_to_say",
               nationality="VE", organisation_name="CESFAM Renca"),
    Registrant("Tomás Navarro Díaz", "tnavarro@quilicura.example.org", QUILICURA,
               "Director de Educación Municipal", "13125", "educacion"),
    Registrant("Kiara Louis", "klouis@correo.example.org", None,
               "Estudiante de enfermería", "13125", "salud", ("haitian_creole",),
               gender="non_binary", nationality="HT", organisation_name=COMMUNITY),
    Registrant("Paula Sepúlveda Ortiz", "psepulveda@quilicura.example.org", QUILICURA,
               "Asistente social", "13125", "salud", gender="female", nationality="CL"),
]
# fmt: on


@dataclass
class RoundTableForm:
    comuna: Question
    interpretation: Question
    other_interpretation: Question
    session: Question
    gender: Question
    nationality: Question


def build_form(event: Event) -> RoundTableForm:
    form = questions.ensure_event_form(event)
    questions.set_purpose(form, PURPOSE_ES, PURPOSE_EN)
    comuna = questions.add_standard_question(form, "comuna_of_residence")
    interpretation = questions.add_standard_question(form, "interpretation")
    other = questions.add_question(
        form,
        questions.QuestionSpec(
            kind=QuestionKind.SHORT_TEXT.value,
            label_es="¿Qué otra interpretación necesita?",
            label_en="Which other interpretation do you need?",
            help_es="Por ejemplo, quechua o aymara.",
            help_en="For example, Quechua or Aymara.",
            required=True,
            show_at_checkin=True,
            condition_question_id=interpretation.id,
            condition_value="other",
        ),
    )
    session = questions.add_question(
        form,
        questions.QuestionSpec(
            kind=QuestionKind.SINGLE_CHOICE.value,
            label_es="¿A qué taller asistirá?",
            label_en="Which workshop will you attend?",
            help_es="Ambos talleres son a las 11:00; cada uno tiene 20 cupos.",
            help_en="Both workshops start at 11:00; each has 20 places.",
            required=True,
            choices=[
                questions.ChoiceSpec(es, en, places=SESSION_PLACES, value=value)
                for value, es, en in SESSIONS
            ],
        ),
    )
    gender = questions.add_standard_question(form, "gender")
    nationality = questions.add_standard_question(form, "nationality")
    return RoundTableForm(comuna, interpretation, other, session, gender, nationality)


def _formdata(form: RoundTableForm, person: Registrant) -> MultiDict:
    """What the public form would post for this person."""
    data: list[tuple[str, str]] = [
        (form.comuna.field_name, person.comuna),
        (form.session.field_name, person.session),
    ]
    data += [(form.interpretation.field_name, value) for value in person.interpretation]
    if person.other_interpretation:
        data.append((form.other_interpretation.field_name, person.other_interpretation))
    if person.gender or person.nationality:
        data.append((questions.CONSENT_FIELD, "y"))
        if person.gender:
            data.append((form.gender.field_name, person.gender))
        if person.nationality:
            data.append((form.nationality.field_name, person.nationality))
    return MultiDict(data)


def load_round_table_form() -> bool:
    """The form and its registrants, once: nothing happens when the event already has a form
    (or is not in the database)."""
    event = db.session.scalar(select(Event).where(Event.title == OPEN_ROUND_TABLE))
    if event is None or questions.event_form(event.id) is not None:
        return False
    form = build_form(event)
    if registrations.closed_reason(event) is not None:
        return True  # a demo loaded long ago: the round table has taken place
    asked = questions.event_questions(event.id)
    organisations = {
        o.name: o.id
        for o in db.session.scalars(
            select(Organisation).where(
                Organisation.name.in_({p.organisation for p in REGISTRANTS if p.organisation})
            )
        )
    }
    for person in REGISTRANTS:
        sheet = questions.read_answers(asked, _formdata(form, person))
        if not sheet.valid:  # the data above is wrong: say which, rather than load less
            raise ValueError(f"demo answers of {person.email} refused: {sheet.errors}")
        registration = registrations.register(
            event,
            registrations.RegistrantData(
                name=person.name,
                email=person.email,
                language=person.language,
                organisation_id=organisations.get(person.organisation or ""),
                organisation_name=person.organisation_name,
                job_title=person.job_title,
                questions=asked,
                answers=sheet,
            ),
        )
        if person.checked_in:
            registrations.check_in(registration)
    return True
