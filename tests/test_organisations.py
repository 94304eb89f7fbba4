"""The organisation directory: list, create, edit, delete, contacts."""

import re

import pytest
from sqlalchemy import func, select

from eventhub.events.models import Event, EventOrganisation
from eventhub.extensions import db
from eventhub.organisations.models import Contact, Organisation
from tests.factories import ContactFactory, EventFactory, OrganisationFactory, SpeakerFactory


@pytest.fixture
def en_client(organiser_client):
    """Messages in English, whatever the Spanish catalogue says."""
    with organiser_client.session_transaction() as session:
        session["lang"] = "en"
    return organiser_client


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def make(app, factory, **kwargs) -> int:
    with app.app_context():
        row = factory(**kwargs)
        db.session.commit()
        return row.id


def make_contact(app, organisation_id: int, **kwargs) -> int:
    with app.app_context():
        contact = ContactFactory(
            organisation=db.session.get(Organisation, organisation_id), **kwargs
        )
        db.session.commit()
        return contact.id


ORGANISATION = {
    "name": "Municipalidad de Talca",
    "kind": "municipality",
    "region": "Maule",
    "commune": "Talca",
    "website": "www.talca.cl",
    "notes": "",
}


def contact_form(**overrides) -> dict:
    return {
        "name": "Ana Pérez",
        "role": "Jefa de la Oficina de Migrantes",
        "email": "ana@talca.example.cl",
        "phone": "+56 9 1234 5678",
        "language": "es",
        **overrides,
    }


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/organisations/"),
        ("get", "/organisations/new"),
        ("post", "/organisations/new"),
        ("get", "/organisations/1"),
        ("get", "/organisations/1/edit"),
        ("post", "/organisations/1/delete"),
        ("post", "/organisations/1/contacts/new"),
        ("post", "/organisations/1/contacts/1/delete"),
        ("get", "/organisations/import"),
        ("get", "/organisations/import/template.csv"),
    ],
)
def test_anonymous_redirected_to_login(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/organisations/999"),
        ("get", "/organisations/999/edit"),
        ("post", "/organisations/999/edit"),
        ("get", "/organisations/999/delete"),
        ("post", "/organisations/999/delete"),
        ("get", "/organisations/999/contacts/new"),
        ("get", "/organisations/{org}/contacts/999/edit"),
        ("post", "/organisations/{org}/contacts/999/delete"),
        ("get", "/organisations/{org}/contacts/{other_contact}/edit"),
        ("post", "/organisations/{org}/contacts/{other_contact}/delete"),
    ],
)
def test_unknown_ids_are_404(app, organiser_client, method, url):
    org = make(app, OrganisationFactory)
    other_contact = make(app, ContactFactory)  # belongs to another organisation
    response = getattr(organiser_client, method)(url.format(org=org, other_contact=other_contact))
    assert response.status_code == 404
    assert count(app, Contact) == 1


@pytest.mark.parametrize(
    "url",
    [
        "/organisations/99999999999999999999",
        "/organisations/2147483648/edit",
        "/organisations/1/contacts/99999999999999999999/edit",
    ],
)
def test_huge_ids_are_404(app, organiser_client, url):
    make(app, OrganisationFactory)
    assert organiser_client.get(url).status_code == 404


@pytest.mark.parametrize("query", ["?page=100000000000000000000", "?page=-3"])
def test_list_survives_odd_queries(directory, organiser_client, query):
    response = organiser_client.get(f"/organisations/{query}")
    assert response.status_code == 200


def test_nul_characters_are_refused_with_a_message(app, en_client):
    assert en_client.get("/organisations/?q=%00").status_code == 400
    response = en_client.post("/organisations/new", data={**ORGANISATION, "name": "Muni\x00 A"})
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)
    assert count(app, Organisation) == 0


def test_delete_needs_post(app, organiser_client):
    org = make(app, OrganisationFactory)
    contact = make_contact(app, org)
    assert (
        organiser_client.get(f"/organisations/{org}/contacts/{contact}/delete").status_code == 405
    )
    organiser_client.get(f"/organisations/{org}/delete")
    assert count(app, Organisation) == 1


