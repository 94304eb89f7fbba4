"""The directory on the invitation form: 350 organisations and their contacts in one page.

Profiled on the benchmark data, the form spent its time building an ORM object per
organisation and contact (a third of it) and in the template's loop, which looked up a lazily
translated label and escaped each value through Jinja's attribute machinery per row (the rest).
Here the rows are plain tuples from one query, every label is translated once per page, and
the list is written in one pass with each value escaped once.
"""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import select

from eventhub.extensions import db
from eventhub.invitations.models import Invitation
from eventhub.organisations.models import Contact, Organisation, OrganisationKind


@dataclass(frozen=True, slots=True)
class DirectoryContact:
    id: int
    name: str
    role: str | None
    email: str
    language: str
    is_primary: bool


@dataclass(slots=True)
class DirectoryOrganisation:
    id: int
    name: str
    kind: str
    region: str | None
    contacts: list[DirectoryContact] = field(default_factory=list)


def directory(kind: str = "", region: str = "") -> list[DirectoryOrganisation]:
    """The organisations to invite from, with their contacts (primary first), narrowed to a
    kind and region: one query of plain rows."""
    stmt = select(
        Organisation.id,
        Organisation.name,
        Organisation.kind,
        Organisation.region,
        Contact.id,
        Contact.name,
        Contact.role,
        Contact.email,
        Contact.language,
        Contact.is_primary,
    ).outerjoin(Contact, Contact.organisation_id == Organisation.id)
    if kind:
        stmt = stmt.where(Organisation.kind == kind)
    if region:
        stmt = stmt.where(Organisation.region == region)
    stmt = stmt.order_by(
        Organisation.name, Organisation.id, Contact.is_primary.desc(), Contact.name, Contact.id
    )
    organisations: list[DirectoryOrganisation] = []
    current: DirectoryOrganisation | None = None
    for org_id, name, org_kind, org_region, *contact in db.session.execute(stmt):
        if current is None or current.id != org_id:
            current = DirectoryOrganisation(org_id, name, org_kind, org_region)
            organisations.append(current)
        if contact[0] is not None:
            current.contacts.append(DirectoryContact(*contact))
    return organisations


def invited_emails(event_id: int) -> set[str]:
    return set(db.session.scalars(select(Invitation.email).where(Invitation.event_id == event_id)))


def _checked(chosen: bool) -> str:
    return " checked" if chosen else ""


def directory_html(
    organisations: list[DirectoryOrganisation],
    chosen_organisations: set[int],
    chosen_contacts: set[int],
    invited: set[str],
) -> Markup:
    """The checkbox list; every value from the directory goes through ``escape``."""
    kind_labels = {kind.value: escape(str(kind.label)) for kind in OrganisationKind}
    primary = escape(_("primary"))
    already = escape(_("already invited"))
    parts: list[str] = ['<ul class="invite-list" id="invite-list">']
    for organisation in organisations:
        region = f" · {escape(organisation.region)}" if organisation.region else ""
        kind = kind_labels.get(organisation.kind) or escape(organisation.kind)
        parts.append(
            f'<li><label class="checkbox"><input type="checkbox" name="organisation_ids"'
            f' value="{organisation.id}"{_checked(organisation.id in chosen_organisations)}>'
            f" <strong>{escape(organisation.name)}</strong>"
            f' <span class="meta">{kind}{region}</span></label>'
        )
        if organisation.contacts:
            parts.append("<ul>")
            for contact in organisation.contacts:
                marks = f" · {primary}" if contact.is_primary else ""
                if contact.email in invited:
                    marks += f' · <span class="invited-mark">{already}</span>'
                parts.append(
                    f'<li><label class="checkbox"><input type="checkbox" name="contact_ids"'
                    f' value="{contact.id}"{_checked(contact.id in chosen_contacts)}>'
                    f' {escape(contact.name)} <span class="meta">{escape(contact.role or "")}'
                    f" · {escape(contact.email)} · {escape(contact.language)}{marks}</span>"
                    "</label></li>"
                )
            parts.append("</ul>")
        parts.append("</li>")
    parts.append("</ul>")
    return Markup("".join(parts))  # noqa: S704 - every directory value is escaped above
