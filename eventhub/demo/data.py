"""The world of the IOM Chile newsletter (March 2017): its organisations and their contacts,
its speakers, its programme and its events with their agendas, plus a few upcoming events.
"""

from datetime import date, time, timedelta

from eventhub.events.models import ParticipationRole

DEMO_EMAIL = "organizadora@example.org"
DEMO_NAME = "Organizadora Demo"
METRO = "Metropolitana de Santiago"

# name, kind, region, commune, website
ORGANISATIONS = [
    ("OIM Chile", "international_organisation", METRO, "Santiago", "https://chile.iom.int"),
    ("Municipalidad de Lo Prado", "municipality", METRO, "Lo Prado", None),
    ("Municipalidad de La Reina", "municipality", METRO, "La Reina", None),
    ("Municipalidad de Quilicura", "municipality", METRO, "Quilicura", None),
    ("Municipalidad de Estación Central", "municipality", METRO, "Estación Central", None),
    ("Municipalidad de Peñalolén", "municipality", METRO, "Peñalolén", None),
    ("Municipalidad de Maipú", "municipality", METRO, "Maipú", None),
    ("Municipalidad de Quinta Normal", "municipality", METRO, "Quinta Normal", None),
    ("Municipalidad de Recoleta", "municipality", METRO, "Recoleta", None),
    ("Instituto Nacional de Derechos Humanos", "government_agency", METRO, None, None),
    (
        "Asociación de Exportadores de Manufacturas (ASEXMA)",
        "business_association",
        METRO,
        None,
        None,
    ),
    (
        "Dirección General de Relaciones Económicas Internacionales (DIRECON)",
        "government_agency",
        METRO,
        None,
        None,
    ),
    ("FX One", "company", METRO, None, None),
    ("Universidad Católica del Maule", "university", "Maule", "Talca", None),
    ("Embajada de los Estados Unidos en Chile", "embassy", METRO, None, None),
    ("Delta Air Lines", "company", METRO, None, None),
]

# organisation, name, role, email, language, primary
CONTACTS = [
    ("OIM Chile", "Norberto Girón", "Jefe de Misión", "ngiron@oim-chile.example.org", "es", True),
    (
        "OIM Chile",
        "Félix Martínez",
        "Programa Migrantes y Ciudades",
        "fmartinez@oim-chile.example.org",
        "es",
        False,
    ),
    (
        "OIM Chile",
        "Alex Alarcón",
        "Experto en políticas migratorias y salud",
        "aalarcon@oim-chile.example.org",
        "es",
        False,
    ),
    (
        "Municipalidad de Lo Prado",
        "Fernando Cejudo",
        "Jefe de la Oficina de Migrantes",
        "migrantes@loprado.example.org",
        "es",
        True,
    ),
    (
        "Municipalidad de La Reina",
        "Oficina de Migrantes",
        "Oficina de Migrantes",
        "migrantes@lareina.example.org",
        "es",
        True,
    ),
    (
        "Municipalidad de Quilicura",
        "Oficina de Migrantes y Refugiados",
        "Oficina de Migrantes y Refugiados",
        "migrantes@quilicura.example.org",
        "es",
        True,
    ),
    (
        "Municipalidad de Quilicura",
        "Juan Carrasco",
        "Alcalde",
        "alcalde@quilicura.example.org",
        "es",
        False,
    ),
    (
        "Municipalidad de Estación Central",
        "Oficina de Migrantes",
        "Oficina de Migrantes",
        "migrantes@estacioncentral.example.org",
        "es",
        True,
    ),
    (
        "Municipalidad de Estación Central",
        "Rodrigo Delgado",
        "Alcalde",
        "alcalde@estacioncentral.example.org",
        "es",
        False,
    ),
    (
        "Municipalidad de Peñalolén",
        "Oficina de Migrantes",
        "Oficina de Migrantes",
        "migrantes@penalolen.example.org",
        "es",
        True,
    ),
    (
        "Municipalidad de Maipú",
        "Oficina de Migrantes",
        "Oficina de Migrantes",
        "migrantes@maipu.example.org",
        "es",
        True,
    ),
    (
        "Municipalidad de Quinta Normal",
        "Oficina de Migrantes",
        "Oficina de Migrantes",
        "migrantes@quintanormal.example.org",
        "es",
        True,
    ),
    (
        "Municipalidad de Recoleta",
        "Daniel Jadue",
        "Alcalde",
        "alcalde@recoleta.example.org",
        "es",
        True,
    ),
    (
        "Instituto Nacional de Derechos Humanos",
        "Branislav Marelic",
        "Director",
        "bmarelic@indh.example.org",
        "es",
        True,
    ),
    (
        "Asociación de Exportadores de Manufacturas (ASEXMA)",
        "Roberto Fantuzzi",
        "Presidente",
        "presidencia@asexma.example.org",
        "es",
        True,
    ),
    (
        "Dirección General de Relaciones Económicas Internacionales (DIRECON)",
        "Felipe Lopeandia",
        "Jefe negociador TPP",
        "flopeandia@direcon.example.org",
        "es",
        True,
    ),
    (
        "Universidad Católica del Maule",
        "Diego Durán",
        "Rector",
        "rectoria@ucm.example.org",
        "es",
        True,
    ),
    (
        "Embajada de los Estados Unidos en Chile",
        "Exchange programmes office",
        "International Visitor Leadership Program",
        "ivlp@us-embassy-chile.example.org",
        "en",
        True,
    ),
    (
        "Delta Air Lines",
        "Jorge Triviño",
        "Gerente de Ventas en Chile",
        "jtrivino@delta.example.org",
        "es",
        True,
    ),
]