# --- list -----------------------------------------------------------------------------------


@pytest.fixture
def directory(app):
    with app.app_context():
        talca = OrganisationFactory(name="Municipalidad de Talca", region="Maule", commune="Talca")
        ContactFactory.create_batch(2, organisation=talca)
        OrganisationFactory(name="Municipalidad de Ñuñoa", region="Metropolitana de Santiago")
        OrganisationFactory(name="ONG 100% Migrantes", kind="ngo", region="Maule", commune=None)
        OrganisationFactory(name="Universidad de Talca", kind="university", region="Maule")
        db.session.commit()


def rows(response) -> list[str]:
    html = response.get_data(as_text=True)
    return re.findall(r'<th scope="row"><a href="/organisations/\d+">(.*?)</a>', html)


def test_list_shows_all_sorted_with_details(directory, en_client):
    response = en_client.get("/organisations/")
    assert response.status_code == 200
    names = rows(response)
    # Sorted by name; where Ñ falls depends on the database's collation.
    assert sorted(names[:2]) == ["Municipalidad de Talca", "Municipalidad de Ñuñoa"]
    assert names[2:] == ["ONG 100% Migrantes", "Universidad de Talca"]
    html = response.get_data(as_text=True)
    assert "<td>Municipality</td>" in html
    assert "<td>NGO</td>" in html
    assert "<td>Talca</td>" in html
    assert "<td>2</td>" in html  # Talca's contacts
    assert '<th scope="col">' in html
    assert 'for="q"' in html and 'for="kind"' in html and 'for="region"' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?q=talca", ["Municipalidad de Talca", "Universidad de Talca"]),
        ("?q=100%25", ["ONG 100% Migrantes"]),
        ("?q=%25", ["ONG 100% Migrantes"]),
        ("?q=_", []),
        ("?kind=municipality", ["Municipalidad de Talca", "Municipalidad de Ñuñoa"]),
        ("?region=Maule", ["Municipalidad de Talca", "ONG 100% Migrantes", "Universidad de Talca"]),
        ("?region=Maule&kind=university&q=de", ["Universidad de Talca"]),
        ("?kind=nonsense", None),
        ("?region=Nowhere&page=abc", None),
        ("?page=99", []),
    ],
)
def test_list_search_and_filters(directory, en_client, query, expected):
    response = en_client.get(f"/organisations/{query}")
    assert response.status_code == 200
    if expected is None:  # an invalid filter is ignored
        expected = rows(en_client.get("/organisations/"))
    assert sorted(rows(response)) == sorted(expected)


def test_list_paginates(app, en_client):
    with app.app_context():
        OrganisationFactory.create_batch(30)
        db.session.commit()
    first = en_client.get("/organisations/")
    second = en_client.get("/organisations/?page=2")
    assert len(rows(first)) == 25 and len(rows(second)) == 5
    assert 'rel="next"' in first.get_data(as_text=True)


def test_list_query_count_does_not_grow_with_rows(app, organiser_client, count_queries):
    app.config["ORGANISATIONS_PER_PAGE"] = 50  # all rows on one page

    def populate(number: int) -> None:
        with app.app_context():
            for _ in range(number):
                organisation = OrganisationFactory()
                ContactFactory.create_batch(2, organisation=organisation)
            db.session.commit()

    def queries() -> tuple[int, int]:
        with count_queries(app) as statements:
            response = organiser_client.get("/organisations/")
        assert response.status_code == 200
        return len(statements), len(rows(response))

    populate(3)
    organiser_client.get("/organisations/")  # warm up
    with_three, shown = queries()
    assert shown == 3
    populate(27)
    with_thirty, shown = queries()
    assert shown == 30
    assert with_three == with_thirty


# --- create and edit ------------------------------------------------------------------------


