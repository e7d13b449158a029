"""The member's data export as a bilingual PDF (WeasyPrint, A4): each heading, label and value in Spanish and English.

Built from the same export as the JSON (rights.selectors), so the two never disagree about what a role may read.
"""

from datetime import date, datetime

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext_lazy as _
from weasyprint import HTML

from audit.models import AuditAction
from cases.models import Case, Member
from cases.choices import CaseStatus
from rights.selectors import SECTIONS
from screening.pdf import NoFetching

LANGUAGES = ("es", "en")
# About 8 ms and a table per line: the PDF shows the newest lines, the JSON holds up to 1,000.
PDF_AUDIT_LINES = 200
TITLE = _("Personal data held about you")
WITHHELD = _("Held, not shown to your role")
NONE_HELD = _("Nothing held")
TRAIL_CUT = _("Only the newest lines are shown here; ask for the JSON export for the rest.")
SECTION_TITLES = {
    "member": _("Personal details"), "household": _("Your case"), "consents": _("Consents"),
    "counselling_sessions": _("Counselling sessions"), "protection_screening": _("Protection screening"),
    "vulnerabilities": _("Vulnerabilities"), "fitness_to_travel": _("Fitness to travel"),
    "best_interests": _("Best-interests determination"), "declarations": _("Declarations of voluntary return"),
    "protection_referrals": _("Protection referrals"), "travel_documents": _("Travel documents"),
    "bookings": _("Seats on movements"), "check_ins": _("Arrival at the reception centre"),
    "handover": _("Child handover"), "assistance": _("Assistance received"), "referrals": _("Referrals"),
    "follow_ups": _("Follow-up calls"), "follow_up_attempts": _("Attempts to reach you after return"),
    "follow_up_answers": _("Your answers to the follow-up questionnaire"),
    "follow_up_flags": _("Concerns raised by your answers"), "safeguarding_tasks": _("Actions on those concerns"),
    "documents": _("Documents attached to your case"), "case_events": _("Changes of the case's status"),
    "audit_trail": _("Who read or changed your data"),
}
EVENT_LABELS = {"at": _("when"), "actor": _("who"), "from_status": _("from"), "to_status": _("to"), "note": _("why")}
AUDIT_LABELS = {"at": _("when"), "actor": _("who"), "action": _("action"), "record": _("record")}


def both(text) -> dict:
    """A translatable text as each language reads it."""
    found = {}
    for language in LANGUAGES:
        with translation.override(language):
            found[language] = str(text)
    return found


def shown(field, value, language: str) -> str:
    """One exported value as a reader of `language` reads it (choice labels, dates, yes and no)."""
    if value is None or value == "" or value == []:
        return "—"
    choices = dict(field.base_field.choices or []) if isinstance(field, ArrayField) else dict(field.choices or [])
    if isinstance(value, list):
        return ", ".join(str(choices.get(v, v)) for v in value)
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if choices and value in choices:
        return str(choices[value])
    if isinstance(field, models.DateTimeField):
        return formats.date_format(datetime.fromisoformat(value), "DATETIME_FORMAT")
    if isinstance(field, models.DateField):
        return formats.date_format(date.fromisoformat(value), "DATE_FORMAT")
    return str(value)


def rows_of(model, record: dict, labels: dict | None = None) -> list[dict]:
    """The label and value of each exported field, in both languages; a withheld field says so."""
    rows = []
    for name, value in record.items():
        if name in ("id", "withheld"):
            continue
        field = model._meta.get_field(name) if labels is None else None
        row = {}
        for language in LANGUAGES:
            with translation.override(language):
                label = str(labels[name]) if labels is not None else str(field.verbose_name)
                if name in record.get("withheld", []):
                    text = str(WITHHELD)
                elif field is None:
                    text = "—" if value in (None, "") else str(value)
                else:
                    text = shown(field, value, language)
                row[language] = {"label": label, "value": text}
        rows.append(row)
    return rows


def member_export_pdf(*, export: dict) -> bytes:
    """The export, section after section, every heading in both languages."""
    sections = [{"title": both(SECTION_TITLES["member"]), "records": [rows_of(Member, export["member"])]},
                {"title": both(SECTION_TITLES["household"]), "records": [rows_of(Case, export["household"])]}]
    for section in SECTIONS:
        sections.append({"title": both(SECTION_TITLES[section.key]),
                         "records": [rows_of(section.model, record) for record in export[section.key]]})
    sections.append(_listing("case_events", export["case_events"], EVENT_LABELS, CaseStatus))
    trail = export["audit_trail"]
    sections.append({**_listing("audit_trail", trail[:PDF_AUDIT_LINES], AUDIT_LABELS, AuditAction),
                     "cut": both(TRAIL_CUT) if len(trail) > PDF_AUDIT_LINES or export["audit_trail_truncated"]
                     else None})
    html = render_to_string("rights/pdf/member_export.html", {
        "title": both(TITLE), "withheld": both(WITHHELD), "none_held": both(NONE_HELD), "sections": sections,
        "export": export, "name": f'{export["member"]["given_names"] or ""} {export["member"]["family_names"] or ""}',
    })
    return HTML(string=html, base_url=None, url_fetcher=NoFetching()).write_pdf()


def _listing(key: str, lines: list[dict], labels: dict, choice_class) -> dict:
    """Lines that are not a model's records (status changes, audit lines) as one table: a row per line."""
    return {"title": both(SECTION_TITLES[key]), "records": [], "columns": [both(label) for label in labels.values()],
            "lines": [[{language: cell[language]["value"] for language in LANGUAGES}
                       for cell in _translated_rows(line, labels, choice_class)] for line in lines]}


def _translated_rows(record: dict, labels: dict, choice_class) -> list[dict]:
    """Rows of a record that is not a model (a status change, an audit line), its coded values translated."""
    rows = []
    for name, value in record.items():
        if name == "withheld":
            continue
        row = {}
        for language in LANGUAGES:
            with translation.override(language):
                if name in record.get("withheld", []):
                    text = str(WITHHELD)
                elif value in choice_class.values:
                    text = str(choice_class(value).label)
                elif name == "at" and value:
                    text = formats.date_format(datetime.fromisoformat(value), "DATETIME_FORMAT")
                else:
                    text = "—" if value in (None, "") else str(value)
                row[language] = {"label": str(labels[name]), "value": text}
        rows.append(row)
    return rows
