"""The import file's shape, shared by the template, the reader and the annotated copy: two sheets, one row per
household and one row per person, joined by the household's id. Headers and sheet names are accepted in Spanish or
English (or as the field's own name); code cells take the code or its label in either language."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from accounts.choices import Country
from cases.choices import ConsentType, DocumentType, HowHeard, Relationship, Sex


@dataclass(frozen=True)
class Column:
    key: str            # the registration body's field (POST /api/v1/cases/), or household_id
    label: object       # the header, translated
    required: bool = False
    kind: str = "text"  # text | date | int | code
    choices: object = None  # a TextChoices class for kind == "code"
    max_length: int = 120


HOUSEHOLD_ID = Column("household_id", _("Household ID"), required=True, max_length=120)

HOUSEHOLD_COLUMNS = (
    HOUSEHOLD_ID,
    Column("destination_country", _("Country of return"), required=True, kind="code", choices=Country),
    Column("intake_date", _("Intake date"), kind="date"),
    Column("how_heard", _("How they heard of the programme"), kind="code", choices=HowHeard),
    Column("consent_type", _("Consent to collect data"), required=True, kind="code", choices=ConsentType),
    Column("consent_reason", _("Why the consent is not explicit"), max_length=500),
    Column("consent_date", _("Consent date"), kind="date"),
    Column("caseworker_notes", _("Notes"), max_length=2000),
)

MEMBER_COLUMNS = (
    HOUSEHOLD_ID,
    Column("relationship", _("Relationship to the principal"), required=True, kind="code", choices=Relationship),
    Column("given_names", _("Given names"), required=True),
    Column("family_names", _("Family names"), required=True),
    Column("sex", _("Sex"), required=True, kind="code", choices=Sex),
    Column("date_of_birth", _("Date of birth"), kind="date"),
    Column("estimated_age", _("Estimated age"), kind="int"),
    Column("nationality", _("Nationality"), required=True, kind="code", choices=Country),
    Column("document_type", _("Document type"), kind="code", choices=DocumentType),
    Column("document_number", _("Document number"), max_length=40),
    Column("document_issuing_country", _("Document issued by"), kind="code", choices=Country),
    Column("phone", _("Phone"), max_length=32),
    Column("country_of_residence", _("Country of residence"), kind="code", choices=Country),
    Column("languages", _("Languages")),
    Column("place_of_origin", _("Place of origin")),
    Column("intended_destination", _("Intended destination")),
)

HOUSEHOLDS_SHEET = _("Households")
MEMBERS_SHEET = _("Members")
