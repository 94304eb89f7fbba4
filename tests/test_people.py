"""The speaker directory: list and search, create/edit/delete, the public speaker page."""

import pytest
from sqlalchemy import func, select

from eventhub.extensions import db
from eventhub.people.models import Speaker
from tests.factories import OrganisationFactory, SpeakerFactory


@pytest.fixture(autouse=True)
def english(client):
    """Assertions read English texts; the default locale's catalogue is filled separately."""
    client.post("/language", data={"lang": "en", "next": "/"})


def make_speaker(app, **fields) -> int:
    with app.app_context():
        if "organisation" in fields and isinstance(fields["organisation"], str):
            fields["organisation"] = OrganisationFactory(name=fields["organisation"])
        speaker = SpeakerFactory(**fields)
        db.session.commit()
        return speaker.id


def make_organisation(app, name: str) -> int:
    with app.app_context():
        organisation = OrganisationFactory(name=name)
        db.session.commit()
        return organisation.id


def speakers(app) -> list[Speaker]:
    with app.app_context():
        rows = db.session.scalars(select(Speaker).order_by(Speaker.id)).all()
        db.session.expunge_all()
        return rows


def speaker_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Speaker))


def form_data(**overrides) -> dict:
    data = {
        "name": "Rodrigo Sandoval",
        "title": "Jefe de la Oficina de Migrantes",
        "organisation_id": "",
        "affiliation": "",
        "bio": "Trabaja con municipios desde 2015.",
        "email": "rsandoval@example.org",
    }
    data.update(overrides)
    return data


# --- access -------------------------------------------------------------------------------