def test_create_organisation(app, en_client):
    form = en_client.get("/organisations/new").get_data(as_text=True)
    assert '<datalist id="regions">' in form and "Ñuble" in form and "O&#39;Higgins" in form
    response = en_client.post("/organisations/new", data={**ORGANISATION, "region": "maule"})
    assert response.status_code == 302
    with app.app_context():
        organisation = db.session.scalar(select(Organisation))
        assert response.headers["Location"] == f"/organisations/{organisation.id}"
        assert organisation.region == "Maule"
        assert organisation.website == "https://www.talca.cl"
        assert organisation.notes is None
    page = en_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Municipalidad de Talca" in page
    assert 'href="https://www.talca.cl"' in page


@pytest.mark.parametrize("name", ["Municipalidad de Talca", "  municipalidad DE TALCA "])
def test_create_with_duplicate_name_shows_field_error(app, en_client, name):
    make(app, OrganisationFactory, name="Municipalidad de Talca")
    response = en_client.post("/organisations/new", data={**ORGANISATION, "name": name})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="name-errors"' in html
    assert "An organisation with this name already exists." in html
    assert count(app, Organisation) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "x" * 201),
        ("kind", "castle"),
        ("website", "javascript:alert(1)"),
        ("website", "not a website"),
        ("region", "r" * 101),
    ],
)
def test_create_with_bad_input_shows_field_error(app, en_client, field, value):
    response = en_client.post("/organisations/new", data={**ORGANISATION, field: value})
    assert response.status_code == 200
    assert f'id="{field}-errors"' in response.get_data(as_text=True)
    assert count(app, Organisation) == 0


def test_edit_organisation(app, en_client):
    org = make(app, OrganisationFactory, name="Muni", region="Metropolitana")
    other = make(app, OrganisationFactory, name="Other")
    page = en_client.get(f"/organisations/{org}/edit").get_data(as_text=True)
    assert 'value="Muni"' in page
    response = en_client.post(
        f"/organisations/{org}/edit", data={**ORGANISATION, "name": "muni", "kind": "ngo"}
    )
    assert response.status_code == 302
    clash = en_client.post(f"/organisations/{org}/edit", data={**ORGANISATION, "name": "OTHER"})
    assert 'id="name-errors"' in clash.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Organisation, org).name == "muni"
        assert db.session.get(Organisation, org).kind == "ngo"
        assert db.session.get(Organisation, other).name == "Other"


def test_list_offers_regions_in_use(app, en_client):
    make(app, OrganisationFactory, region="Metropolitana")
    html = en_client.get("/organisations/").get_data(as_text=True)
    assert '<option value="Metropolitana">' in html
    assert '<option value="Los Ríos">' in html


# --- delete ---------------------------------------------------------------------------------


def test_delete_organisation_tells_affected_events(app, en_client):
    with app.app_context():
        organisation = OrganisationFactory(name="Municipalidad de Talca")
        ContactFactory.create_batch(2, organisation=organisation)
        hosted = EventFactory(host_organisation=organisation)
        db.session.add(EventOrganisation(event=hosted, organisation=organisation, role="host"))
        invited = EventFactory()
        db.session.add(EventOrganisation(event=invited, organisation=organisation, role="invited"))
        EventFactory()  # unrelated
        db.session.commit()
        org, hosted_id = organisation.id, hosted.id

    page = en_client.get(f"/organisations/{org}/delete")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "2 events list this organisation" in html
    assert "2 contacts of this organisation will be deleted" in html
    assert count(app, Organisation) == 1  # a GET changes nothing

    response = en_client.post(f"/organisations/{org}/delete")
    assert response.status_code == 302
    assert response.headers["Location"] == "/organisations/"
    assert count(app, Organisation) == 0
    assert count(app, Contact) == 0
    assert count(app, EventOrganisation) == 0
    assert count(app, Event) == 3
    with app.app_context():
        assert db.session.get(Event, hosted_id).host_organisation_id is None


def test_delete_page_counts_what_each_domain_keeps_without_the_organisation(app, en_client):
    """Events and speakers count their own rows (organisations cannot import them)."""
    with app.app_context():
        organisation = OrganisationFactory(name="Municipalidad de Maule")
        SpeakerFactory.create_batch(3, organisation=organisation)
        SpeakerFactory()  # of no organisation
        db.session.commit()
        org = organisation.id

    html = en_client.get(f"/organisations/{org}/delete").get_data(as_text=True)
    assert "3 speakers belong to this organisation; they are kept without it." in html
    assert "0 events list this organisation" in html
    assert "0 contacts of this organisation will be deleted" in html
    assert 'id="affected-commitments"' not in html


