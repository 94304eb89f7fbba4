"""The organisers' follow-up page of one event: minutes, materials, commitments and mailings
together. The minutes', materials' and commitments' routes show it again with their refused
form, so it is composed here, above the parts, and no part imports another's routes."""

from flask import redirect, render_template, url_for

from eventhub.events.models import Event
from eventhub.followup import mail as followup_mail
from eventhub.followup.commitments import services as commitments
from eventhub.followup.commitments.forms import CommitmentForm, StatusForm, fill_commitment_form
from eventhub.followup.minutes import services as minutes_services
from eventhub.followup.minutes.forms import MinutesForm, material_form
from eventhub.followup.models import Visibility
from eventhub.markdown import render_markdown


def followup_page(event: Event, status: int = 200, **forms):
    minutes = minutes_services.get_minutes(event)
    forms.setdefault("minutes_form", MinutesForm(obj=minutes))
    forms.setdefault("material_form", material_form(event))
    if "commitment_form" not in forms:
        forms["commitment_form"] = CommitmentForm()
        fill_commitment_form(forms["commitment_form"], event)
    return render_template(
        "followup/event.html",
        event=event,
        minutes=minutes,
        minutes_html=render_markdown(minutes.body) if minutes else None,
        materials=minutes_services.event_materials(event, Visibility.PRIVATE),
        commitments=commitments.event_commitments(event),
        status_form=StatusForm(),
        today=commitments.today_in(event.timezone),
        mailings=followup_mail.mailings(event),
        **forms,
    ), status


def to_followup(event: Event, anchor: str):
    return redirect(url_for("followup.event_followup", event_id=event.id, _anchor=anchor))