# name, title, organisation, bio
SPEAKERS = [
    (
        "Fernando Cejudo",
        "Jefe de la Oficina de Migrantes de Lo Prado",
        "Municipalidad de Lo Prado",
        None,
    ),
    ("Félix Martínez", "Programa Migrantes y Ciudades, OIM Chile", "OIM Chile", None),
    (
        "Branislav Marelic",
        "Director del Instituto Nacional de Derechos Humanos",
        "Instituto Nacional de Derechos Humanos",
        "Habló sobre migración y derechos humanos.",
    ),
    (
        "Roberto Fantuzzi",
        "Presidente de ASEXMA",
        "Asociación de Exportadores de Manufacturas (ASEXMA)",
        None,
    ),
    (
        "Tomás Flores",
        "Economista, ex Subsecretario de Economía, Director de FX One",
        "FX One",
        None,
    ),
    (
        "Felipe Lopeandia",
        "Jefe negociador TPP, DIRECON",
        "Dirección General de Relaciones Económicas Internacionales (DIRECON)",
        None,
    ),
    (
        "Alex Alarcón",
        "Experto en políticas migratorias, OIM Chile",
        "OIM Chile",
        "Experto de la OIM en migración y salud.",
    ),
    ("Norberto Girón", "Jefe de Misión, OIM Chile", "OIM Chile", None),
    (
        "Diego Durán",
        "Rector de la Universidad Católica del Maule",
        "Universidad Católica del Maule",
        None,
    ),
]

PROGRAMME = (
    "Programa Migrantes y Ciudades",
    "Trabajo colaborativo entre municipios y la OIM sobre la inclusión de personas migrantes.",
)

SANTIAGO = "America/Santiago"
DIRECON = "Dirección General de Relaciones Económicas Internacionales (DIRECON)"


def _item(start, end, title, kind, speakers=(), **extra):
    """An agenda item: ("09:30", "09:45", title, kind, [(speaker name, role)], ...)."""
    return {"start": start, "end": end, "title": title, "kind": kind, "speakers": speakers, **extra}


LO_PRADO_AGENDA = [
    _item("09:30", "09:45", "Bienvenida", "opening", [("Fernando Cejudo", "host")]),
    _item(
        "09:45",
        "10:15",
        "El Programa Migrantes y Ciudades",
        "talk",
        [("Félix Martínez", "speaker")],
    ),
    _item(
        "10:15", "10:45", "Migración y derechos humanos", "talk", [("Branislav Marelic", "speaker")]
    ),
    _item("10:45", "11:00", "Café", "break"),
    _item(
        "11:00",
        "12:30",
        "Mesa de trabajo intermunicipal",
        "discussion",
        [("Fernando Cejudo", "moderator")],
        description="Oficinas de Migrantes de La Reina, Quilicura, Estación Central, "
        "Peñalolén, Maipú y Quinta Normal: la realidad de cada comuna y el trabajo de Lo Prado "
        "con la comunidad migrante.",
    ),
    _item("12:30", "13:00", "Conclusiones y cierre", "closing", [("Félix Martínez", "host")]),
]

