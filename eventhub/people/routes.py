from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from eventhub import activity
from eventhub.activity import Done
from eventhub.extensions import db
from eventhub.forms import options
from eventhub.listing import filter_args, paginate
from eventhub.organisations.services import organisation_choices
from eventhub.people import bp, services
from eventhub.people.forms import SpeakerForm, SpeakerSearchForm
from eventhub.routing import commit_change


def _fill_choices(form: SpeakerForm) -> None:
    form.organisation_id.choices = options(
        [(None, _l("None (not in the directory)")), *organisation_choices()]
    )


SPEAKER_FIELDS = ("name", "title", "organisation_id", "affiliation", "bio", "email")


def _speaker_data(form: SpeakerForm) -> services.SpeakerData:
    return services.SpeakerData(
        name=form.name.data,
        title=form.title.data,
        organisation_id=form.organisation_id.data,
        affiliation=form.affiliation.data,
        bio=form.bio.data,
        email=form.email.data,
    )


@bp.get("/speakers/")
@login_required
def list_speakers():
    form = SpeakerSearchForm(request.args)
    form.validate()
    q = form.q.data if not form.q.errors else None
    page = paginate(services.list_speakers_query(q), "SPEAKERS_PER_PAGE")
    return render_template("people/list.html", page=page, form=form, args=filter_args())


@bp.route("/speakers/new", methods=["GET", "POST"])
@login_required
def create_speaker():
    form = SpeakerForm()
    _fill_choices(form)
    outcome = form.validate_on_submit() and commit_change(
        lambda: services.create_speaker(_speaker_data(form)),
        audit=lambda speaker: Done("speaker.create", speaker.name),
        success=_("Speaker added."),
        form=form,
    )
    if outcome and outcome.done:
        assert outcome.result is not None
        return redirect(url_for("people.show_speaker", speaker_id=outcome.result.id))
    db.session.rollback()
    return render_template("people/form.html", form=form, speaker=None)


@bp.route("/speakers/<int:speaker_id>/edit", methods=["GET", "POST"])
@login_required
def edit_speaker(speaker_id: int):
    speaker = services.get_speaker(speaker_id)
    form = SpeakerForm(obj=speaker)
    _fill_choices(form)
    before = activity.snapshot(speaker, SPEAKER_FIELDS)
    if (
        form.validate_on_submit()
        and commit_change(
            lambda: services.update_speaker(speaker, _speaker_data(form)),
            audit=lambda _result: Done(
                "speaker.edit",
                f"{speaker.name}: {activity.changes(before, speaker)}",
                details=activity.change_details(before, speaker, "speaker", speaker.name),
            ),
            success=_("Speaker saved."),
            form=form,
        ).done
    ):
        return redirect(url_for("people.show_speaker", speaker_id=speaker.id))
    db.session.rollback()
    return render_template("people/form.html", form=form, speaker=speaker)


@bp.route("/speakers/<int:speaker_id>/delete", methods=["GET", "POST"])
@login_required
def delete_speaker(speaker_id: int):
    speaker = services.get_speaker(speaker_id)
    bookings = services.bookings_of(speaker)
    if request.method == "POST":
        if bookings and request.form.get("remove_from_agendas") != "1":
            flash(_("Confirm removing the speaker from the agenda items listed."), "error")
            return render_template("people/delete.html", speaker=speaker, bookings=bookings), 409
        name = speaker.name
        commit_change(
            lambda: services.delete_speaker(speaker),
            audit=Done(
                "speaker.delete",
                f"{name} ({activity.counted(len(bookings), 'agenda item', 'agenda items')})"
                if bookings
                else name,
                details={"subject": name, "count": ["agenda_items", len(bookings)]}
                if bookings
                else None,
            ),
            success=_("%(name)s was removed from the speakers.", name=name),
        )
        return redirect(url_for("people.list_speakers"))
    return render_template("people/delete.html", speaker=speaker, bookings=bookings)