def test_anonymous_cannot_see_the_list_or_the_forms(app, client):
    speaker_id = make_speaker(app)
    for url in (
        "/speakers/",
        "/speakers/new",
        f"/speakers/{speaker_id}/edit",
        f"/speakers/{speaker_id}/delete",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login"), url
    for url in ("/speakers/new", f"/speakers/{speaker_id}/edit", f"/speakers/{speaker_id}/delete"):
        response = client.post(url, data=form_data(name="Intruder"))
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login"), url
    assert speaker_count(app) == 1
    assert all(s.name != "Intruder" for s in speakers(app))


def test_anonymous_reads_a_speaker_page_without_the_email(app, client):
    speaker_id = make_speaker(
        app,
        name="Tomás Pascual",
        title="Director del Instituto Nacional de Derechos Humanos",
        organisation="Instituto Nacional de Derechos Humanos",
        bio="Abogado y académico.",
        email="tpascual@example.org",
    )
    response = client.get(f"/speakers/{speaker_id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Tomás Pascual</h1>" in page
    assert "Director del Instituto Nacional de Derechos Humanos" in page
    assert "Instituto Nacional de Derechos Humanos" in page
    assert "Abogado y académico." in page
    assert "tpascual@example.org" not in page
    assert f"/speakers/{speaker_id}/edit" not in page
    assert f"/speakers/{speaker_id}/delete" not in page


def test_organiser_sees_the_email_and_the_actions(app, organiser_client):
    speaker_id = make_speaker(app, name="Tomás Pascual", email="tpascual@example.org")
    page = organiser_client.get(f"/speakers/{speaker_id}").get_data(as_text=True)
    assert "tpascual@example.org" in page
    assert f"/speakers/{speaker_id}/edit" in page
    assert f"/speakers/{speaker_id}/delete" in page


def test_unknown_speaker_is_404(client, organiser_client):
    assert organiser_client.get("/speakers/999999").status_code == 404
    assert organiser_client.get("/speakers/999999/edit").status_code == 404
    assert organiser_client.get("/speakers/999999/delete").status_code == 404
    assert organiser_client.post("/speakers/999999/delete").status_code == 404


def test_unknown_speaker_is_404_for_anonymous(client):
    assert client.get("/speakers/999999").status_code == 404


def test_speaker_texts_are_escaped(app, client):
    speaker_id = make_speaker(app, name="<script>alert(1)</script>", bio="<b>bold</b>")
    page = client.get(f"/speakers/{speaker_id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    assert "<b>bold</b>" not in page


# --- create, edit, delete -----------------------------------------------------------------


def test_create_speaker_with_a_directory_organisation(app, organiser_client):
    organisation_id = make_organisation(app, "Municipalidad de Santiago")
    page = organiser_client.get("/speakers/new").get_data(as_text=True)
    assert "Municipalidad de Santiago" in page
    assert '<label for="name">' in page

    response = organiser_client.post(
        "/speakers/new",
        data=form_data(name="  Rodrigo   Sandoval ", organisation_id=str(organisation_id)),
    )
    assert response.status_code == 302
    [speaker] = speakers(app)
    assert response.headers["Location"] == f"/speakers/{speaker.id}"
    assert speaker.name == "Rodrigo Sandoval"
    assert speaker.title == "Jefe de la Oficina de Migrantes"
    assert speaker.organisation_id == organisation_id
    assert speaker.affiliation is None
    assert speaker.email == "rsandoval@example.org"
    assert speaker.bio == "Trabaja con municipios desde 2015."


def test_create_speaker_with_a_free_text_affiliation(app, organiser_client):
    response = organiser_client.post(
        "/speakers/new", data=form_data(affiliation="Universidad de Chile", email="")
    )
    assert response.status_code == 302
    [speaker] = speakers(app)
    assert speaker.organisation_id is None
    assert speaker.affiliation == "Universidad de Chile"
    assert speaker.email is None
    page = organiser_client.get("/speakers/").get_data(as_text=True)
    assert "Universidad de Chile" in page


def test_organisation_and_affiliation_together_are_refused(app, organiser_client):
    organisation_id = make_organisation(app, "Municipalidad de Quilicura")
    response = organiser_client.post(
        "/speakers/new",
        data=form_data(organisation_id=str(organisation_id), affiliation="Otra"),
    )
    assert response.status_code == 200
    assert 'id="affiliation-errors"' in response.get_data(as_text=True)
    assert speaker_count(app) == 0


def test_edit_speaker(app, organiser_client):
    speaker_id = make_speaker(app, name="Ana Pérez", title="Economist", email="ana@example.org")
    organisation_id = make_organisation(app, "Cámara Chilena de Comercio")
    page = organiser_client.get(f"/speakers/{speaker_id}/edit").get_data(as_text=True)
    assert 'value="Ana Pérez"' in page

    response = organiser_client.post(
        f"/speakers/{speaker_id}/edit",
        data=form_data(
            name="Ana Pérez",
            title="Presidenta",
            organisation_id=str(organisation_id),
            email="",
            bio="",
        ),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/speakers/{speaker_id}"
    [speaker] = speakers(app)
    assert speaker.title == "Presidenta"
    assert speaker.organisation_id == organisation_id
    assert speaker.email is None
    assert speaker.bio is None


def test_delete_asks_for_confirmation_then_deletes_on_post(app, organiser_client):
    speaker_id = make_speaker(app, name="Ana Pérez")
    response = organiser_client.get(f"/speakers/{speaker_id}/delete")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'method="post"' in page
    assert f'action="/speakers/{speaker_id}/delete"' in page
    assert speaker_count(app) == 1

    response = organiser_client.post(f"/speakers/{speaker_id}/delete")
    assert response.status_code == 302
    assert response.headers["Location"] == "/speakers/"
    assert speaker_count(app) == 0
    assert organiser_client.get(f"/speakers/{speaker_id}").status_code == 404


# --- refusals: nothing is written ------------------------------------------------------------


def test_duplicate_name_and_organisation_is_refused(app, organiser_client):
    organisation_id = make_organisation(app, "Municipalidad de Independencia")
    make_speaker(app, name="Rodrigo Sandoval", organisation_id=organisation_id)
    response = organiser_client.post(
        "/speakers/new",
        data=form_data(name="rodrigo  SANDOVAL", organisation_id=str(organisation_id)),
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="name-errors"' in page
    assert "already in the directory" in page
    assert speaker_count(app) == 1

    # The same name elsewhere is another person.
    other_id = make_organisation(app, "Municipalidad de Recoleta")
    response = organiser_client.post(
        "/speakers/new", data=form_data(name="Rodrigo Sandoval", organisation_id=str(other_id))
    )
    assert response.status_code == 302
    assert speaker_count(app) == 2


def test_duplicate_name_and_affiliation_is_refused(app, organiser_client):
    make_speaker(app, name="José Núñez", affiliation="Universidad de Chile")
    response = organiser_client.post(
        "/speakers/new", data=form_data(name="JOSÉ NÚÑEZ", affiliation="universidad de chile")
    )
    assert response.status_code == 200
    assert 'id="name-errors"' in response.get_data(as_text=True)
    assert speaker_count(app) == 1


def test_edit_into_a_duplicate_is_refused_and_nothing_changes(app, organiser_client):
    organisation_id = make_organisation(app, "Municipalidad de Estación Central")
    make_speaker(app, name="Ana Pérez", organisation_id=organisation_id)
    other_id = make_speaker(app, name="Ana P.", organisation_id=organisation_id, title="Jefa")
    response = organiser_client.post(
        f"/speakers/{other_id}/edit",
        data=form_data(name="Ana Pérez", title="Changed", organisation_id=str(organisation_id)),
    )
    assert response.status_code == 200
    assert 'id="name-errors"' in response.get_data(as_text=True)
    other = next(s for s in speakers(app) if s.id == other_id)
    assert other.name == "Ana P."
    assert other.title == "Jefa"


def test_invalid_email_is_refused(app, organiser_client):
    response = organiser_client.post("/speakers/new", data=form_data(email="not-an-email"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="email-errors"' in page
    assert 'aria-invalid="true"' in page
    assert speaker_count(app) == 0


@pytest.mark.parametrize("value", ["999999", "junk", "-3"])
def test_unknown_organisation_id_is_refused(app, organiser_client, value):
    make_organisation(app, "Municipalidad de Santiago")
    response = organiser_client.post("/speakers/new", data=form_data(organisation_id=value))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="organisation_id-errors"' in page
    assert "Unknown organisation" in page
    assert speaker_count(app) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "x" * 121),
        ("name", "   "),
        ("title", "x" * 201),
        ("affiliation", "x" * 201),
        ("bio", "x" * 2001),
    ],
)
def test_bad_lengths_are_refused_and_nothing_written(app, organiser_client, field, value):
    response = organiser_client.post("/speakers/new", data=form_data(**{field: value}))
    assert response.status_code == 200
    assert f'id="{field}-errors"' in response.get_data(as_text=True)
    assert speaker_count(app) == 0


def test_too_long_name_on_edit_changes_nothing(app, organiser_client):
    speaker_id = make_speaker(app, name="Ana Pérez")
    response = organiser_client.post(f"/speakers/{speaker_id}/edit", data=form_data(name="x" * 121))
    assert response.status_code == 200
    assert 'id="name-errors"' in response.get_data(as_text=True)
    assert [s.name for s in speakers(app)] == ["Ana Pérez"]


def test_longest_allowed_values_are_accepted(app, organiser_client):
    response = organiser_client.post(
        "/speakers/new", data=form_data(name="n" * 120, title="t" * 200, bio="b" * 2000)
    )
    assert response.status_code == 302
    assert speaker_count(app) == 1


# --- list and search ------------------------------------------------------------------------


def test_list_shows_name_title_and_organisation(app, organiser_client):
    make_speaker(app, name="Ana Pérez", title="Jefa", organisation="Municipalidad de Lampa")
    make_speaker(app, name="Beto Rojas", title="Investigador", affiliation="FLACSO Chile")
    response = organiser_client.get("/speakers/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<th scope="col">' in page
    for text in ("Ana Pérez", "Jefa", "Municipalidad de Lampa", "Beto Rojas", "FLACSO Chile"):
        assert text in page
    assert page.index("Ana Pérez") < page.index("Beto Rojas")


def test_search_by_name_and_organisation(app, organiser_client):
    make_speaker(app, name="Ana Pérez", organisation="Municipalidad de Lampa")
    make_speaker(app, name="Beto Rojas", affiliation="FLACSO Chile")
    make_speaker(app, name="Carla Soto", title="Lampa expert")

    def names(q: str) -> set[str]:
        page = organiser_client.get("/speakers/", query_string={"q": q}).get_data(as_text=True)
        return {n for n in ("Ana Pérez", "Beto Rojas", "Carla Soto") if n in page}

    assert names("pérez") == {"Ana Pérez"}
    assert names("lampa") == {"Ana Pérez"}
    assert names("flacso") == {"Beto Rojas"}
    assert names("") == {"Ana Pérez", "Beto Rojas", "Carla Soto"}
    assert names("%") == set()
    assert names("_") == set()
    assert names("x" * 300) == {"Ana Pérez", "Beto Rojas", "Carla Soto"}


def test_pagination(app, organiser_client):
    with app.app_context():
        SpeakerFactory.create_batch(30)
        db.session.commit()
    first = organiser_client.get("/speakers/").get_data(as_text=True)
    assert 'rel="next"' in first
    second = organiser_client.get("/speakers/?page=2")
    assert second.status_code == 200
    assert 'rel="prev"' in second.get_data(as_text=True)
    assert organiser_client.get("/speakers/?page=99").status_code == 200
    assert organiser_client.get("/speakers/?page=junk").status_code == 200


def test_list_query_count_does_not_grow_with_rows(app, organiser_client, count_queries):
    def add_speakers(count: int) -> None:
        with app.app_context():
            for _ in range(count):
                SpeakerFactory(organisation=OrganisationFactory())
            db.session.commit()

    def queries() -> int:
        with count_queries(app) as statements:
            response = organiser_client.get("/speakers/")
        assert response.status_code == 200
        return len(statements)

    add_speakers(3)
    with_three = queries()
    add_speakers(27)
    with_thirty = queries()
    assert with_three == with_thirty
    assert with_thirty <= 5