# --- the organisation page and contacts -----------------------------------------------------


def test_show_lists_contacts_and_events(app, en_client):
    with app.app_context():
        organisation = OrganisationFactory(name="Municipalidad de Talca", website="javascript:x")
        ContactFactory(organisation=organisation, name="Zoe Primaria", is_primary=True)
        ContactFactory(organisation=organisation, name="Alba Segunda")
        event_ = EventFactory(title="Mesa intermunicipal de Talca")
        db.session.add(EventOrganisation(event=event_, organisation=organisation, role="invited"))
        db.session.commit()
        org = organisation.id
    html = en_client.get(f"/organisations/{org}").get_data(as_text=True)
    assert html.index("Zoe Primaria") < html.index("Alba Segunda")  # primary first
    assert "Mesa intermunicipal de Talca" in html
    assert "<td>Invited</td>" in html
    assert 'href="javascript:x"' not in html
    assert '<th scope="col">' in html


def primary_flags(app, org: int) -> dict[str, bool]:
    with app.app_context():
        contacts = db.session.scalars(select(Contact).where(Contact.organisation_id == org))
        return {contact.name: contact.is_primary for contact in contacts}


def test_add_and_edit_contacts_keep_one_primary(app, en_client):
    org = make(app, OrganisationFactory)
    url = f"/organisations/{org}/contacts/new"
    assert en_client.get(url).status_code == 200
    response = en_client.post(url, data=contact_form(is_primary="y"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/organisations/{org}#contacts"
    en_client.post(url, data=contact_form(name="Bea", email="bea@talca.cl", is_primary="y"))
    assert primary_flags(app, org) == {"Ana Pérez": False, "Bea": True}
    en_client.post(url, data=contact_form(name="Carlos", email="carlos@talca.cl"))
    assert primary_flags(app, org) == {"Ana Pérez": False, "Bea": True, "Carlos": False}

    with app.app_context():
        ana = db.session.scalar(select(Contact).where(Contact.name == "Ana Pérez")).id
    response = en_client.post(
        f"/organisations/{org}/contacts/{ana}/edit",
        data=contact_form(role="Directora", language="en", is_primary="y"),
    )
    assert response.status_code == 302
    assert primary_flags(app, org) == {"Ana Pérez": True, "Bea": False, "Carlos": False}
    with app.app_context():
        contact = db.session.get(Contact, ana)
        assert (contact.role, contact.language) == ("Directora", "en")


def test_contact_email_unique_per_organisation(app, en_client):
    org = make(app, OrganisationFactory)
    other = make(app, OrganisationFactory)
    make_contact(app, org, email="ana@talca.cl")
    response = en_client.post(
        f"/organisations/{org}/contacts/new", data=contact_form(email="ANA@talca.cl")
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="email-errors"' in html
    assert "already has a contact with this email" in html
    assert count(app, Contact) == 1
    # The same person may be a contact of another organisation.
    response = en_client.post(
        f"/organisations/{other}/contacts/new", data=contact_form(email="ana@talca.cl")
    )
    assert response.status_code == 302
    assert count(app, Contact) == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", ""), ("email", ""), ("email", "not-an-email"), ("language", "fr")],
)
def test_contact_bad_input_shows_field_error(app, en_client, field, value):
    org = make(app, OrganisationFactory)
    response = en_client.post(
        f"/organisations/{org}/contacts/new", data=contact_form(**{field: value})
    )
    assert response.status_code == 200
    assert f'id="{field}-errors"' in response.get_data(as_text=True)
    assert count(app, Contact) == 0


def test_delete_contact(app, en_client):
    org = make(app, OrganisationFactory)
    contact = make_contact(app, org)
    keep = make_contact(app, org)
    response = en_client.post(f"/organisations/{org}/contacts/{contact}/delete")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Contact.id)).all() == [keep]
