"""Import organisations and their contacts from a CSV file: all rows or nothing.

Every row is checked first, against the file and the directory; only when no row is rejected are
the changes applied (flushed, never committed: the route commits). Empty optional cells leave
existing values as they are: an import adds and corrects, it never erases.
"""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import has_app_context
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from eventhub.addresses import email_key
from eventhub.enums import LabelledEnum
from eventhub.errors import ConflictError, DomainError
from eventhub.extensions import db
from eventhub.organisations import services
from eventhub.organisations.models import (
    LANGUAGES,
    Contact,
    Organisation,
    OrganisationKind,
)
from eventhub.text import clean, fold

MAX_ROWS = 5000

COLUMNS = (
    "organisation",
    "kind",
    "region",
    "commune",
    "website",
    "contact_name",
    "contact_role",
    "contact_email",
    "contact_language",
)
REQUIRED_COLUMNS = ("organisation", "kind", "contact_name", "contact_email")
# The Spanish name of each column: the template's header in Spanish, and accepted in any file.
SPANISH_COLUMNS = {
    "organisation": "organización",
    "kind": "tipo",
    "region": "región",
    "commune": "comuna",
    "website": "sitio web",
    "contact_name": "nombre del contacto",
    "contact_role": "cargo del contacto",
    "contact_email": "correo del contacto",
    "contact_language": "idioma del contacto",
}
# Other headings spreadsheets use for the same columns (compared folded: no accents, no case,
# "_" and "-" as spaces).
_COLUMN_ALIASES = {
    "organisation": (
        "organization",
        "organisation name",
        "nombre de la organización",
        "municipalidad",
    ),
    "kind": ("tipo de organización",),
    "website": ("web", "sitio", "página web"),
    "contact_name": ("contact", "contacto", "nombre", "name"),
    "contact_role": ("cargo", "rol"),
    "contact_email": ("email", "correo", "correo electrónico", "e-mail"),
    "contact_language": ("language", "idioma"),
}
CONTACT_COLUMNS = ("contact_name", "contact_role", "contact_email", "contact_language")
ORGANISATION_FIELDS = ("kind", "region", "commune", "website")

# Spanish and English names of the kinds, whatever the catalogues say.
_KIND_ALIASES = {
    OrganisationKind.MUNICIPALITY: ("Municipality", "Municipalidad", "Municipio"),
    OrganisationKind.GOVERNMENT_AGENCY: (
        "Government agency",
        "Agencia gubernamental",
        "Organismo gubernamental",
        "Organismo público",
        "Servicio público",
        "Institución pública",
    ),
    OrganisationKind.NGO: (
        "NGO",
        "ONG",
        "Non-governmental organisation",
        "Non-governmental organization",
        "Organización no gubernamental",
    ),
    OrganisationKind.UNIVERSITY: ("University", "Universidad"),
    OrganisationKind.BUSINESS_ASSOCIATION: (
        "Business association",
        "Asociación gremial",
        "Asociación empresarial",
        "Gremio",
    ),
    OrganisationKind.INTERNATIONAL_ORGANISATION: (
        "International organisation",
        "International organization",
        "Organización internacional",
        "Organismo internacional",
    ),
    OrganisationKind.EMBASSY: ("Embassy", "Embajada"),
    OrganisationKind.COMPANY: ("Company", "Empresa"),
    OrganisationKind.OTHER: ("Other", "Otro", "Otra"),
}
_LANGUAGE_ALIASES = {
    "es": ("es", "Spanish", "Español", "Castellano"),
    "en": ("en", "English", "Inglés"),
}

TEMPLATE_ROWS = (
    (
        "Municipalidad de Ejemplo",
        "Municipalidad",
        "Maule",
        "Talca",
        "https://www.example.cl",
        "Ana Pérez",
        "Jefa de la Oficina de Migrantes",
        "ana.perez@example.cl",
        "es",
    ),
)
TEMPLATE_ROWS_EN = (
    (
        "Municipalidad de Ejemplo",
        "Municipality",
        "Maule",
        "Talca",
        "https://www.example.cl",
        "Ana Pérez",
        "Head of the Migrants Office",
        "ana.perez@example.cl",
        "es",
    ),
)


