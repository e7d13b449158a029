"""What the donor report's tables and their values are called, in the current language.

Values come from the apps' own choices, so a country or a service reads the same in the report as everywhere else.
Where there is no label (office codes, ISO week dates, unknown codes) the code itself is shown.
"""

from dataclasses import dataclass
from datetime import date

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.choices import Country
from cases.choices import CaseStatus, Sex
from reception.choices import (
    AssistanceKind,
    Currency,
    ReferralStatus,
    ScoreDimension,
    Service,
)
from screening.choices import CHILD_VULNERABILITIES, VulnerabilityKind
from travel.choices import MovementMode

REPORT_LANGUAGES = ("es", "en")

TABLE_TITLES = {
    "pipeline": gettext_lazy("People at each stage"),
    "returned_by_sex": gettext_lazy("Returned, by sex"),
    "returned_by_age_band": gettext_lazy("Returned, by age band"),
    "returned_by_nationality": gettext_lazy("Returned, by nationality"),
    "returned_by_country_of_return": gettext_lazy("Returned, by country of return"),
    "returned_by_office": gettext_lazy("Returned, by registering office"),
    "returned_by_transport_mode": gettext_lazy("Returned, by transport mode"),
    "returned_by_child_status": gettext_lazy("Returned: unaccompanied children, accompanied children and adults"),
    "returned_by_sex_and_age_band": gettext_lazy("Returned, by sex and age band"),
    "returned_by_child_status_and_transport_mode": gettext_lazy(
        "Returned: children and adults, by transport mode"),
    "returned_by_nationality_and_sex": gettext_lazy("Returned, by nationality and sex"),
    "returned_by_office_and_country_of_return": gettext_lazy(
        "Returned, by registration site and country of return"),
    "vulnerabilities": gettext_lazy("Vulnerabilities"),
    "assistance": gettext_lazy("Assistance given"),
    "transport_money": gettext_lazy("Transport money"),
    "referrals": gettext_lazy("Referrals by service and outcome"),
    "exits": gettext_lazy("Withdrawals, no-shows and referrals out"),
    "returns_per_week": gettext_lazy("Returns per week"),
    "follow_ups": gettext_lazy("Follow-ups due and people reached (response rate)"),
    "follow_up_scores_by_sex": gettext_lazy("Reintegration scores, by sex"),
    "follow_up_scores_by_age_band": gettext_lazy("Reintegration scores, by age band"),
    "follow_up_scores_by_country_of_return": gettext_lazy("Reintegration scores, by country of return"),
}

DIMENSION_TITLES = {
    "stage": gettext_lazy("Stage"),
    "sex": gettext_lazy("Sex"),
    "age_band": gettext_lazy("Age band"),
    "nationality": gettext_lazy("Nationality"),
    "country_of_return": gettext_lazy("Country of return"),
    "office": gettext_lazy("Registering office"),
    "transport_mode": gettext_lazy("Transport mode"),
    "child_status": gettext_lazy("Child or adult"),
    "vulnerability": gettext_lazy("Vulnerability"),
    "assistance": gettext_lazy("Assistance"),
    "currency": gettext_lazy("Currency"),
    "service": gettext_lazy("Service"),
    "outcome": gettext_lazy("Outcome"),
    "exit": gettext_lazy("Exit"),
    "week": gettext_lazy("Week starting"),
    "follow_up": gettext_lazy("Follow-up"),
    "score_dimension": gettext_lazy("Reintegration dimension"),
}

# The columns after the dimensions, by the row key they show.
MEASURE_TITLES = {
    "count": gettext_lazy("People"),
    "percent": gettext_lazy("Percent"),
    "people": gettext_lazy("People assisted"),
    "amount": gettext_lazy("Amount"),
    "score": gettext_lazy("Mean score (0 to 1)"),
}
# In the assistance table a row counts items given, not people; in transport money it counts people paid.
COUNT_TITLES = {"assistance": gettext_lazy("Times given"), "referrals": gettext_lazy("Referrals"),
                "follow_ups": gettext_lazy("Follow-ups"), "follow_up_scores_by_sex": gettext_lazy("People answering"),
                "follow_up_scores_by_age_band": gettext_lazy("People answering"),
                "follow_up_scores_by_country_of_return": gettext_lazy("People answering")}

