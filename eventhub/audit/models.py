from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.auth.models import User
from eventhub.db import Base, utcnow
from eventhub.events.models import Event


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

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action}>"
