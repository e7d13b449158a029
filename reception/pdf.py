"""The assistance receipt and the referral slip as bilingual PDFs (WeasyPrint): the minimum about the person.

A receipt carries the centre, the date, the person's name and the item; a slip carries what the institution needs to
receive the person (name, phone, municipality of origin, service, who refers, when). Neither carries a note, a
vulnerability, a protection, medical or counselling detail: the templates are given nothing else to show.
"""

from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from weasyprint import HTML

from accounts.choices import Country
from reception.choices import AssistanceKind, Service
from screening.pdf import NoFetching

LANGUAGES = ("es", "en")


def pdf_from(template: str, context: dict) -> bytes:
    html = render_to_string(template, context)
    return HTML(string=html, base_url=None, url_fetcher=NoFetching()).write_pdf()


def in_both_languages(label) -> dict:
    """A translatable label as Spanish and English read it, e.g. {"es": "Kit de higiene", "en": "Hygiene kit"}."""
    found = {}
    for language in LANGUAGES:
        with translation.override(language):
            found[language] = str(label)
    return found


def date_in_both(day) -> dict:
    found = {}
    for language in LANGUAGES:
        with translation.override(language):
            found[language] = formats.date_format(day, "DATE_FORMAT")
    return found


def assistance_receipt_pdf(*, item) -> bytes:
    """One item given to one person, to sign: centre, date, name, item, amount and currency."""
    given_at = timezone.localtime(item.given_at)
    return pdf_from("reception/pdf/receipt.html", {
        "number": item.pk, "centre": item.centre.name, "name": item.member.full_name,
        "kind": in_both_languages(AssistanceKind(item.kind).label), "date": date_in_both(given_at.date()),
        "time": formats.time_format(given_at, "H:i"),
        "amount": formats.number_format(item.amount, 2) if item.amount is not None else "",
        "currency": item.currency, "given_by": item.given_by.get_full_name() or item.given_by.username,
    })


def referral_slip_pdf(*, referral) -> bytes:
    """What the institution needs to receive the person, and nothing more."""
    member, institution = referral.member, referral.institution
    centre = member.case.reception_centre
    return pdf_from("reception/pdf/referral_slip.html", {
        "number": referral.pk, "name": member.full_name, "phone": member.phone,
        "municipality": member.place_of_origin, "service": in_both_languages(Service(referral.service).label),
        "institution": institution, "country": in_both_languages(Country(institution.country).label),
        "centre": centre.name if centre else "", "date": date_in_both(referral.sent_on),
        "consent_date": date_in_both(referral.consent.given_on),
        "referred_by": referral.created_by.get_full_name() or referral.created_by.username,
    })
