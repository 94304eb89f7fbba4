from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.organisations.models import Organisation
from eventhub.orm import Base, TimestampMixin


class Speaker(TimestampMixin, Base):
    """A person who speaks, moderates or hosts; reused across events' agendas."""

    __tablename__ = "speaker"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    title: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    # For speakers whose organisation is not in the directory.
    affiliation: Mapped[str | None] = mapped_column(String(200))
    bio: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(254))

    organisation: Mapped[Organisation | None] = relationship()

    @property
    def organisation_name(self) -> str | None:
        return self.organisation.name if self.organisation else self.affiliation

    def __repr__(self) -> str:
        return f"<Speaker {self.id} {self.name!r}>"
