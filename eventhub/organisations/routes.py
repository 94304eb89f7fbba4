from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm

from eventhub.audit import services as audit
from eventhub.calendar import services as calendar_services
from eventhub.calendar.links import feed_urls
from eventhub.calendar.models import FeedKind
from eventhub.csv_export import csv_response
from eventhub.errors import DomainError
from eventhub.extensions import db
from eventhub.followup import commitments as followup
from eventhub.forms import options, show_domain_error
from eventhub.listing import filter_args, paginate
from eventhub.organisations import bp, csv_import, services
from eventhub.organisations.forms import (
    ContactForm,
    ImportForm,
    OrganisationFilterForm,
    OrganisationForm,
)
from eventhub.organisations.models import OrganisationKind

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
    if form.validate_on_submit():
        try:
            organisation = services.create_organisation(_organisation_data(form))
            audit.log("organisation.create", organisation.name)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("Organisation created."), "success")
            return redirect(
                url_for("organisations.show_organisation", organisation_id=organisation.id)
            )
    return render_template(
        "organisations/form.html", form=form, organisation=None, regions=services.CHILE_REGIONS
    )


@bp.get("/organisations/<int:organisation_id>")
@login_required
def show_organisation(organisation_id: int):
    organisation = None
    if organisation_id <= services.MAX_ID:
        organisation = db.session.scalar(services.organisation_page_query(organisation_id))
    if organisation is None:
        abort(404)
    feed_token = calendar_services.active_feed_token(FeedKind.ORGANISATION, organisation.id)
    return render_template(
        "organisations/show.html",
        organisation=organisation,
        participations=services.participations(organisation),
        feed_urls=feed_urls(feed_token),
        commitments=followup.organisation_commitments(organisation),
        commitment_links=followup.active_links(organisation),
        today=followup.today_in(current_app.config["DEFAULT_EVENT_TIMEZONE"]),
    )


@bp.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@login_required
def edit_organisation(organisation_id: int):
    organisation = services.get_organisation(organisation_id)
    form = OrganisationForm(obj=organisation)
    before = audit.snapshot(organisation, ORGANISATION_FIELDS)
    if form.validate_on_submit():
        try:
            services.update_organisation(organisation, _organisation_data(form))
            audit.log(
                "organisation.edit",
                f"{organisation.name}: {audit.changes(before, organisation)}",
                details=audit.change_details(
                    before, organisation, "organisation", organisation.name
                ),
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("Organisation saved."), "success")
            return redirect(
                url_for("organisations.show_organisation", organisation_id=organisation.id)
            )
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
        try:
            services.delete_organisation(organisation)
            audit.log("organisation.delete", name)
        except DomainError as error:
            flash(error.message, "error")
            return redirect(
                url_for("organisations.show_organisation", organisation_id=organisation_id)
            )
        db.session.commit()
        flash(_("Organisation “%(name)s” deleted.", name=name), "success")
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
    before = audit.snapshot(contact, CONTACT_FIELDS) if contact else None
    if form.validate_on_submit():
        try:
            saved = services.save_contact(organisation, contact, _contact_data(form))
            if before is None:
                audit.log("contact.create", f"{organisation.name}: {saved.name} <{saved.email}>")
            else:
                summary = f"{organisation.name}, {saved.name}: {audit.changes(before, saved)}"
                subject = f"{organisation.name}, {saved.name}"
                details = audit.change_details(before, saved, "contact", subject)
                audit.log("contact.edit", summary, details=details)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("Contact saved."), "success")
            return redirect(
                url_for(
                    "organisations.show_organisation",
                    organisation_id=organisation.id,
                    _anchor="contacts",
                )
            )
    return render_template(
        "organisations/contact_form.html", form=form, organisation=organisation, contact=contact
    )


@bp.post("/organisations/<int:organisation_id>/contacts/<int:contact_id>/delete")
@login_required
def delete_contact(organisation_id: int, contact_id: int):
    organisation = services.get_organisation(organisation_id)
    contact = services.get_contact(organisation, contact_id)
    audit.log("contact.delete", f"{organisation.name}: {contact.name} <{contact.email}>")
    services.delete_contact(contact)
    db.session.commit()
    flash(_("Contact deleted."), "success")
    return redirect(
        url_for(
            "organisations.show_organisation", organisation_id=organisation_id, _anchor="contacts"
        )
    )


@bp.route("/organisations/import", methods=["GET", "POST"])
@login_required
def import_organisations():
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        try:
            report = csv_import.import_csv(form.file.data.read())
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            if report.applied:
                orgs, contacts = report.organisations, report.contacts
                audit.log(
                    "organisation.import",
                    f"organisations: {orgs.added} added, {orgs.updated} updated; "
                    f"contacts: {contacts.added} added, {contacts.updated} updated",
                )
                db.session.commit()
                flash(_("The file was imported."), "success")
            else:  # the report says "nothing was imported" next to the rejected rows
                db.session.rollback()
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