ASEXMA_AGENDA = [
    _item("08:00", "08:30", "Recepción y desayuno", "break"),
    _item("08:30", "08:45", "Inauguración", "opening", [("Roberto Fantuzzi", "host")]),
    _item(
        "08:45",
        "09:10",
        "Perspectivas de la economía chilena",
        "talk",
        [("Tomás Flores", "speaker")],
    ),
    _item(
        "09:10",
        "09:35",
        "El TPP y los exportadores de manufacturas",
        "talk",
        [("Felipe Lopeandia", "speaker")],
    ),
    _item(
        "09:35",
        "10:00",
        "Migración, derechos humanos y aporte de las personas migrantes",
        "talk",
        [("Alex Alarcón", "speaker")],
        description="La estigmatización de la migración, la regularización y el aporte de la "
        "población migrante.",
    ),
    _item(
        "10:00", "10:30", "Preguntas del público", "discussion", [("Roberto Fantuzzi", "moderator")]
    ),
]

UCM_AGENDA = [
    _item("11:00", "11:15", "Palabras del Rector", "opening", [("Diego Durán", "host")]),
    _item(
        "11:15",
        "11:30",
        "Palabras del Jefe de Misión de la OIM Chile",
        "talk",
        [("Norberto Girón", "speaker")],
    ),
    _item(
        "11:30",
        "11:50",
        "Firma del convenio de cooperación",
        "signing",
        [("Diego Durán", "host"), ("Norberto Girón", "host")],
    ),
    _item("11:50", "12:30", "Vino de honor", "break"),
]


def _event(title, kind, day, start, end, **extra):
    return {"title": title, "kind": kind, "day": day, "start": start, "end": end, **extra}


