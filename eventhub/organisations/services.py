"""Organisations and their contacts: the directory, its rules, and what a deletion touches."""

import unicodedata
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from eventhub.addresses import email_key, normalise_email
from eventhub.errors import ConflictError, DomainError, NotFoundError
from eventhub.extensions import db
from eventhub.organisations import signals
from eventhub.organisations.models import LANGUAGES, Contact, Organisation, OrganisationKind
from eventhub.text import clean, fold, search_term

# Chile's 16 regions, north to south: proper names, not translated.
CHILE_REGIONS = (
    "Arica y Parinacota",
    "Tarapacá",
    "Antofagasta",
    "Atacama",
    "Coquimbo",
    "Valparaíso",
    "Metropolitana de Santiago",
    "O'Higgins",
    "Maule",
    "Ñuble",
    "Biobío",
    "La Araucanía",
    "Los Ríos",
    "Los Lagos",
    "Aysén",
    "Magallanes",
)

# Other spellings people write for a region (compared after `fold`).
_REGION_ALIASES = {
    "metropolitana": "Metropolitana de Santiago",
    "rm": "Metropolitana de Santiago",
    "santiago metropolitan": "Metropolitana de Santiago",
    "libertador general bernardo ohiggins": "O'Higgins",
    "libertador bernardo ohiggins": "O'Higgins",
    "aysen del general carlos ibanez del campo": "Aysén",
    "aisen": "Aysén",
    "magallanes y la antartica chilena": "Magallanes",
    "magallanes y de la antartica chilena": "Magallanes",
    "bio bio": "Biobío",
    "araucania": "La Araucanía",
}
_REGION_PREFIXES = ("region de la ", "region del ", "region de ", "region ")

# Ids beyond this cannot be in the tables (32-bit integer keys): they are simply not found.
MAX_ID = 2**31 - 1

# Column sizes of the models, enforced before anything reaches the database.
NAME_MAX = 200
REGION_MAX = 100
COMMUNE_MAX = 100
WEBSITE_MAX = 300
NOTES_MAX = 10_000
CONTACT_NAME_MAX = 120
CONTACT_ROLE_MAX = 160
EMAIL_MAX = 254
PHONE_MAX = 40


@dataclass
class OrganisationData:
    name: str
    kind: str
    region: str | None = None
    commune: str | None = None
    website: str | None = None
    notes: str | None = None


@dataclass
class ContactData:
    name: str
    email: str
    role: str | None = None
    phone: str | None = None
    language: str = "es"
    is_primary: bool = False


@dataclass
class OrganisationFilters:
    q: str | None = None
    kind: str | None = None
    region: str | None = None


class DeletionImpact(Counter[str]):
    """Rows a deletion touches, by kind (``impact.contacts``, ``impact.events``…); a kind
    nobody counted is 0."""

    def __getattr__(self, what: str) -> int:
        if what.startswith("_"):
            raise AttributeError(what)
        return self[what]


def name_key(name: str) -> str:
    """Organisations are the same when their names match ignoring case and outer spaces."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


_REGIONS_BY_KEY = {fold(region): region for region in CHILE_REGIONS} | _REGION_ALIASES


def normalise_region(text: str | None) -> str | None:
    """One of the 16 regions in its usual spelling when recognised, else the text as given."""
    text = clean(text)
    if text is None:
        return None
    key = fold(text)
    for prefix in _REGION_PREFIXES:
        if key.startswith(prefix) and key.removeprefix(prefix) in _REGIONS_BY_KEY:
            key = key.removeprefix(prefix)
            break
    return _REGIONS_BY_KEY.get(key, text)


def clean_website(text: str | None) -> str | None:
    """An http(s) address; ``www.example.cl`` gets ``https://``. Raises ``ValueError``."""
    text = clean(text)
    if text is None:
        return None
    if "://" not in text:
        text = f"https://{text}"
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError as error:
        raise ValueError(text) from error
    if (
        parts.scheme.lower() not in {"http", "https"}
        or not host
        or "." not in host
        or any(ch.isspace() for ch in text)
        or len(text) > WEBSITE_MAX
    ):
        raise ValueError(text)
    return text


def clean_email(text: str | None) -> str:
    """A syntactically valid address in its normal form (eventhub/addresses.py). Raises
    ``ValueError``."""
    text = clean(text)
    if text is None or len(text) > EMAIL_MAX:
        raise ValueError(text)
    return normalise_email(text)


# --- organisations ------------------------------------------------------------------------


def get_organisation(organisation_id: int) -> Organisation:
    organisation = (
        db.session.get(Organisation, organisation_id) if organisation_id <= MAX_ID else None
    )
    if organisation is None:
        raise NotFoundError(_("No such organisation."))
    return organisation


def find_by_name(name: str) -> Organisation | None:
    """The organisation whose name matches ignoring case and outer spaces.

    Compared in Python: SQLite's ``lower()`` only folds ASCII, and names are full of accents.
    """
    key = name_key(name)
    rows = db.session.execute(select(Organisation.id, Organisation.name))
    match = next((row.id for row in rows if name_key(row.name) == key), None)
    return db.session.get(Organisation, match) if match is not None else None


def _flush(message: str, field: str | None = None) -> None:
    """Flush; a unique constraint hit by a concurrent request becomes a conflict."""
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise ConflictError(message, field=field) from error