STAGES = {
    "registered": pgettext_lazy("people at a stage", "Registered"),
    "counselled": pgettext_lazy("people at a stage", "Counselled"),
    "approved": pgettext_lazy("people at a stage", "Approved for return"),
    "returned": pgettext_lazy("people at a stage", "Returned (departed)"),
    "received": pgettext_lazy("people at a stage", "Received on arrival"),
}
CHILD_STATUSES = {
    "unaccompanied_child": CHILD_VULNERABILITIES["unaccompanied_child"],
    "accompanied_child": gettext_lazy("Accompanied child"),
    "adult": gettext_lazy("Adult"),
}
# The report's own words, printed in both languages on the PDF.
TEXTS = {
    "donor_report": gettext_lazy("Donor report"),
    "programme": gettext_lazy("Programme"),
    "period": gettext_lazy("Period"),
    "generated": gettext_lazy("Generated"),
    "median_days": gettext_lazy("Median days from registration to departure"),
    "total": gettext_lazy("Total"),
    "no_rows": gettext_lazy("Nobody in this period."),
    "stable": gettext_lazy(
        "Returns are counted by when the movement actually left, with each person's sex, age, nationality, "
        "registering office and country of return as they were that day: they do not change when the report is "
        "run again. Registrations, counselling, approvals, arrivals, assistance, referrals and exits are counted "
        "from the records as they stand: a record entered later with a date in the period, or a person added "
        "later to a household registered in it, is counted when the report is run again."),
}
NOT_RECORDED = gettext_lazy("Not recorded")
AGE_UNKNOWN = gettext_lazy("Age unknown")

# Which choices name the values of each dimension (a dict or a TextChoices class).
VALUE_CHOICES = {
    "stage": STAGES, "sex": Sex, "nationality": Country, "country_of_return": Country,
    "transport_mode": MovementMode, "child_status": CHILD_STATUSES,
    "vulnerability": {**dict(VulnerabilityKind.choices), **CHILD_VULNERABILITIES},
    "assistance": AssistanceKind, "currency": Currency, "service": Service, "outcome": ReferralStatus,
    "exit": {value: CaseStatus(value).label for value in ("withdrawn", "no_show", "referred_out")},
    "follow_up": {"due": pgettext_lazy("follow-ups", "Due"), "reached": pgettext_lazy("follow-ups", "Reached"),
                  "unreachable": pgettext_lazy("follow-ups", "Unreachable"),
                  "refused": pgettext_lazy("follow-ups", "Refused")},
    "score_dimension": ScoreDimension,
}


def table_title(name: str) -> str:
    return str(TABLE_TITLES.get(name, name))


def dimension_title(dimension: str) -> str:
    return str(DIMENSION_TITLES.get(dimension, dimension))


def measure_title(table_name: str, key: str) -> str:
    if key == "count" and table_name in COUNT_TITLES:
        return str(COUNT_TITLES[table_name])
    return str(MEASURE_TITLES[key])


def value_label(dimension: str, value) -> str:
    """A dimension value as people read it in the current language; the code when nothing names it."""
    if value is None or value == "":
        return str(NOT_RECORDED)
    if isinstance(value, date):
        return value.isoformat()
    if dimension == "age_band":
        return str(AGE_UNKNOWN) if value == "unknown" else str(value).replace("-", "–")
    choices = VALUE_CHOICES.get(dimension)
    if isinstance(choices, dict):
        return str(choices.get(value, value))
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return str(value)


@dataclass(frozen=True)
class Bilingual:
    """One text in Spanish and in English; printed "Spanish / English", once when both read alike."""

    es: str
    en: str

    def __str__(self) -> str:
        return self.es if self.es == self.en else f"{self.es} / {self.en}"


def bilingual(make, *args, **kwargs) -> Bilingual:
    """Call `make` (anything returning text in the current language) once in each report language."""
    texts = []
    for language in REPORT_LANGUAGES:
        with translation.override(language):
            texts.append(str(make(*args, **kwargs)))
    return Bilingual(*texts)


def suppression_note(threshold: int) -> str:
    return _("Counts below %(threshold)s are shown as <%(threshold)s so that no person can be singled out.") % {
        "threshold": threshold}
