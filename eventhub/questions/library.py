"""Standard questions organisers pick from. Each has a fixed key: the programme's figures
group answers by it across events, whatever each event's form calls the question, so the
values of the choices never change once shipped (labels may)."""

from dataclasses import dataclass, field

from eventhub.questions.models import QuestionKind


@dataclass(frozen=True)
class StandardChoice:
    value: str
    es: str
    en: str


@dataclass(frozen=True)
class StandardQuestion:
    key: str
    kind: str
    es: str
    en: str
    help_es: str = ""
    help_en: str = ""
    choices: tuple[StandardChoice, ...] = field(default_factory=tuple)
    sensitive: bool = False
    show_at_checkin: bool = False
    display: str = "radio"


def _choices(*triples: tuple[str, str, str]) -> tuple[StandardChoice, ...]:
    return tuple(StandardChoice(value, es, en) for value, es, en in triples)


PREFER_NOT_TO_SAY = ("prefer_not_to_say", "Prefiero no responder", "Prefer not to say")

STANDARD_QUESTIONS: tuple[StandardQuestion, ...] = (
    StandardQuestion(
        key="gender",
        kind=QuestionKind.SINGLE_CHOICE.value,
        es="Género",
        en="Gender",
        choices=_choices(
            ("female", "Femenino", "Female"),
            ("male", "Masculino", "Male"),
            ("non_binary", "No binario", "Non-binary"),
            ("other", "Otro", "Other"),
            PREFER_NOT_TO_SAY,
        ),
        sensitive=True,
    ),
    StandardQuestion(
        key="age_range",
        kind=QuestionKind.SINGLE_CHOICE.value,
        es="Rango de edad",
        en="Age range",
        choices=_choices(
            ("under_18", "Menos de 18 años", "Under 18"),
            ("18_29", "18 a 29 años", "18 to 29"),
            ("30_44", "30 a 44 años", "30 to 44"),
            ("45_59", "45 a 59 años", "45 to 59"),
            ("60_plus", "60 años o más", "60 or over"),
            PREFER_NOT_TO_SAY,
        ),
        display="select",
    ),
    StandardQuestion(
        key="nationality",
        kind=QuestionKind.COUNTRY.value,
        es="Nacionalidad",
        en="Nationality",
        sensitive=True,
    ),
    StandardQuestion(
        key="comuna_of_residence",
        kind=QuestionKind.COMUNA.value,
        es="Comuna de residencia",
        en="Comuna of residence",
    ),
    StandardQuestion(
        key="institution_kind",
        kind=QuestionKind.SINGLE_CHOICE.value,
        es="Tipo de institución",
        en="Kind of institution",
        choices=_choices(
            ("municipality", "Municipalidad", "Municipality"),
            ("central_government", "Gobierno central", "Central government"),
            ("international", "Organismo internacional", "International organisation"),
            ("civil_society", "Sociedad civil", "Civil society"),
            ("academia", "Universidad o centro de estudios", "University or research centre"),
            ("private_sector", "Sector privado", "Private sector"),
            ("migrant_organisation", "Organización de migrantes", "Migrant organisation"),
            ("other", "Otra", "Other"),
        ),
        display="select",
    ),
    StandardQuestion(
        key="interpretation",
        kind=QuestionKind.MULTIPLE_CHOICE.value,
        es="¿Necesita interpretación?",
        en="Do you need interpretation?",
        help_es="Marque las que necesite; déjelo en blanco si no necesita ninguna.",
        help_en="Tick those you need; leave it blank if you need none.",
        choices=_choices(
            ("haitian_creole", "Creole haitiano", "Haitian Creole"),
            ("sign_language", "Lengua de señas chilena", "Chilean sign language"),
            ("english", "Inglés", "English"),
            ("other", "Otra", "Other"),
        ),
        show_at_checkin=True,
    ),
    StandardQuestion(
        key="accessibility",
        kind=QuestionKind.MULTIPLE_CHOICE.value,
        es="Accesibilidad",
        en="Accessibility",
        help_es="¿Qué necesita para participar sin barreras?",
        help_en="What do you need to take part without barriers?",
        choices=_choices(
            ("wheelchair", "Acceso en silla de ruedas", "Wheelchair access"),
            ("reduced_mobility", "Movilidad reducida", "Reduced mobility"),
            ("low_vision", "Baja visión", "Low vision"),
            ("hearing", "Apoyo auditivo", "Hearing support"),
            ("other", "Otra", "Other"),
        ),
        sensitive=True,
        show_at_checkin=True,
    ),
    StandardQuestion(
        key="dietary",
        kind=QuestionKind.MULTIPLE_CHOICE.value,
        es="Alimentación",
        en="Dietary needs",
        choices=_choices(
            ("vegetarian", "Vegetariana", "Vegetarian"),
            ("vegan", "Vegana", "Vegan"),
            ("gluten_free", "Sin gluten", "Gluten-free"),
            ("lactose_free", "Sin lactosa", "Lactose-free"),
            ("halal", "Halal", "Halal"),
            ("other", "Otra", "Other"),
        ),
    ),
    StandardQuestion(
        key="childcare",
        kind=QuestionKind.YES_NO.value,
        es="¿Necesita cuidado infantil durante la actividad?",
        en="Do you need childcare during the event?",
        show_at_checkin=True,
    ),
)

BY_KEY = {question.key: question for question in STANDARD_QUESTIONS}


def standard_question(key: str) -> StandardQuestion | None:
    return BY_KEY.get(key)