def _spanish() -> bool:
    return has_app_context() and str(get_locale()) == "es"


def column_name(column: str) -> str:
    """The column as the reader's language names it."""
    return SPANISH_COLUMNS[column] if _spanish() else column


def _named(column: str) -> str:
    """For messages: the reader's name, and the other language's when it differs."""
    name = column_name(column)
    other = column if name != column else SPANISH_COLUMNS[column]
    return f"{name} ({other})"


def template(spanish: bool) -> tuple[list[str], tuple]:
    """Header and example rows of the template CSV, in Spanish or in English."""
    if spanish:
        return [SPANISH_COLUMNS[c] for c in COLUMNS], TEMPLATE_ROWS
    return list(COLUMNS), TEMPLATE_ROWS_EN


def accepted_names() -> dict[str, list[str]]:
    """Per column, its name in the reader's language first, then the other names accepted."""
    names = {}
    for column in COLUMNS:
        first = column_name(column)
        others = (column, SPANISH_COLUMNS[column], *_COLUMN_ALIASES.get(column, ()))
        names[column] = [first, *dict.fromkeys(n for n in others if n != first)]
    return names


def _column_table() -> dict[str, str]:
    table = {}
    for column in COLUMNS:
        for name in (column, SPANISH_COLUMNS[column], *_COLUMN_ALIASES.get(column, ())):
            table[fold(name)] = column
    return table


_COLUMNS_BY_NAME = _column_table()


def canonical_column(heading: str) -> str:
    """The column a heading stands for (English, Spanish or a common alias), else itself."""
    return _COLUMNS_BY_NAME.get(fold(heading), heading)


class RowStatus(LabelledEnum):
    ADDED = "added", _l("Added")
    UPDATED = "updated", _l("Updated")
    UNCHANGED = "unchanged", _l("Unchanged")
    REJECTED = "rejected", _l("Rejected")


_RANK = {RowStatus.UNCHANGED: 0, RowStatus.UPDATED: 1, RowStatus.ADDED: 2}


class ImportRefused(DomainError):
    """The whole file is refused before any row is looked at."""

    status_code = 422

    def __init__(self, message: str):
        super().__init__(message, field="file")


@dataclass
class RowResult:
    line: int
    organisation: str
    contact_email: str | None
    status: RowStatus | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return bool(self.errors)

    @property
    def status_label(self):
        status = RowStatus.REJECTED if self.rejected else self.status
        assert status is not None  # the report shows a row once it has been classified
        return status.label


@dataclass
class Counts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def count(self, status: RowStatus) -> None:
        setattr(self, status.value, getattr(self, status.value) + 1)


@dataclass
class ImportReport:
    rows: list[RowResult]
    organisations: Counts = field(default_factory=Counts)
    contacts: Counts = field(default_factory=Counts)
    applied: bool = False

    @property
    def rejected(self) -> list[RowResult]:
        return [row for row in self.rows if row.rejected]

    @property
    def ok(self) -> bool:
        return not self.rejected


@dataclass
class _Row:
    """One data row, its cells trimmed and checked on their own."""

    result: RowResult
    name: str | None
    values: dict[str, str]  # organisation fields given in the row
    contact: dict[str, str] | None  # contact fields given in the row, with "email"


@dataclass
class _OrganisationPlan:
    name: str
    line: int
    existing: Organisation | None
    values: dict[str, str] = field(default_factory=dict)
    sources: dict[str, int] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)  # existing, by lower email

    def changes(self, values: dict[str, str]) -> bool:
        return any(
            self.existing is None or getattr(self.existing, name) != value
            for name, value in values.items()
        )


@dataclass
class _ContactPlan:
    organisation: _OrganisationPlan
    email: str
    existing: Contact | None
    values: dict[str, str]

    @property
    def status(self) -> RowStatus:
        if self.existing is None:
            return RowStatus.ADDED
        if any(getattr(self.existing, name) != value for name, value in self.values.items()):
            return RowStatus.UPDATED
        return RowStatus.UNCHANGED