def _apply(organisation: Organisation, data: OrganisationData) -> None:
    name = clean(data.name)
    if name is None:
        raise DomainError(_("Give the organisation's name."), field="name")
    if len(name) > NAME_MAX:
        raise DomainError(_("The name is too long."), field="name")
    clash = find_by_name(name)
    if clash is not None and clash is not organisation:
        raise ConflictError(_("An organisation with this name already exists."), field="name")
    if data.kind not in {kind.value for kind in OrganisationKind}:
        raise DomainError(_("Unknown kind of organisation."), field="kind")
    region = normalise_region(data.region)
    if region is not None and len(region) > REGION_MAX:
        raise DomainError(_("The region is too long."), field="region")
    commune = clean(data.commune)
    if commune is not None and len(commune) > COMMUNE_MAX:
        raise DomainError(_("The commune is too long."), field="commune")
    try:
        website = clean_website(data.website)
    except ValueError as error:
        raise DomainError(
            _("Give a web address such as https://www.example.cl"), field="website"
        ) from error
    notes = clean(data.notes, one_line=False)
    if notes is not None and len(notes) > NOTES_MAX:
        raise DomainError(_("The notes are too long."), field="notes")

    organisation.name = name
    organisation.kind = data.kind
    organisation.region = region
    organisation.commune = commune
    organisation.website = website
    organisation.notes = notes


def create_organisation(data: OrganisationData) -> Organisation:
    organisation = Organisation()
    _apply(organisation, data)
    db.session.add(organisation)
    _flush(_("An organisation with this name already exists."), field="name")
    return organisation


def update_organisation(organisation: Organisation, data: OrganisationData) -> Organisation:
    _apply(organisation, data)
    _flush(_("An organisation with this name already exists."), field="name")
    return organisation


def deletion_impact(organisation: Organisation) -> DeletionImpact:
    """What deleting the organisation touches: its contacts go with it, and whatever the
    domains above count (events that lose the link, speakers kept without it…)."""
    contacts = db.session.scalar(
        select(func.count(Contact.id)).where(Contact.organisation_id == organisation.id)
    )
    impact = DeletionImpact(contacts=contacts or 0)
    for _receiver, (what, count) in signals.deletion_impact.send(organisation):
        impact[what] += count or 0
    return impact


def delete_organisation(organisation: Organisation) -> None:
    """Contacts are deleted; events and speakers keep existing without the link (FK rules)."""
    db.session.delete(organisation)
    _flush(_("The organisation is still referenced elsewhere and cannot be deleted."))


def list_organisations_query(filters: OrganisationFilters) -> Select:
    stmt = select(Organisation)
    q = search_term(filters.q)
    if q:
        stmt = stmt.where(Organisation.name.icontains(q, autoescape=True))
    if filters.kind:
        stmt = stmt.where(Organisation.kind == filters.kind)
    if filters.region:
        stmt = stmt.where(Organisation.region == filters.region)
    return stmt.order_by(Organisation.name, Organisation.id)


def contact_counts(organisation_ids: list[int]) -> dict[int, int]:
    """Number of contacts per organisation, in one query whatever the number of rows."""
    if not organisation_ids:
        return {}
    rows = db.session.execute(
        select(Contact.organisation_id, func.count(Contact.id))
        .where(Contact.organisation_id.in_(organisation_ids))
        .group_by(Contact.organisation_id)
    )
    return dict(rows.all())


def region_choices() -> list[str]:
    """The 16 regions, then any other region already used in the directory."""
    used = db.session.scalars(
        select(Organisation.region).distinct().where(Organisation.region.is_not(None))
    )
    others = sorted({region for region in used if region} - set(CHILE_REGIONS), key=fold)
    return [*CHILE_REGIONS, *others]


def organisation_page_query(organisation_id: int) -> Select:
    return (
        select(Organisation)
        .where(Organisation.id == organisation_id)
        .options(selectinload(Organisation.contacts))
    )


# --- contacts -----------------------------------------------------------------------------


def get_contact(organisation: Organisation, contact_id: int) -> Contact:
    contact = db.session.get(Contact, contact_id) if contact_id <= MAX_ID else None
    if contact is None or contact.organisation_id != organisation.id:
        raise NotFoundError(_("No such contact."))
    return contact


def save_contact(organisation: Organisation, contact: Contact | None, data: ContactData) -> Contact:
    """Add or change a contact. Making one primary makes the others not primary."""
    name = clean(data.name)
    if name is None:
        raise DomainError(_("Give the contact's name."), field="name")
    if len(name) > CONTACT_NAME_MAX:
        raise DomainError(_("The name is too long."), field="name")
    role = clean(data.role)
    if role is not None and len(role) > CONTACT_ROLE_MAX:
        raise DomainError(_("The role is too long."), field="role")
    phone = clean(data.phone)
    if phone is not None and len(phone) > PHONE_MAX:
        raise DomainError(_("The phone number is too long."), field="phone")
    try:
        email = clean_email(data.email)
    except ValueError as error:
        raise DomainError(_("Give a valid email address."), field="email") from error
    if data.language not in LANGUAGES:
        raise DomainError(_("Unknown language."), field="language")
    duplicate = any(
        other is not contact and email_key(other.email) == email for other in organisation.contacts
    )
    if duplicate:
        raise ConflictError(
            _("This organisation already has a contact with this email."), field="email"
        )

    if contact is None:
        contact = Contact(organisation=organisation)
        db.session.add(contact)
    contact.name = name
    contact.role = role
    contact.email = email
    contact.phone = phone
    contact.language = data.language
    contact.is_primary = bool(data.is_primary)
    if contact.is_primary:
        for other in organisation.contacts:
            if other is not contact:
                other.is_primary = False
    _flush(_("This organisation already has a contact with this email."), field="email")
    return contact


def delete_contact(contact: Contact) -> None:
    db.session.delete(contact)
    db.session.flush()


def organisation_choices() -> list[tuple[int, str]]:
    """(id, name) of every organisation, for select boxes."""
    stmt = select(Organisation.id, Organisation.name).order_by(Organisation.name)
    return [(row.id, row.name) for row in db.session.execute(stmt)]
