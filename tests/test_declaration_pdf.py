"""The declaration of voluntary return: a bilingual PDF for each adult, downloaded by the case team, audited."""

import io
from datetime import date

import pypdf
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from audit.models import AuditAction, AuditEvent
from cases.choices import CaseStatus
from cases.models import Member
from cases.registration import MemberInput
from screening.pdf import declaration_pdf
from screening.views_pdf import NO_BIRTH_DATE, UNDER_AGE
from tests.conftest import api_as
from tests.factories import household

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(caseworker, caravan, tij, sps):
    """Booked to San Pedro Sula, so reception and movement officers see it too."""
    return household(actor=caseworker, programme=caravan, office=tij, status=CaseStatus.BOOKED, reception_centre=sps,
                     people=[
                         MemberInput(given_names="José Ángel", family_names="Núñez Peña", sex="male",
                                     date_of_birth=date(1985, 6, 9), nationality="HN", document_type="passport",
                                     document_number="F0981234", place_of_origin="Choloma"),
                         MemberInput(given_names="Dulce María", family_names="Núñez", sex="female",
                                     date_of_birth=date(2013, 2, 1), nationality="HN", relationship="child",
                                     place_of_origin="Choloma"),
                     ])


@pytest.fixture
def adult(case):
    return case.members.get(given_names="José Ángel")


@pytest.fixture
def child(case):
    return case.members.get(given_names="Dulce María")


