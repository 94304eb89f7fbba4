from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.enums import LabelledEnum
from eventhub.orm import Base, TimestampMixin


class OrganisationKind(LabelledEnum):
    MUNICIPALITY = "municipality", _l("Municipality")
    GOVERNMENT_AGENCY = "government_agency", _l("Government agency")
    NGO = "ngo", _l("NGO")
    UNIVERSITY = "university", _l("University")
    BUSINESS_ASSOCIATION = "business_association", _l("Business association")
    INTERNATIONAL_ORGANISATION = "international_organisation", _l("International organisation")
    EMBASSY = "embassy", _l("Embassy")
    COMPANY = "company", _l("Company")
    OTHER = "other", _l("Other")


LANGUAGES = {"es": _l("Spanish"), "en": _l("English")}


class Organisation(TimestampMixin, Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    region: Mapped[str | None] = mapped_column(String(100), index=True)
    commune: Mapped[str | None] = mapped_column(String(100))
    website: Mapped[str | None] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)

    contacts: Mapped[list["Contact"]] = relationship(
        back_populates="organisation",
        cascade="all, delete-orphan",
        order_by="(Contact.is_primary.desc(), Contact.name)",
    )

    @property
    def kind_label(self):
        return OrganisationKind(self.kind).label

    @property
    def primary_contact(self) -> "Contact | None":
        return next((c for c in self.contacts if c.is_primary), None) or next(
            iter(self.contacts), None
        )

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class Contact(TimestampMixin, Base):
    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("organisation_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str | None] = mapped_column(String(160))
    email: Mapped[str] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(2), default="es")
    is_primary: Mapped[bool] = mapped_column(default=False)

    organisation: Mapped[Organisation] = relationship(back_populates="contacts")

    @property
    def language_label(self):
        return LANGUAGES.get(self.language, self.language)

    def __repr__(self) -> str:
        return f"<Contact {self.id} {self.email}>"