def newsletter_events() -> list[dict]:
    return [
        _event(
            "Mesa intermunicipal sobre migración en Lo Prado",
            "round_table",
            date(2017, 3, 30),
            time(9, 30),
            time(13, 0),
            summary="Mesa de trabajo del Programa Migrantes y Ciudades sobre migración y "
            "derechos humanos con las oficinas de migrantes de seis municipios.",
            description="La Municipalidad de Lo Prado y la OIM Chile convocan a las oficinas de "
            "migrantes de La Reina, Quilicura, Estación Central, Peñalolén, Maipú y Quinta Normal "
            "para compartir sus realidades comunales y el trabajo de Lo Prado con la comunidad "
            "migrante.",
            venue_name="Municipalidad de Lo Prado",
            venue_address="Av. San Pablo 5959, Lo Prado, Santiago",
            host="Municipalidad de Lo Prado",
            programme=True,
            organisations={
                "OIM Chile": ParticipationRole.CO_ORGANISER,
                "Instituto Nacional de Derechos Humanos": ParticipationRole.PARTICIPANT,
                "Municipalidad de La Reina": ParticipationRole.PARTICIPANT,
                "Municipalidad de Quilicura": ParticipationRole.PARTICIPANT,
                "Municipalidad de Estación Central": ParticipationRole.PARTICIPANT,
                "Municipalidad de Peñalolén": ParticipationRole.PARTICIPANT,
                "Municipalidad de Maipú": ParticipationRole.PARTICIPANT,
                "Municipalidad de Quinta Normal": ParticipationRole.PARTICIPANT,
            },
            capacity=40,
            agenda=LO_PRADO_AGENDA,
        ),
        _event(
            "Desayuno anual de ASEXMA",
            "breakfast",
            date(2017, 3, 29),
            time(8, 0),
            time(10, 30),
            summary="Exportadores de manufacturas, autoridades y líderes del sector privado "
            "conversan sobre migración, comercio y el TPP.",
            description="Inaugura Roberto Fantuzzi, presidente de ASEXMA. Exponen Tomás Flores, "
            "Felipe Lopeandia (DIRECON) y Alex Alarcón (OIM Chile). Primer evento público del "
            "proyecto conjunto de la OIM con el sector privado.",
            venue_name="ASEXMA",
            venue_address="Santiago",
            host="Asociación de Exportadores de Manufacturas (ASEXMA)",
            organisations={
                "OIM Chile": ParticipationRole.PARTICIPANT,
                DIRECON: ParticipationRole.PARTICIPANT,
                "FX One": ParticipationRole.PARTICIPANT,
            },
            capacity=120,
            agenda=ASEXMA_AGENDA,
        ),
        _event(
            "Firma del convenio de cooperación OIM – Universidad Católica del Maule",
            "signing",
            date(2017, 3, 7),
            time(11, 0),
            time(12, 30),
            summary="La OIM Chile y la UCM firman un convenio de investigación conjunta, "
            "seminarios y formación.",
            description="Firman el Jefe de Misión de la OIM Chile, Norberto Girón, y el rector de "
            "la UCM, Dr. Diego Durán.",
            venue_name="Universidad Católica del Maule",
            venue_address="Av. San Miguel 3605, Talca, Región del Maule",
            host="Universidad Católica del Maule",
            organisations={"OIM Chile": ParticipationRole.CO_ORGANISER},
            agenda=UCM_AGENDA,
        ),
        _event(
            "Visita de intercambio de alcaldes a Houston y Providence",
            "visit",
            date(2017, 2, 27),
            time(9, 0),
            time(17, 0),
            end_day=date(2017, 3, 10),
            timezone="America/Chicago",
            summary="Programa IVLP del Departamento de Estado: alcaldes de Estación Central, "
            "Quilicura y Recoleta conocen políticas locales de inclusión de migrantes.",
            description="Organizado por la Embajada de los Estados Unidos en Chile, con la OIM "
            "Chile, en Houston (Texas) y Providence (Rhode Island): salud, educación y empleo de "
            "las personas migrantes.",
            venue_name="Houston, Texas y Providence, Rhode Island",
            host="Embajada de los Estados Unidos en Chile",
            organisations={
                "OIM Chile": ParticipationRole.CO_ORGANISER,
                "Municipalidad de Estación Central": ParticipationRole.PARTICIPANT,
                "Municipalidad de Quilicura": ParticipationRole.PARTICIPANT,
                "Municipalidad de Recoleta": ParticipationRole.PARTICIPANT,
            },
        ),
    ]


def upcoming_events(today: date) -> list[dict]:
    """A few future events, dated from the day the demo is first loaded."""
    return [
        _event(
            "Mesa intermunicipal: salud y educación de personas migrantes",
            "round_table",
            today + timedelta(days=21),
            time(9, 30),
            time(13, 0),
            summary="Segunda mesa del año del Programa Migrantes y Ciudades.",
            venue_name="Municipalidad de Quilicura",
            venue_address="José Francisco Vergara 165, Quilicura",
            host="Municipalidad de Quilicura",
            programme=True,
            registration_mode="open",
            capacity=40,
            organisations={
                "OIM Chile": ParticipationRole.CO_ORGANISER,
                "Municipalidad de Lo Prado": ParticipationRole.INVITED,
                "Municipalidad de Recoleta": ParticipationRole.INVITED,
                "Municipalidad de Estación Central": ParticipationRole.INVITED,
            },
        ),
        _event(
            "Taller: inclusión laboral de personas migrantes",
            "workshop",
            today + timedelta(days=45),
            time(15, 0),
            time(18, 0),
            summary="Experiencias de apoyo integral al empleo, inspiradas en la visita a Houston.",
            venue_name="Centro Laboral Ideactiva",
            venue_address="Estación Central",
            host="Municipalidad de Estación Central",
            publish=False,
        ),
        _event(
            "Conferencia anual Migrantes y Ciudades",
            "conference",
            today + timedelta(days=90),
            time(9, 0),
            time(17, 30),
            summary="Municipios, academia, sector privado y organismos internacionales.",
            venue_name="Centro de Extensión UC",
            venue_address="Av. Libertador Bernardo O'Higgins 390, Santiago",
            host="OIM Chile",
            programme=True,
            registration_mode="open",
            capacity=200,
        ),
    ]