def pdf_text(content: bytes) -> str:
    """The PDF's text with its line breaks and justification spaces folded, so phrases can be searched."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def page_count(content: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(content)).pages)


def in_language(language: str, label: str) -> str:
    with translation.override(language):
        return translation.gettext(label)


def page_url(case, member) -> str:
    return f"{reverse('declaration_pdf', args=[case.pk])}?member={member.pk}"


def api_url(case, member) -> str:
    return f"{reverse('api-declaration-pdf', args=[case.pk])}?member={member.pk}"


def downloads_of(member) -> int:
    return AuditEvent.objects.filter(action=AuditAction.DOWNLOAD, object_type="cases.member",
                                     object_ids=[member.pk]).count()


def test_the_declaration_reads_in_spanish_and_english_with_every_accent(case, adult):
    text = pdf_text(declaration_pdf(member=adult))

    assert "Declaración de retorno voluntario / Declaration of voluntary return" in text
    assert "José Ángel Núñez Peña" in text
    assert "Yo, José Ángel Núñez Peña, abajo firmante, declaro lo siguiente" in text
    assert "Deseo regresar de manera voluntaria a Honduras" in text
    assert "Sé que puedo retirar mi decisión en cualquier momento antes de la salida, sin sanción alguna" in text
    assert "I, the undersigned, José Ángel Núñez Peña, declare the following" in text
    assert "I wish to return voluntarily to Honduras" in text
    assert "I know that I may withdraw my decision at any time before departure, without any penalty" in text
    assert "Nobody has forced, threatened or pressured me" in text


def test_the_declaration_carries_the_case_the_programme_the_person_and_signature_lines(case, adult):
    text = pdf_text(declaration_pdf(member=adult))

    assert case.reference in text and "CARAVAN-2018 — Caravans AVR 2018" in text
    assert "9 de junio de 1985" in text and "June 9, 1985" in text
    assert f"{in_language('es', 'Passport')} n.º F0981234" in text and "Passport no. F0981234" in text
    assert f"Sexo {in_language('es', 'Male')}" in text and "Sex Male" in text
    for line in ("Firma o huella dactilar de la persona migrante / Signature or fingerprint of the migrant",
                 "Lugar y fecha / Place and date", "Testigo: nombre / Witness: name",
                 "Personal del programa: nombre y cargo / Staff member: name and position"):
        assert line in text


def test_the_declaration_is_one_small_page(adult):
    content = declaration_pdf(member=adult)

    assert content.startswith(b"%PDF")
    assert page_count(content) == 1
    assert len(content) < 60_000


def test_a_caseworker_downloads_the_declaration_as_an_uncached_attachment(client, caseworker, case, adult):
    client.force_login(caseworker)

    response = client.get(page_url(case, adult))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="declaration-{case.reference}-{adult.pk}.pdf"'
    assert response["Cache-Control"] == "no-store"
    assert "José Ángel Núñez Peña" in pdf_text(response.content)
    assert downloads_of(adult) == 1


def test_the_api_download_is_the_same_pdf_whatever_the_client_accepts(supervisor, case, adult):
    response = api_as(supervisor).get(api_url(case, adult), HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="declaration-{case.reference}-{adult.pk}.pdf"'
    assert response["Cache-Control"] == "no-store"
    assert "Declaration of voluntary return" in pdf_text(response.content)
    event = AuditEvent.objects.get(action=AuditAction.DOWNLOAD)
    assert (event.actor, event.object_type, event.object_ids) == (supervisor, "cases.member", [adult.pk])


@pytest.mark.parametrize("persona, expected", [
    ("caseworker", 200),
    ("supervisor", 200),
    ("outsider", 404),          # a caseworker of another booth
    ("other_supervisor", 404),  # another programme
    ("other_reception", 404),   # the case is bound for another centre
    ("admin_user", 404),        # aggregates only
    ("reception", 403),         # sees the case and the names, but does not counsel
    ("movement_officer", 403),
])
def test_only_the_case_team_may_download_a_declaration(request, persona, expected, case, adult):
    user = request.getfixturevalue(persona)

    response = api_as(user).get(api_url(case, adult))

    assert response.status_code == expected
    assert downloads_of(adult) == (1 if expected == 200 else 0)
    if expected != 200:
        assert response.json()["code"] in ("not_found", "permission_denied")


def test_another_booth_gets_not_found_on_the_page_too(client, outsider, case, adult):
    client.force_login(outsider)

    assert client.get(page_url(case, adult)).status_code == 404
    assert downloads_of(adult) == 0


def test_a_member_of_another_case_is_not_found(caseworker, caravan, tij, case):
    other = household(actor=caseworker, programme=caravan, office=tij).members.get()

    response = api_as(caseworker).get(api_url(case, other))

    assert response.status_code == 404
    assert downloads_of(other) == 0


@pytest.mark.parametrize("member", ["", "abc", "999999999"])
def test_a_missing_or_unknown_member_is_not_found(caseworker, case, member):
    response = api_as(caseworker).get(f"{reverse('api-declaration-pdf', args=[case.pk])}?member={member}")

    assert response.status_code == 404


def test_a_child_gets_a_structured_refusal_from_the_api(caseworker, case, child):
    response = api_as(caseworker).get(api_url(case, child))

    assert response.status_code == 400
    assert response.json() == {"code": "declaration_adults_only", "detail": str(UNDER_AGE), "fields": {}}
    assert downloads_of(child) == 0


def test_a_member_without_a_date_of_birth_is_refused_until_it_is_recorded(caseworker, case, adult):
    Member.objects.filter(pk=adult.pk).update(date_of_birth=None)

    response = api_as(caseworker).get(api_url(case, adult))

    assert response.status_code == 400
    assert response.json()["code"] == "declaration_adults_only"
    assert response.json()["detail"] == str(NO_BIRTH_DATE)


def test_a_child_on_the_page_goes_back_to_the_case_with_a_message(client, caseworker, case, child):
    client.force_login(caseworker)

    response = client.get(page_url(case, child))

    assert response.status_code == 302
    assert response["Location"] == reverse("case_detail", args=[case.pk])
    assert [str(m) for m in get_messages(response.wsgi_request)] == [str(UNDER_AGE)]
    assert downloads_of(child) == 0


def test_a_member_who_turns_18_today_may_sign(caseworker, case, child):
    today = date.today()
    # Born on 29 February: the 18th birthday falls on the 28th in a common year.
    birthday = date(today.year - 18, today.month, min(today.day, 28) if today.month == 2 else today.day)
    Member.objects.filter(pk=child.pk).update(date_of_birth=birthday)

    response = api_as(caseworker).get(api_url(case, child))

    assert response.status_code == 200