# --- reading the file ---------------------------------------------------------------------


def decode(data: bytes | str) -> str:
    """UTF-8 text, with or without a BOM; anything else is refused."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused(
            _(
                "The file is not UTF-8 text. In your spreadsheet choose “Save as” and the "
                "format “CSV UTF-8 (comma delimited)”, then upload it again."
            )
        ) from error


def sniff_delimiter(text: str) -> str:
    """Comma, or semicolon when the header line uses it (Excel in Spanish locales)."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _read_rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    if not text.strip():
        raise ImportRefused(_("The file is empty."))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    records: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                records.append((line, record))
            line = reader.line_num + 1
    except csv.Error as error:
        raise ImportRefused(
            _("Line %(line)d cannot be read as CSV: %(error)s", line=line, error=str(error))
        ) from error
    header = [canonical_column(clean(name.lower()) or "") for name in records[0][1]]
    _check_header(header)
    rows = records[1:]
    if not rows:
        raise ImportRefused(_("The file has a header but no rows."))
    if len(rows) > MAX_ROWS:
        raise ImportRefused(
            _(
                "The file has %(rows)d rows; at most %(max)d can be imported at once. "
                "Split it into smaller files.",
                rows=len(rows),
                max=MAX_ROWS,
            )
        )
    return header, rows


