from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.auth.models import User
from eventhub.calendar import changes  # noqa: F401  (registers the change tracking)
from eventhub.organisations.models import Organisation
from eventhub.orm import Base, TimestampMixin


class FeedToken(TimestampMixin, Base):
    """A private calendar feed's key. Only its hash is stored; the URL is derived again from
    the secret key and ``salt`` when an organiser wants to see it, and rotating it (a new
    salt, the old row revoked) makes the old URL a 404 at once."""

    __tablename__ = "feed_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    salt: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    revoked_at: Mapped[datetime | None]

    organisation: Mapped[Organisation | None] = relationship()
    user: Mapped[User | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
