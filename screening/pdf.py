"""The declaration of voluntary return as a bilingual PDF (WeasyPrint), one A4 page per adult member."""

from django.template.loader import render_to_string
from django.utils import formats, translation
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from accounts.choices import Country
from cases.choices import DocumentType, Sex

DECLARATION_LANGUAGES = ("es", "en")


class NoFetching(URLFetcher):
    """Refuse every URL: the declaration needs no image, stylesheet or font from anywhere, so nothing is fetched."""

    def fetch(self, url, headers=None):
        raise ValueError(f"The declaration fetches nothing: {url}")


def declaration_pdf(*, member) -> bytes:
    """The declaration of voluntary return of one member, Spanish and English side by side, ready to sign."""
    html = render_to_string("screening/pdf/declaration.html", declaration_context(member))
    return HTML(string=html, base_url=None, url_fetcher=NoFetching()).write_pdf()


def declaration_context(member) -> dict:
    """The member's details as each language shows them; the legal text itself lives in one template per language."""
    case = member.case
    return {
        "member": member, "case": case, "programme": case.programme,
        **{language: _labels_in(language, member, case) for language in DECLARATION_LANGUAGES},
    }


def _labels_in(language: str, member, case) -> dict:
    """Country, sex, document type and birth date as they read in `language`."""
    with translation.override(language):
        return {
            "nationality": str(Country(member.nationality).label),
            "return_country": str(Country(case.destination_country).label),
            "sex": str(Sex(member.sex).label) if member.sex else "",
            "document_type": str(DocumentType(member.document_type).label) if member.document_type else "",
            "date_of_birth": formats.date_format(member.date_of_birth) if member.date_of_birth else "",
        }
