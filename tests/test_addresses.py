"""One mailbox, one key: every way of typing an address is stored and compared the same."""

import unicodedata

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from eventhub.addresses import email_key, normalise_email
from eventhub.auth import services as auth_services
from eventhub.errors import ConflictError
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.invitations import services as invitations
from eventhub.invitations.models import MailOptOut
from eventhub.organisations import services as organisations
from eventhub.organisations.csv_import import import_csv
from eventhub.organisations.models import Contact
from eventhub.registrations.models import Registration
from tests.factories import EventFactory, OrganisationFactory

NFC = unicodedata.normalize("NFC", "josé@example.org")
NFD = unicodedata.normalize("NFD", "josé@example.org")
# Each pair is one mailbox typed two ways.
PAIRS = [
    (NFC, NFD),
    ("ana@exámple.org", "ana@xn--exmple-qta.org"),
    ("ana@ｅｘａｍｐｌｅ.org", "ana@example.org"),
    ("Ana@Example.ORG ", "ana@example.org"),
]


@pytest.mark.parametrize(("one", "other"), PAIRS)
def test_both_spellings_have_one_normal_form(one, other):
    assert normalise_email(one) == normalise_email(other) == email_key(one) == email_key(other)
    assert normalise_email(one).isascii() or normalise_email(one).startswith("josé@")


def test_normal_form_is_composed_local_part_and_ascii_domain():
    assert normalise_email("JOSÉ@Exámple.org") == "josé@xn--exmple-qta.org"
    assert len(normalise_email(NFD).partition("@")[0]) == 4  # é is one character
    with pytest.raises(ValueError, match="period"):
        normalise_email("ana@localhost")
    # Checking the syntax never asks DNS: a domain that cannot exist is still an address.
    assert normalise_email("ana@no-such-domain-for-eventhub.example") == (
        "ana@no-such-domain-for-eventhub.example"
    )


def test_lookup_key_folds_even_what_is_no_valid_address():
    assert email_key(" Admin@EventHub.LOCAL") == "admin@eventhub.local"
    assert email_key("x@ｅｘａｍｐｌｅ.local") == "x@example.local"
    assert email_key("no address") == "no address"


@pytest.mark.parametrize(("one", "other"), PAIRS[:3])
def test_public_registration_twice_in_two_spellings_is_one_registration(app, client, one, other):
    with app.app_context():
        event = EventFactory(published=True, registration_mode="open")
        db.session.commit()
        event_id = event.id
    for email in (one, other):
        data = {"name": "José Pérez", "email": email, "organisation_id": ""}
        assert client.post(f"/events/{event_id}/register", data=data).status_code == 302
    with app.app_context():
        emails = db.session.scalars(select(Registration.email)).all()
        assert emails == [normalise_email(one)]


def test_an_invitee_registering_publicly_with_the_ascii_domain_is_found(app, app_ctx):
    """An invitation from a contact (Unicode domain) and the public form (IDNA) meet."""
    organisation = OrganisationFactory()
    contact = organisations.save_contact(
        organisation, None, organisations.ContactData(name="Ana", email="ana@exámple.org")
    )
    event = EventFactory(published=True, registration_mode="open")
    with app.test_request_context(), force_locale("en"):
        plan = invitations.plan_invitations(event, [], False, [contact.id], "")
        assert [r.email for r in plan.recipients] == ["ana@xn--exmple-qta.org"]
        from eventhub.registrations import services as registrations

        registrations.register_publicly(
            event, registrations.RegistrantData(name="Ana", email="ANA@xn--exmple-qta.org")
        )
        again = invitations.plan_invitations(event, [], False, [contact.id], "")
    assert again.recipients == [] and again.skipped[0].reason == "already registered"


def test_contacts_typed_two_ways_are_one_contact(app_ctx):
    organisation = OrganisationFactory()
    organisations.save_contact(
        organisation, None, organisations.ContactData(name="Ana", email="ana@ｅｘａｍｐｌｅ.org")
    )
    with pytest.raises(ConflictError):
        organisations.save_contact(
            organisation, None, organisations.ContactData(name="Ana", email="Ana@example.org")
        )
    assert db.session.scalars(select(Contact.email)).all() == ["ana@example.org"]


def test_csv_import_finds_the_contact_however_its_address_was_typed(app_ctx):
    organisation = OrganisationFactory(name="Municipalidad de Ñuñoa")
    db.session.add(Contact(organisation=organisation, name="José", email=NFC, language="es"))
    db.session.commit()
    header = "organisation,kind,contact_name,contact_email"
    report = import_csv(f"{header}\nMunicipalidad de Ñuñoa,municipality,José P.,{NFD.upper()}\n")
    assert not report.rejected, report
    assert db.session.scalar(select(func.count(Contact.id))) == 1
    assert db.session.scalar(select(Contact.name)) == "José P."


def test_typed_invitations_and_opt_outs_meet_in_one_form(app, app_ctx):
    event = EventFactory(published=True)
    invitations.opt_out("ana@ｅｘａｍｐｌｅ.org")
    invitations.opt_out("ANA@example.org")
    assert db.session.scalars(select(MailOptOut.email)).all() == ["ana@example.org"]
    with app.test_request_context(), force_locale("en"):
        plan = invitations.plan_invitations(
            event, [], False, [], f"ana@example.org\n{NFC}\n{NFD}\nJosé <{NFD.upper()}>"
        )
    assert [r.email for r in plan.recipients] == [NFC]
    assert [s.reason for s in plan.skipped] == ["asked not to receive invitations"]


def test_organiser_accounts_sign_in_however_the_address_is_typed(app, client):
    with app.app_context():
        auth_services.create_user(NFD.upper(), "José", "correct horse battery")
        db.session.commit()
        with pytest.raises(ConflictError):
            auth_services.create_user(NFC, "Otro José", "correct horse battery")
        assert auth_services.authenticate(" " + NFC, "correct horse battery") is not None
    response = client.post("/login", data={"email": NFD, "password": "correct horse battery"})
    assert response.status_code == 302


def test_accounts_on_intranet_names_still_work(app_ctx):
    user = auth_services.create_user("Admin@EventHub.Local", "Admin", "correct horse battery")
    assert user.email == "admin@eventhub.local"
    assert auth_services.find_user_by_email("ADMIN@eventhub.local ") is user


def test_a_registration_service_refuses_an_invalid_address(app, app_ctx):
    from eventhub.errors import DomainError
    from eventhub.registrations import services as registrations

    event = db.session.get(Event, EventFactory(published=True, registration_mode="open").id)
    with app.test_request_context(), pytest.raises(DomainError) as refused:
        registrations.register_publicly(
            event, registrations.RegistrantData(name="Ana", email="ana@localhost")
        )
    assert refused.value.field == "email"