def _check_header(header: list[str]) -> None:
    problems = []
    missing = [_named(name) for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        problems.append(_("Missing columns: %(names)s.", names=", ".join(missing)))
    unknown = [name or _("(empty)") for name in header if name not in COLUMNS]
    if unknown:
        problems.append(_("Unknown columns: %(names)s.", names=", ".join(unknown)))
    repeated = sorted(
        {_named(name) for name in header if name in COLUMNS and header.count(name) > 1}
    )
    if repeated:
        problems.append(_("Repeated columns: %(names)s.", names=", ".join(repeated)))
    if problems:
        problems.append(
            _(
                "The first line must name the columns: %(names)s.",
                names=", ".join(column_name(c) for c in COLUMNS),
            )
        )
        raise ImportRefused(" ".join(problems))


# --- checking each row on its own -----------------------------------------------------------


def _aliases(labels: Iterable[tuple[str, object]], extra: dict) -> dict[str, str]:
    """Folded spelling → value: the value itself, the given names and the catalogue labels."""
    table: dict[str, str] = {}
    for value, names in extra.items():
        table[services.fold(str(value))] = str(value)
        for name in names:
            table[services.fold(name)] = str(value)
    if has_app_context():
        for value, label in labels:
            for locale in ("en", "es"):
                with force_locale(locale):
                    table.setdefault(services.fold(str(label)), str(value))
    return table


def _too_long(column: str, value: str | None, limit: int) -> str | None:
    if value is not None and len(value) > limit:
        return _("“%(column)s” is longer than %(max)d characters.", column=column, max=limit)
    return None


def _check_row(
    line: int, cells: dict[str, str | None], kinds: dict[str, str], languages: dict[str, str]
) -> _Row:
    errors: list[str | None] = []  # the checks' Nones are dropped at the end
    name = cells["organisation"]
    email_text = cells["contact_email"]
    result = RowResult(line=line, organisation=name or "", contact_email=email_text)
    row = _Row(result=result, name=name, values={}, contact=None)

    if name is None:
        errors.append(_("The organisation's name is empty."))
    errors.append(_too_long("organisation", name, services.NAME_MAX))

    if cells["kind"] is not None:
        kind = kinds.get(services.fold(cells["kind"]))
        if kind is None:
            errors.append(
                _(
                    "Unknown kind “%(value)s”. Use one of: %(choices)s.",
                    value=cells["kind"],
                    choices=", ".join(kind.value for kind in OrganisationKind),
                )
            )
        else:
            row.values["kind"] = kind
    region = services.normalise_region(cells["region"])
    errors.append(_too_long("region", region, services.REGION_MAX))
    if region is not None:
        row.values["region"] = region
    errors.append(_too_long("commune", cells["commune"], services.COMMUNE_MAX))
    if cells["commune"] is not None:
        row.values["commune"] = cells["commune"]
    try:
        website = services.clean_website(cells["website"])
    except ValueError:
        errors.append(
            _(
                "“%(value)s” is not a web address such as https://www.example.cl",
                value=cells["website"],
            )
        )
    else:
        if website is not None:
            row.values["website"] = website

    if any(cells[column] is not None for column in CONTACT_COLUMNS):
        contact: dict[str, str] = {}
        if email_text is None:
            errors.append(_("The contact's email is empty."))
        else:
            try:
                contact["email"] = services.clean_email(email_text)
            except ValueError:
                errors.append(_("“%(value)s” is not a valid email address.", value=email_text))
            else:
                result.contact_email = contact["email"]
        errors.append(_too_long("contact_name", cells["contact_name"], services.CONTACT_NAME_MAX))
        if cells["contact_name"] is not None:
            contact["name"] = cells["contact_name"]
        errors.append(_too_long("contact_role", cells["contact_role"], services.CONTACT_ROLE_MAX))
        if cells["contact_role"] is not None:
            contact["role"] = cells["contact_role"]
        if cells["contact_language"] is not None:
            language = languages.get(services.fold(cells["contact_language"]))
            if language is None:
                errors.append(
                    _(
                        "Unknown language “%(value)s”. Use es or en.",
                        value=cells["contact_language"],
                    )
                )
            else:
                contact["language"] = language
        row.contact = contact
    result.errors = [error for error in errors if error]
    return row


# --- checking rows against each other and the directory -------------------------------------


def _existing_organisations(keys: set[str]) -> dict[str, list[Organisation]]:
    """Directory organisations whose name matches one in the file, with their contacts."""
    ids_by_key: dict[str, list[int]] = {}
    for row in db.session.execute(select(Organisation.id, Organisation.name)):
        key = services.name_key(row.name)
        if key in keys:
            ids_by_key.setdefault(key, []).append(row.id)
    ids = [id_ for ids in ids_by_key.values() for id_ in ids]
    if not ids:
        return {}
    loaded = {
        organisation.id: organisation
        for organisation in db.session.scalars(
            select(Organisation)
            .where(Organisation.id.in_(ids))
            .options(selectinload(Organisation.contacts))
        )
    }
    return {key: [loaded[id_] for id_ in sorted(ids)] for key, ids in ids_by_key.items()}


def _plan(rows: list[_Row], report: ImportReport):
    keys = {services.name_key(row.name) for row in rows if row.name}
    existing = _existing_organisations(keys)
    organisations: dict[str, _OrganisationPlan] = {}
    contacts: dict[tuple[str, str], _ContactPlan] = {}
    contact_lines: dict[tuple[str, str], int] = {}
    row_effects: list[tuple[_Row, _OrganisationPlan, _ContactPlan | None, bool]] = []

    for row in rows:
        if row.result.rejected or row.name is None:  # a row without a name is rejected
            continue
        result = row.result
        key = services.name_key(row.name)
        matches = existing.get(key, [])
        if len(matches) > 1:
            result.errors.append(
                _("Several organisations in the directory have this name; edit them first.")
            )
            continue
        plan = organisations.get(key)
        if plan is None:
            plan = _OrganisationPlan(
                name=row.name, line=result.line, existing=matches[0] if matches else None
            )
            if plan.existing is not None:
                plan.contacts = {email_key(c.email): c for c in plan.existing.contacts}
        conflicts = [
            _(
                "“%(column)s” differs from line %(line)d for the same organisation.",
                column=name,
                line=plan.sources[name],
            )
            for name, value in row.values.items()
            if name in plan.values and plan.values[name] != value
        ]
        contact_plan = None
        if row.contact is not None and "email" in row.contact:
            contact_key = (key, row.contact["email"])
            if contact_key in contact_lines:
                conflicts.append(
                    _(
                        "Same organisation and contact email as line %(line)d.",
                        line=contact_lines[contact_key],
                    )
                )
            else:
                values = {name: value for name, value in row.contact.items() if name != "email"}
                contact_plan = _ContactPlan(
                    organisation=plan,
                    email=row.contact["email"],
                    existing=plan.contacts.get(row.contact["email"]),
                    values=values,
                )
                if contact_plan.existing is None and "name" not in values:
                    conflicts.append(_("Give the name of this new contact."))
        if conflicts:
            result.errors.extend(conflicts)
            continue
        organisations.setdefault(key, plan)
        new_values = {n: v for n, v in row.values.items() if n not in plan.values}
        changes_organisation = plan.existing is not None and plan.changes(new_values)
        for name, value in new_values.items():
            plan.values[name] = value
            plan.sources[name] = result.line
        if contact_plan is not None:
            contacts[contact_key] = contact_plan
            contact_lines[contact_key] = result.line
        row_effects.append((row, plan, contact_plan, changes_organisation))

    for plan in organisations.values():
        if plan.existing is None and "kind" not in plan.values:
            first = next(row for row, p, _c, _ch in row_effects if p is plan)
            first.result.errors.append(_("Give the kind of this new organisation."))
        status = (
            RowStatus.ADDED
            if plan.existing is None
            else (RowStatus.UPDATED if plan.changes(plan.values) else RowStatus.UNCHANGED)
        )
        report.organisations.count(status)
    for contact_plan in contacts.values():
        report.contacts.count(contact_plan.status)

    for row, plan, contact_plan, changes_organisation in row_effects:
        if plan.existing is None:
            organisation_effect = (
                RowStatus.ADDED if plan.line == row.result.line else RowStatus.UNCHANGED
            )
        else:
            organisation_effect = RowStatus.UPDATED if changes_organisation else RowStatus.UNCHANGED
        effects = [organisation_effect]
        if contact_plan is not None:
            effects.append(contact_plan.status)
        row.result.status = max(effects, key=_RANK.__getitem__)
    return organisations, contacts


# --- applying -------------------------------------------------------------------------------


def _apply(organisations: dict[str, _OrganisationPlan], contacts: dict) -> None:
    created: dict[str, Organisation] = {}
    for key, plan in organisations.items():
        organisation = plan.existing
        if organisation is None:
            organisation = Organisation(name=plan.name)
            db.session.add(organisation)
            created[key] = organisation
        for name, value in plan.values.items():
            if getattr(organisation, name) != value:
                setattr(organisation, name, value)
    for (key, email), contact_plan in contacts.items():
        contact = contact_plan.existing
        if contact is None:
            organisation = contact_plan.organisation.existing or created[key]
            contact = Contact(organisation=organisation, email=email, language="es")
            db.session.add(contact)
        for name, value in contact_plan.values.items():
            if getattr(contact, name) != value:
                setattr(contact, name, value)
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise ConflictError(
            _("The directory changed while importing. Upload the file again."), field="file"
        ) from error


def import_csv(data: bytes | str, *, dry_run: bool = False) -> ImportReport:
    """Check every row; if none is rejected (and not ``dry_run``), apply them all.

    Raises ``ImportRefused`` when the file as a whole cannot be used. The caller commits.
    """
    text = decode(data)
    header, records = _read_rows(text)
    kinds = _aliases(((kind, kind.label) for kind in OrganisationKind), _KIND_ALIASES)
    languages = _aliases(LANGUAGES.items(), _LANGUAGE_ALIASES)
    rows: list[_Row] = []
    for line, record in records:
        cells = dict.fromkeys(COLUMNS)
        for name, cell in zip(header, record, strict=False):
            cells[name] = clean(cell)
        row = _check_row(line, cells, kinds, languages)
        if any(cell.strip() for cell in record[len(header) :]):
            row.result.errors.insert(0, _("The row has more cells than the header has columns."))
        rows.append(row)

    report = ImportReport(rows=[row.result for row in rows])
    organisations, contacts = _plan(rows, report)
    if report.ok and not dry_run:
        _apply(organisations, contacts)
        report.applied = True
    return report
