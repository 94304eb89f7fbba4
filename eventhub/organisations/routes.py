from flask import redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm

from eventhub import activity
from eventhub.activity import Done
from eventhub.csv_export import csv_response
from eventhub.forms import options
from eventhub.listing import filter_args, paginate
from eventhub.organisations import bp, csv_import, services
from eventhub.organisations.forms import (
    ContactForm,
    ImportForm,
    OrganisationFilterForm,
    OrganisationForm,
)
from eventhub.organisations.models import Contact, OrganisationKind
from eventhub.routing import commit_change

ORGANISATION_FIELDS = ("name", "kind", "region", "commune", "website", "notes")
CONTACT_FIELDS = ("name", "email", "role", "phone", "language", "is_primary")


def _organisation_data(form: OrganisationForm) -> services.OrganisationData:
    return services.OrganisationData(
        name=form.name.data,
        kind=form.kind.data,
        region=form.region.data,
        commune=form.commune.data,
        website=form.website.data,
        notes=form.notes.data,
    )


def _back_to_organisation(organisation_id: int, anchor: str | None = None):
    return redirect(
        url_for("organisations.show_organisation", organisation_id=organisation_id, _anchor=anchor)
    )


def _contact_data(form: ContactForm) -> services.ContactData:
    return services.ContactData(
        name=form.name.data,
        email=form.email.data,
        role=form.role.data,
        phone=form.phone.data,
        language=form.language.data,
        is_primary=form.is_primary.data,
    )


@bp.get("/organisations/")
@login_required
def list_organisations():
    form = OrganisationFilterForm(request.args)
    form.region.choices = options(
        [(None, _l("All regions"))] + [(r, r) for r in services.region_choices()]
    )
    form.validate()
    valid = lambda field: field.data if not field.errors else None  # noqa: E731
    filters = services.OrganisationFilters(
        q=valid(form.q), kind=valid(form.kind) or None, region=valid(form.region) or None
    )
    page = paginate(services.list_organisations_query(filters), "ORGANISATIONS_PER_PAGE")
    counts = services.contact_counts([organisation.id for organisation in page.items])
    return render_template(
        "organisations/list.html", page=page, form=form, args=filter_args(), counts=counts
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
@login_required
def create_organisation():
    form = OrganisationForm()
    outcome = form.validate_on_submit() and commit_change(
        lambda: services.create_organisation(_organisation_data(form)),
        audit=lambda organisation: Done("organisation.create", organisation.name),
        success=_("Organisation created."),
        form=form,
    )
    if outcome and outcome.done:
        assert outcome.result is not None
        return _back_to_organisation(outcome.result.id)
    return render_template(
        "organisations/form.html", form=form, organisation=None, regions=services.CHILE_REGIONS
    )


@bp.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@login_required
def edit_organisation(organisation_id: int):
    organisation = services.get_organisation(organisation_id)
    form = OrganisationForm(obj=organisation)
    before = activity.snapshot(organisation, ORGANISATION_FIELDS)
    if (
        form.validate_on_submit()
        and commit_change(
            lambda: services.update_organisation(organisation, _organisation_data(form)),
            audit=lambda _result: Done(
                "organisation.edit",
                f"{organisation.name}: {activity.changes(before, organisation)}",
                details=activity.change_details(
                    before, organisation, "organisation", organisation.name
                ),
            ),
            success=_("Organisation saved."),
            form=form,
        ).done
    ):
        return _back_to_organisation(organisation.id)
    return render_template(
        "organisations/form.html",
        form=form,
        organisation=organisation,
        regions=services.CHILE_REGIONS,
    )


@bp.route("/organisations/<int:organisation_id>/delete", methods=["GET", "POST"])
@login_required
def delete_organisation(organisation_id: int):
    organisation = services.get_organisation(organisation_id)
    form = FlaskForm()
    if form.validate_on_submit():
        name = organisation.name
        if not commit_change(
            lambda: services.delete_organisation(organisation),
            audit=Done("organisation.delete", name),
            success=_("Organisation “%(name)s” deleted.", name=name),
        ).done:
            return _back_to_organisation(organisation_id)
        return redirect(url_for("organisations.list_organisations"))
    return render_template(
        "organisations/delete.html",
        organisation=organisation,
        impact=services.deletion_impact(organisation),
        form=form,
    )


@bp.route("/organisations/<int:organisation_id>/contacts/new", methods=["GET", "POST"])
@bp.route(
    "/organisations/<int:organisation_id>/contacts/<int:contact_id>/edit",
    methods=["GET", "POST"],
)
@login_required
def edit_contact(organisation_id: int, contact_id: int | None = None):
    organisation = services.get_organisation(organisation_id)
    contact = services.get_contact(organisation, contact_id) if contact_id else None
    form = ContactForm(obj=contact)
    before = activity.snapshot(contact, CONTACT_FIELDS) if contact else None

    def recorded(saved: Contact) -> Done:
        if before is None:
            return Done("contact.create", f"{organisation.name}: {saved.name} <{saved.email}>")
        subject = f"{organisation.name}, {saved.name}"
        return Done(
            "contact.edit",
            f"{subject}: {activity.changes(before, saved)}",
            details=activity.change_details(before, saved, "contact", subject),
        )

    if (
        form.validate_on_submit()
        and commit_change(
            lambda: services.save_contact(organisation, contact, _contact_data(form)),
            audit=recorded,
            success=_("Contact saved."),
            form=form,
        ).done
    ):
        return _back_to_organisation(organisation.id, "contacts")
    return render_template(
        "organisations/contact_form.html", form=form, organisation=organisation, contact=contact
    )


@bp.post("/organisations/<int:organisation_id>/contacts/<int:contact_id>/delete")
@login_required
def delete_contact(organisation_id: int, contact_id: int):
    organisation = services.get_organisation(organisation_id)
    contact = services.get_contact(organisation, contact_id)
    commit_change(
        lambda: services.delete_contact(contact),
        audit=Done("contact.delete", f"{organisation.name}: {contact.name} <{contact.email}>"),
        success=_("Contact deleted."),
    )
    return _back_to_organisation(organisation_id, "contacts")


@bp.route("/organisations/import", methods=["GET", "POST"])
@login_required
def import_organisations():
    form = ImportForm()
    report = None
    if form.validate_on_submit():

        def imported(report: csv_import.ImportReport) -> Done:
            orgs, contacts = report.organisations, report.contacts
            return Done(
                "organisation.import",
                f"organisations: {orgs.added} added, {orgs.updated} updated; "
                f"contacts: {contacts.added} added, {contacts.updated} updated",
            )

        report = commit_change(
            lambda: csv_import.import_csv(form.file.data.read()),
            audit=imported,
            success=_("The file was imported."),
            form=form,
            # Otherwise the report says "nothing was imported" next to the rejected rows.
            keep=lambda report: report.applied,
        ).result
    return render_template(
        "organisations/import.html",
        form=form,
        report=report,
        columns=csv_import.COLUMNS,
        column_names=csv_import.accepted_names(),
        required=csv_import.REQUIRED_COLUMNS,
        max_rows=csv_import.MAX_ROWS,
        kinds=OrganisationKind,
    )


@bp.get("/organisations/import/template.csv")
@login_required
def import_template():
    spanish = str(get_locale()) == "es"
    header, rows = csv_import.template(spanish)
    name = "plantilla-organizaciones.csv" if spanish else "organisations-template.csv"
    return csv_response(name, header, rows)
