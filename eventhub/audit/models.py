from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.auth.models import User
from eventhub.enums import LabelledEnum
from eventhub.events.models import Event
from eventhub.orm import Base, utcnow


class AuditAction(LabelledEnum):
    """The actions the log records (``AuditEntry.action``), named for its readers."""

    EVENT_CREATE = "event.create", _l("Event created")
    EVENT_EDIT = "event.edit", _l("Event edited")
    EVENT_PUBLISH = "event.publish", _l("Event published")
    EVENT_UNPUBLISH = "event.unpublish", _l("Event unpublished")
    EVENT_CANCEL = "event.cancel", _l("Event cancelled")
    EVENT_CLONE = "event.clone", _l("Event duplicated from another")
    EVENT_ORGANISATION = "event.organisation", _l("Participating organisation set")
    EVENT_ORGANISATION_REMOVE = (
        "event.organisation_remove",
        _l("Participating organisation removed"),
    )
    EVENT_CO_ORGANISER_ADD = "event.co_organiser_add", _l("Co-organiser added")
    EVENT_CO_ORGANISER_REMOVE = "event.co_organiser_remove", _l("Co-organiser removed")
    EVENT_IMAGE_SAVE = "event.image", _l("Event image saved")
    EVENT_IMAGE_REMOVE = "event.image_remove", _l("Event image removed")
    AGENDA_ADD = "agenda.add", _l("Agenda item added")
    AGENDA_EDIT = "agenda.edit", _l("Agenda item edited")
    AGENDA_DELETE = "agenda.delete", _l("Agenda item deleted")
    AGENDA_SHIFT = "agenda.shift", _l("Agenda items moved")
    INVITATIONS_SEND = "invitations.send", _l("Invitations sent")
    INVITATIONS_RESEND = "invitations.resend", _l("Invitation sent again")
    INVITATIONS_RESEND_FAILED = "invitations.resend_failed", _l("Failed invitations sent again")
    INVITATIONS_REMIND = "invitations.remind", _l("Reminders sent")
    INVITATIONS_REVOKE = "invitations.revoke", _l("Invitation revoked")
    REMINDER_ADD = "reminder.add", _l("Reminder added")
    REMINDER_REMOVE = "reminder.remove", _l("Reminder removed")
    REGISTRATION_APPROVE = "registration.approve", _l("Registration approved")
    REGISTRATION_REJECT = "registration.reject", _l("Registration rejected")
    REGISTRATION_PROMOTE = "registration.promote", _l("Moved from the waiting list")
    REGISTRATION_WAIT = "registration.wait", _l("Moved to the waiting list")
    REGISTRATION_CANCEL = "registration.cancel", _l("Registration cancelled")
    REGISTRATION_TOGGLE = "registration.toggle", _l("Registration closed or reopened")
    REGISTRATION_CHECK_IN = "registration.check_in", _l("Arrival checked in")
    REGISTRATION_UNDO_CHECK_IN = "registration.undo_check_in", _l("Arrival undone")
    REGISTRATION_WALK_IN = "registration.walk_in", _l("Walk-in added at the door")
    REGISTRATION_EXPORT_SENSITIVE = (
        "registration.export_sensitive",
        _l("Participants exported with sensitive answers"),
    )
    QUESTIONS_DELETE_SENSITIVE = "questions.delete_sensitive", _l("Sensitive answers deleted")
    QUESTION_ADD = "question.add", _l("Registration question added")
    QUESTION_EDIT = "question.edit", _l("Registration question edited")
    QUESTION_DELETE = "question.delete", _l("Registration question deleted")
    QUESTION_MOVE = "question.move", _l("Registration questions reordered")
    QUESTION_FORM_COPY = "question_form.copy", _l("Registration questions copied")
    QUESTION_PURPOSE = "question_form.purpose", _l("Purpose of the sensitive questions edited")
    MINUTES_SAVE = "minutes.save", _l("Minutes saved")
    MATERIAL_ADD = "material.add", _l("File uploaded")
    MATERIAL_EDIT = "material.edit", _l("File details edited")
    MATERIAL_DELETE = "material.delete", _l("File deleted")
    COMMITMENT_ADD = "commitment.add", _l("Commitment added")
    COMMITMENT_EDIT = "commitment.edit", _l("Commitment edited")
    COMMITMENT_STATUS = "commitment.status", _l("Commitment status changed")
    COMMITMENT_DELETE = "commitment.delete", _l("Commitment deleted")
    COMMITMENT_LINK_REVOKE = "commitment_link.revoke", _l("Commitment link revoked")
    FOLLOWUP_SEND = "followup.send", _l("Follow-up mail sent")
    MESSAGE_SEND = "message.send", _l("Message sent to participants")
    MESSAGE_RESEND_FAILED = "message.resend_failed", _l("Failed messages sent again")
    PROGRAMME_CREATE = "programme.create", _l("Programme created")
    PROGRAMME_EDIT = "programme.edit", _l("Programme edited")
    SPEAKER_CREATE = "speaker.create", _l("Speaker added")
    SPEAKER_EDIT = "speaker.edit", _l("Speaker edited")
    SPEAKER_DELETE = "speaker.delete", _l("Speaker removed")
    ORGANISATION_CREATE = "organisation.create", _l("Organisation created")
    ORGANISATION_EDIT = "organisation.edit", _l("Organisation edited")
    ORGANISATION_DELETE = "organisation.delete", _l("Organisation deleted")
    ORGANISATION_IMPORT = "organisation.import", _l("Organisations imported")
    CONTACT_CREATE = "contact.create", _l("Contact created")
    CONTACT_EDIT = "contact.edit", _l("Contact edited")
    CONTACT_DELETE = "contact.delete", _l("Contact deleted")
    USER_CREATE = "user.create", _l("Account created")
    USER_ACTIVATE = "user.activate", _l("Account reactivated")
    USER_DEACTIVATE = "user.deactivate", _l("Account deactivated")
    USER_PASSWORD_RESET = "user.password_reset", _l("Password reset by an admin")
    USER_PASSWORD_RESET_LINK = (
        "user.password_reset_link",
        _l("Password chosen again through the mailed link"),
    )
    USER_INVITE = "user.invite", _l("Organiser invited")
    USER_INVITATION_RESEND = "user.invitation_resend", _l("Organiser invitation sent again")
    USER_INVITATION_REVOKE = "user.invitation_revoke", _l("Organiser invitation withdrawn")
    USER_INVITATION_ACCEPT = "user.invitation_accept", _l("Organiser invitation accepted")


class AuditEntry(Base):
    """One organiser action: who, what, on which event (none for the directory), when."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # SET NULL: the history outlives accounts and events; user_email keeps who it was.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    user_email: Mapped[str | None] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(60), index=True)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("event.id", ondelete="SET NULL"), index=True
    )
    summary: Mapped[str] = mapped_column(String(1000), default="")
    # What the page shows, as data told in the reader's language (audit/display.py);
    # None for entries written before it was kept.
    details: Mapped[dict | None] = mapped_column(JSON)

    user: Mapped[User | None] = relationship()
    event: Mapped[Event | None] = relationship()

    @property
    def action_label(self) -> str:
        """Entries of actions no longer in the list show their stored name."""
        action = AuditAction.get(self.action)
        return str(action.label) if action is not None else self.action

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action}>"
