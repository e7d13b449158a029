"""The reception centre's pages: only its own staff get in, every guard holds at the page door too, retries record
once, and nothing confidential reaches the pages, the receipts or the referral slips."""

import io
import re
from datetime import date, timedelta

import pypdf
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from audit.models import AuditAction, AuditEvent
from cases.models import Case, Consent
from cases.services import case_transition
from notifications.models import Notification
from reception import services
from reception.models import Assistance, CheckIn, FollowUp, Handover, Institution, KitDelivery, Referral
from screening import services as screening_services
from tests.factories import staff
from tests.reception_steps import child_alone, convoy, departed, documents_ready
from tests.screening_steps import family, ready_for_submission
from travel import services as travel_services
from travel.models import Booking
from travel.qr import boarding_code

pytestmark = pytest.mark.django_db

# Written into the confidential fields before the journey: none may reach reception's pages or PDFs.
SECRETS = {
    "counselling notes": "Cuaderno-de-consejeria-7731",
    "protection narrative": "Relato-de-proteccion-4402",
    "medical detail": "Detalle-medico-9185",
    "caseworker notes": "Tiene miedo de regresar a su colonia.",  # the factory's caseworker notes
}
VULNERABILITY_WORDS = ["Pregnant", "Embarazada", "vulnerab"]


def signed_in(client, user):
    """The client as `user`, reading the pages in English so the messages can be quoted."""
    User.objects.filter(pk=user.pk).update(language="en")
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


def in_language(language: str, label: str) -> str:
    """A label as the PDF prints it in `language` (the same catalogue as the server)."""
    with translation.override(language):
        return translation.gettext(label)


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def with_secrets(case, caseworker, supervisor):
    """Screened with a distinctive counselling note, protection narrative, medical detail and a vulnerability."""
    ready_for_submission(case, caseworker)
    screening_services.counselling_session_record(actor=caseworker, case_id=case.pk, data={
        "held_on": date(2018, 11, 21), "language": "español", "topics": ["assistance"],
        "outcome": "wishes_to_return", "notes": SECRETS["counselling notes"]})
    cleared = User.objects.get(pk=supervisor.pk)
    cleared.is_protection_cleared = cleared.is_medical_cleared = True
    cleared.save()
    ana = case.members.order_by("id").first()
    screening_services.member_screening_save(
        actor=cleared, member_id=ana.pk, expected_version=ana.protection.version,
        protection={"fear_of_return": False, "narrative": SECRETS["protection narrative"],
                    "screened_on": date(2018, 11, 21)},
        vulnerabilities=[{"kind": "pregnant", "severity": "medium", "needs_specialised_assessment": False}],
        fitness={"outcome": "fit", "assessed_on": date(2018, 11, 21), "clinician": "Dra. Ruiz",
                 "detail": SECRETS["medical detail"]}, needs_medical_attention=True)
    case_transition(case_id=case.pk, to="pending_approval", actor=caseworker)
    case_transition(case_id=case.pk, to="approved", actor=supervisor)
    case.refresh_from_db()
    return case


@pytest.fixture
def arrival(caseworker, supervisor, movement_officer, reception, caravan, tij, sps):
    """A family of three (the mother's file full of confidential notes) and a girl alone, on a departed bus; the
    centre holds five hygiene kits."""
    the_family = with_secrets(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    girl = child_alone(caseworker=caseworker, supervisor=supervisor, programme=caravan, office=tij)
    for case in (the_family, girl):
        documents_ready(case, movement_officer)
    bus = convoy(movement_officer, tij, sps)
    travel_services.escort_add(actor=movement_officer, movement_id=bus.pk, data={"name": "Lucía", "kind": "child"})
    departed(bus, movement_officer, [the_family, girl])
    KitDelivery.objects.create(centre=sps, quantity=5, received_on=date.today(), recorded_by=reception)
    return bus, the_family, girl


@pytest.fixture
def people(arrival):
    bus, the_family, girl = arrival
    ana, jorge, kevin = the_family.members.order_by("id")
    return {"bus": bus, "family": the_family, "girl_case": girl, "ana": ana, "jorge": jorge, "kevin": kevin,
            "dayana": girl.members.get()}


@pytest.fixture
def employment(db):
    return Institution.objects.create(name="Servicio Nacional de Empleo de Honduras", country="HN",
                                      municipality="San Pedro Sula", services=["employment", "education"],
                                      phone="+504 2550-0000")


@pytest.fixture
def recorded(people, reception, employment):
    """Ana checked in, given a kit and referred (with consent) to the employment service."""
    ana = people["ana"]
    services.check_in(actor=reception, movement_id=people["bus"].pk, member_id=ana.pk)
    kit = services.assistance_give(actor=reception, member_id=ana.pk, kind="hygiene_kit", request_key="k-1").item
    services.referral_consent_record(actor=reception, member_id=ana.pk, institution_id=employment.pk,
                                     service="employment")
    referral = services.referral_create(actor=reception, member_id=ana.pk, institution_id=employment.pk,
                                        service="employment")
    return {**people, "kit": kit, "referral": referral}


def counts() -> dict:
    return {"check_ins": CheckIn.objects.count(), "assistance": Assistance.objects.count(),
            "referrals": Referral.objects.count(), "handovers": Handover.objects.count(),
            "deliveries": KitDelivery.objects.count(), "follow_ups_done": FollowUp.objects.filter(
                done_on__isnull=False).count(), "closed": Case.objects.filter(status="closed").count(),
            "exports": AuditEvent.objects.filter(action__in=[AuditAction.EXPORT, AuditAction.DOWNLOAD]).count()}


# (method, url name, arguments from the `recorded` world, body)
PAGES = [
    ("get", "arrivals", lambda w: [], None),
    ("get", "check_in_board", lambda w: [w["bus"].pk], None),
    ("post", "check_in_board", lambda w: [w["bus"].pk], lambda w: {"member": w["jorge"].pk, "arrived": "1"}),
    ("get", "handover_new", lambda w: [w["dayana"].pk], None),
    ("get", "assistance_new", lambda w: [w["ana"].pk], None),
    ("post", "assistance_new", lambda w: [w["ana"].pk], lambda w: {"kind": "food", "request_key": "x-1"}),
    ("get", "assistance_receipt", lambda w: [w["kit"].pk], None),
    ("get", "kit_stock", lambda w: [], None),
    ("post", "kit_stock", lambda w: [], lambda w: {"quantity": "10", "received_on": date.today().isoformat()}),
    ("get", "referral_new", lambda w: [w["ana"].pk], None),
    ("get", "referral_list", lambda w: [], None),
    ("post", "referral_update", lambda w: [w["referral"].pk], lambda w: {"version": "1", "status": "accepted"}),
    ("get", "referral_slip", lambda w: [w["referral"].pk], None),
    ("get", "follow_up_list", lambda w: [], None),
    ("get", "follow_up_new", lambda w: [w["ana"].pk], None),
    ("post", "reception_case_close", lambda w: [w["family"].pk], lambda w: {"reason": "completed"}),
]
PAGE_IDS = [f"{method} {name}" for method, name, _a, _b in PAGES]


# Pages of the user's own centre: staff of another centre open theirs (see the next test), nobody else gets in.
CENTRE_PAGES = {"arrivals", "kit_stock", "referral_list", "follow_up_list"}


DENIED = [(outsider, *page) for outsider in ("other_reception", "caseworker", "movement_officer") for page in PAGES
          if not (outsider == "other_reception" and page[1] in CENTRE_PAGES)]


@pytest.mark.parametrize("outsider_fixture,method,name,args,body", DENIED,
                         ids=[f"{d[0]}: {d[1]} {d[2]}" for d in DENIED])
def test_only_the_reception_staff_of_the_centre_get_in_everyone_else_gets_not_found(
        client, request, recorded, outsider_fixture, method, name, args, body):
    outsider = request.getfixturevalue(outsider_fixture)
    before = counts()
    url = reverse(name, args=args(recorded))

    response = signed_in(client, outsider).get(url) if method == "get" else \
        signed_in(client, outsider).post(url, body(recorded))

    assert response.status_code == 404
    assert counts() == before


def test_staff_of_another_centre_see_their_own_centre_and_nothing_of_this_one(client, other_reception, recorded):
    client = signed_in(client, other_reception)
    ana = recorded["ana"]

    pages = [client.get(reverse(name)) for name in sorted(CENTRE_PAGES)]
    this_centre = client.get(reverse("kit_stock") + "?centre=HN-SPS")

    assert all(page.status_code == 200 for page in pages)
    for page in pages:
        assert ana.full_name not in html(page) and recorded["bus"].reference not in html(page)
    assert "La Chacra" in html(client.get(reverse("kit_stock")))
    assert this_centre.status_code == 404


@pytest.mark.parametrize("method,name,args,body", [p for p in PAGES if p[0] == "get"],
                         ids=[i for i, p in zip(PAGE_IDS, PAGES) if p[0] == "get"])
def test_the_reception_staff_of_the_centre_open_every_page(client, reception, recorded, method, name, args, body):
    response = signed_in(client, reception).get(reverse(name, args=args(recorded)), follow=True)

    assert response.status_code == 200


def test_the_arrivals_board_shows_the_convoy_with_counts_and_no_names(client, reception, people):
    response = signed_in(client, reception).get(reverse("arrivals"))

    page = html(response)
    row = re.search(rf'<tr data-movement="{people["bus"].reference}".*?</tr>', page, re.S).group(0)
    assert re.search(r'data-count="passengers">4<', row) and re.search(r'data-count="children">2<', row)
    assert 'data-count="unaccompanied"><span class="badge badge-umc">1<' in row
    assert 'data-count="medical"><span class="badge text-bg-warning">1<' in row
    assert reverse("check_in_board", args=[people["bus"].pk]) in row
    assert people["ana"].full_name not in page


def test_a_scanned_boarding_code_checks_in_and_a_retried_scan_changes_nothing(client, reception, people):
    bus, kevin = people["bus"], people["kevin"]
    code = boarding_code(Booking.objects.get(member=kevin, movement=bus))
    url = reverse("check_in_board", args=[bus.pk])
    client = signed_in(client, reception)

    first = client.post(url, {"qr": code})
    retried = client.post(url, {"qr": code}, HTTP_HX_REQUEST="true")

    assert first.status_code == retried.status_code == 200
    assert 'data-testid="scan-result"' in html(first) and 'data-replayed="false"' in html(first)
    assert kevin.full_name in html(first)
    assert 'data-replayed="true"' in html(retried) and "nothing was changed" in html(retried)
    assert CheckIn.objects.filter(member=kevin).count() == 1


def test_the_last_check_in_of_the_family_says_the_household_has_arrived(client, reception, people):
    url = reverse("check_in_board", args=[people["bus"].pk])
    client = signed_in(client, reception)

    client.post(url, {"member": people["ana"].pk, "arrived": "1"})
    waiting = client.post(url, {"member": people["jorge"].pk, "arrived": "1"})
    last = client.post(url, {"member": people["kevin"].pk, "arrived": "1"})

    assert f"{people['kevin'].full_name} is not checked in yet." in html(waiting)
    assert 'data-household-arrived="true"' in html(last) and "has arrived." in html(last)
    assert Case.objects.get(pk=people["family"].pk).status == "arrived"


def test_a_child_alone_waits_for_the_handover_and_arrives_with_it(client, reception, people):
    dayana = people["dayana"]
    client = signed_in(client, reception)

    scanned = client.post(reverse("check_in_board", args=[people["bus"].pk]), {"member": dayana.pk, "arrived": "1"})
    form = client.get(reverse("handover_new", args=[dayana.pk]))
    saved = client.post(reverse("handover_new", args=[dayana.pk]), {
        "authority": "dinaf", "official_name": "Licda. Karla Mejía", "official_position": "Oficial de protección",
        "handed_over_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "goes_to": "family",
        "goes_to_name": "Abuela materna"})

    assert "record the handover to the child-protection authority" in html(scanned)
    assert 'data-testid="result-handover"' in html(scanned)
    assert 'value="dinaf" selected' in html(form) or '<option value="dinaf" selected>' in html(form)
    assert saved.status_code == 302 and saved["Location"] == reverse("check_in_board", args=[people["bus"].pk])
    assert Handover.objects.get(member=dayana).official_name == "Licda. Karla Mejía"
    assert Case.objects.get(pk=people["girl_case"].pk).status == "arrived"


def test_someone_who_did_not_arrive_needs_a_reason_next_to_their_row(client, reception, people):
    jorge = people["jorge"]
    url = reverse("check_in_board", args=[people["bus"].pk])
    client = signed_in(client, reception)

    silent = client.post(url, {"member": jorge.pk, "arrived": "0", "reason": "  "})
    explained = client.post(url, {"member": jorge.pk, "arrived": "0", "reason": "Se bajó en Tecún Umán"})

    row = re.search(rf'<tr data-member="{jorge.pk}".*?</tr>', html(silent), re.S).group(0)
    assert 'data-testid="reason-error"' in row and "Say why the person did not arrive." in row
    assert "<details open>" in row
    assert explained.status_code == 200 and CheckIn.objects.get(member=jorge).arrived is False


def test_a_tampered_code_is_refused_next_to_the_scan_field(client, reception, people):
    code = boarding_code(Booking.objects.get(member=people["ana"], movement=people["bus"]))

    response = signed_in(client, reception).post(reverse("check_in_board", args=[people["bus"].pk]),
                                                 {"qr": code[:-2] + "xx"})

    assert "This is not a boarding code of AVR Case Manager." in html(response)
    assert f'value="{code[:-2]}xx"' in html(response)
    assert not CheckIn.objects.exists()


def test_a_handover_is_refused_for_an_adult(client, reception, people):
    ana = people["ana"]
    services.check_in(actor=reception, movement_id=people["bus"].pk, member_id=ana.pk)

    response = signed_in(client, reception).post(reverse("handover_new", args=[ana.pk]), {
        "authority": "dinaf", "official_name": "x", "official_position": "y",
        "handed_over_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "goes_to": "family",
        "goes_to_name": "z"})

    assert response.status_code == 200
    assert "A handover is recorded for unaccompanied children." in html(response)
    assert not Handover.objects.exists()


def test_a_double_submit_of_the_assistance_form_records_one_item(client, reception, people):
    ana = people["ana"]
    services.check_in(actor=reception, movement_id=people["bus"].pk, member_id=ana.pk)
    client = signed_in(client, reception)
    form = client.get(reverse("assistance_new", args=[ana.pk]), follow=True)
    key = re.search(r'name="request_key" value="([^"]+)"', html(form)).group(1)
    body = {"request_key": key, "kind": "transport_money", "amount": "500.00", "currency": "HNL"}

    first = client.post(reverse("assistance_new", args=[ana.pk]), body, follow=True)
    second = client.post(reverse("assistance_new", args=[ana.pk]), body, follow=True)

    assert "Print the receipt" in html(first)
    assert "Already recorded: Transport money" in html(second) and "Nothing was added." in html(second)
    assert Assistance.objects.filter(member=ana).count() == 1
    assert re.search(r'name="request_key" value="([^"]+)"', html(second)).group(1) != key  # a new key per form


def test_a_hygiene_kit_is_given_once_per_return_even_from_a_new_form(client, reception, people):
    ana = people["ana"]
    services.check_in(actor=reception, movement_id=people["bus"].pk, member_id=ana.pk)
    client = signed_in(client, reception)

    client.post(reverse("assistance_new", args=[ana.pk]), {"request_key": "form-1", "kind": "hygiene_kit"})
    again = client.post(reverse("assistance_new", args=[ana.pk]), {"request_key": "form-2", "kind": "hygiene_kit"})

    assert again.status_code == 200 and f"{ana.full_name} already received this." in html(again)
    assert Assistance.objects.filter(member=ana, kind="hygiene_kit").count() == 1


def test_transport_money_needs_an_amount_and_a_currency_next_to_the_fields(client, reception, people):
    ana = people["ana"]
    services.check_in(actor=reception, movement_id=people["bus"].pk, member_id=ana.pk)

    response = signed_in(client, reception).post(reverse("assistance_new", args=[ana.pk]), {
        "request_key": "m-1", "kind": "transport_money", "currency": ""})

    assert 'id="id_amount_error"' in html(response) and 'id="id_currency_error"' in html(response)
    assert not Assistance.objects.exists()


def test_a_referral_without_consent_is_refused_and_the_consent_is_offered_then_recorded(
        client, reception, people, employment):
    ana = people["ana"]
    services.check_in(actor=reception, movement_id=people["bus"].pk, member_id=ana.pk)
    url = reverse("referral_new", args=[ana.pk])
    client = signed_in(client, reception)
    body = {"institution": employment.pk, "service": "employment", "note": "Busca trabajo de albañil"}

    refused = client.post(url, body)
    unticked = client.post(url, body | {"record_consent": "1", "consent_type": "explicit"})
    referred = client.post(url, body | {"record_consent": "1", "consent_type": "explicit", "consent_given": "on"})

    assert refused.status_code == 200 and 'data-testid="consent-missing"' in html(refused)
    assert "has not consented to share their data with Servicio Nacional de Empleo de Honduras" in html(refused)
    assert 'data-testid="consent-missing"' in html(unticked) and 'id="id_consent_given_error"' in html(unticked)
    assert referred.status_code == 302 and referred["Location"] == reverse("case_reception", args=[ana.case_id])
    referral = Referral.objects.get()
    assert (referral.member, referral.institution, referral.service) == (ana, employment, "employment")
    assert Consent.objects.filter(member=ana, scope="sharing", recipient=employment.name, service="employment",
                                  withdrawn_on__isnull=True).count() == 1


def test_the_institutions_offered_are_those_of_the_country_of_return(client, reception, people, employment):
    Institution.objects.create(name="Ciudad Mujer Colón", country="SV", services=["protection"])

    response = signed_in(client, reception).get(reverse("referral_new", args=[people["ana"].pk]))

    assert employment.name in html(response) and "Ciudad Mujer Colón" not in html(response)


def test_a_stale_referral_update_overwrites_nothing(client, reception, recorded):
    referral = recorded["referral"]
    url = reverse("referral_update", args=[referral.pk])
    client = signed_in(client, reception)

    accepted = client.post(url, {"version": "1", "status": "accepted", "note": "Cita el lunes"})
    stale = client.post(url, {"version": "1", "status": "declined"}, follow=True)

    assert accepted.status_code == 302
    assert "Someone else updated this referral" in html(stale)
    referral.refresh_from_db()
    assert (referral.status, referral.version, referral.note) == ("accepted", 2, "Cita el lunes")


def test_a_refused_status_move_shows_next_to_the_row(client, reception, recorded):
    referral = recorded["referral"]

    response = signed_in(client, reception).post(reverse("referral_update", args=[referral.pk]),
                                                 {"version": "1", "status": "completed"})

    assert response.status_code == 200
    row = re.search(rf'<tr data-referral="{referral.pk}".*?</tr>', html(response), re.S).group(0)
    assert "invalid-feedback" in row
    assert Referral.objects.get(pk=referral.pk).status == "sent"


def test_overdue_referrals_stand_out_in_the_list_and_on_the_case(client, reception, recorded):
    referral = recorded["referral"]
    Referral.objects.filter(pk=referral.pk).update(due_on=timezone.localdate() - timedelta(days=2))
    client = signed_in(client, reception)

    listed = client.get(reverse("referral_list"))
    tab = client.get(reverse("case_reception", args=[recorded["family"].pk]))

    assert re.search(rf'<tr data-referral="{referral.pk}" data-status="sent" class="table-danger" '
                     r'data-overdue="true">', html(listed))
    assert 'data-testid="overdue-count"' in html(listed)
    assert 'data-overdue="true"' in html(tab)


def test_the_receipt_shows_the_centre_the_name_and_the_item_nothing_confidential_and_is_audited(
        client, reception, recorded):
    kit, ana = recorded["kit"], recorded["ana"]

    response = signed_in(client, reception).get(reverse("assistance_receipt", args=[kit.pk]))

    assert response["Content-Type"] == "application/pdf" and response["Cache-Control"] == "no-store"
    text = pdf_text(response.content)
    assert "Recibo de asistencia / Assistance receipt" in text
    assert ana.full_name in text and "CAMR San Pedro Sula" in text
    assert in_language("es", "Hygiene kit") in text and "Hygiene kit" in text
    for secret in list(SECRETS.values()) + VULNERABILITY_WORDS + [ana.document_number, "1991"]:
        assert secret not in text
    assert AuditEvent.objects.filter(action=AuditAction.DOWNLOAD, object_type="reception.assistance",
                                     object_id=str(kit.pk), actor=reception).count() == 1


def test_the_transport_money_receipt_shows_amount_and_currency(client, reception, recorded):
    money = services.assistance_give(actor=reception, member_id=recorded["ana"].pk, kind="transport_money",
                                     amount=500, currency="HNL", request_key="m-1").item

    text = pdf_text(signed_in(client, reception).get(reverse("assistance_receipt", args=[money.pk])).content)

    assert "500.00 HNL" in text or "500,00 HNL" in text


def test_the_referral_slip_carries_only_what_the_institution_needs_and_is_audited(client, reception, recorded):
    referral, ana = recorded["referral"], recorded["ana"]
    Referral.objects.filter(pk=referral.pk).update(note="Nota interna-5510")
    from cases.models import Member
    Member.objects.filter(pk=ana.pk).update(phone="+504 9999-1234")

    response = signed_in(client, reception).get(reverse("referral_slip", args=[referral.pk]))

    text = pdf_text(response.content)
    assert ana.full_name in text and "+504 9999-1234" in text and "Choloma" in text
    assert "Servicio Nacional de Empleo de Honduras" in text and "CAMR San Pedro Sula" in text
    assert in_language("es", "Employment") in text and "Employment" in text
    for secret in list(SECRETS.values()) + VULNERABILITY_WORDS + ["Nota interna-5510", ana.document_number]:
        assert secret not in text
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="reception.referral",
                                     object_id=str(referral.pk), actor=reception).count() == 1


def test_the_reception_tab_shows_arrival_assistance_and_referrals_and_nothing_confidential(
        client, reception, recorded):
    client = signed_in(client, reception)

    tab = client.get(reverse("case_reception", args=[recorded["family"].pk]))
    board = client.get(reverse("check_in_board", args=[recorded["bus"].pk]))

    page = html(tab)
    assert reverse("assistance_receipt", args=[recorded["kit"].pk]) in page
    assert reverse("referral_slip", args=[recorded["referral"].pk]) in page
    assert "Needs medical attention" in html(board)  # the flag, and only the flag
    for content in (page, html(board)):
        for secret in list(SECRETS.values()) + VULNERABILITY_WORDS:
            assert secret not in content


def test_the_supervisor_closes_an_arrived_case_from_the_reception_tab_and_a_caseworker_cannot(
        client, reception, supervisor, caseworker, people):
    for member in people["family"].members.all():
        services.check_in(actor=reception, movement_id=people["bus"].pk, member_id=member.pk)
    url = reverse("reception_case_close", args=[people["family"].pk])

    tab = signed_in(client, supervisor).get(reverse("case_reception", args=[people["family"].pk]))
    by_caseworker = signed_in(client, caseworker).post(url, {"reason": "completed"})
    closed = signed_in(client, supervisor).post(url, {"reason": "completed", "confirmed": "1"}, follow=True)

    assert 'data-testid="close-case"' in html(tab)
    assert by_caseworker.status_code == 404
    assert "is closed." in html(closed)
    case = Case.objects.get(pk=people["family"].pk)
    assert (case.status, case.closure_reason) == ("closed", "completed")


def test_a_case_still_in_transit_cannot_be_closed(client, reception, people):
    response = signed_in(client, reception).post(reverse("reception_case_close", args=[people["family"].pk]),
                                                 {"reason": "completed", "confirmed": "1"}, follow=True)

    assert response.status_code == 200 and 'role="alert"' in html(response)
    assert Case.objects.get(pk=people["family"].pk).status == "in_transit"


def test_kit_stock_counts_deliveries_and_kits_given_and_warns_when_low(client, reception, recorded, sps):
    client = signed_in(client, reception)

    low = client.get(reverse("kit_stock"))
    refused = client.post(reverse("kit_stock"), {"quantity": "10",
                                                 "received_on": (date.today() + timedelta(days=3)).isoformat()})
    delivered = client.post(reverse("kit_stock"), {"quantity": "100", "received_on": date.today().isoformat()},
                            follow=True)

    assert 'data-level="given">1<' in html(low) and 'data-level="remaining">4<' in html(low)
    assert 'data-testid="kits-low"' in html(low)
    assert "This date is in the future." in html(refused)
    assert 'data-level="received">105<' in html(delivered) and 'data-level="remaining">104<' in html(delivered)
    assert 'data-testid="kits-low"' not in html(delivered)
    assert KitDelivery.objects.filter(centre=sps).count() == 2


def test_follow_ups_due_are_listed_and_a_call_is_recorded_only_with_consent(client, reception, caseworker, people):
    ana, jorge = people["ana"], people["jorge"]
    for member in people["family"].members.all():
        services.check_in(actor=reception, movement_id=people["bus"].pk, member_id=member.pk)
    Consent.objects.create(case=people["family"], member=ana, scope="follow_up", type="explicit",
                           given_on=date.today(), recorded_by=caseworker)
    FollowUp.objects.create(member=ana, due_on=timezone.localdate())
    client = signed_in(client, reception)

    listed = client.get(reverse("follow_up_list"))
    refused = client.post(reverse("follow_up_new", args=[jorge.pk]), {"reached": "yes"})
    done = client.post(reverse("follow_up_new", args=[ana.pk]), {
        "reached": "yes", "safe": "yes", "working": "no", "needs": "Empleo", "intends_to_migrate_again": "no"})

    assert ana.full_name in html(listed) and 'data-due="true"' in html(listed)
    assert "did not agree to be contacted after return." in html(refused)
    assert done.status_code == 302
    record = FollowUp.objects.get(member=ana)
    assert (record.reached, record.safe, record.working, record.intends_to_migrate_again) == (True, True, False,
                                                                                                False)
    assert record.done_on == timezone.localdate()


def test_the_follow_ups_job_tells_each_centre_s_staff_once_a_day(reception, other_reception, people, sps):
    from reception.tasks import follow_ups_due_notify

    FollowUp.objects.create(member=people["ana"], due_on=timezone.localdate() - timedelta(days=1))
    FollowUp.objects.create(member=people["jorge"], due_on=timezone.localdate())
    FollowUp.objects.create(member=people["kevin"], due_on=timezone.localdate() + timedelta(days=5))
    colleague = staff("rec_sps_2", "reception_staff", office=sps)
    User.objects.filter(pk=reception.pk).update(email="sofia@example.org", language="en")

    follow_ups_due_notify.delay()
    follow_ups_due_notify.delay()

    notes = Notification.objects.filter(kind="follow_ups_due")
    assert sorted(notes.values_list("recipient", flat=True)) == sorted([reception.pk, colleague.pk])
    assert all(n.params == {"count": 2} for n in notes)
    assert len(mail.outbox) == 1 and "2 follow-up calls are due" in mail.outbox[0].body
    assert people["ana"].full_name not in mail.outbox[0].body
    assert not Notification.objects.filter(recipient=other_reception).exists()


def test_the_demo_has_institutions_in_each_country_and_kits_at_each_centre_once():
    from django.core.management import call_command

    from accounts.models import Office
    from reception.models import KitStock

    for _run in range(2):
        call_command("seed_demo", stdout=io.StringIO())

    assert {c: Institution.objects.filter(country=c).count() for c in ("HN", "SV", "GT", "NI")} == {
        "HN": 4, "SV": 4, "GT": 4, "NI": 4}
    assert {s for services in Institution.objects.filter(country="NI").values_list("services", flat=True)
            for s in services} >= {"health", "employment", "protection"}
    assert Institution.objects.filter(name="Servicio Nacional de Empleo de Honduras",
                                      services__contains=["employment"]).exists()
    centres = Office.objects.filter(kind="reception_centre")
    assert KitStock.objects.count() == centres.count() == KitDelivery.objects.count() == 5
    assert KitStock.objects.filter(centre__code="NI-MGA").exists()


def test_admins_keep_the_directory_of_institutions_and_others_cannot(client, admin_user, reception, employment):
    client = signed_in(client, admin_user)

    listed = client.get("/admin/reception/institution/?country__exact=HN&service=employment")
    added = client.post("/admin/reception/institution/add/", {
        "name": "Centro de Salud de San Pedro Sula", "country": "HN", "municipality": "San Pedro Sula",
        "services": ["health", "psychosocial"], "phone": "+504 2552-0000", "is_active": "on"})
    stock = client.get("/admin/reception/kitstock/")
    by_reception = signed_in(client, reception).get("/admin/reception/institution/")

    assert listed.status_code == 200 and employment.name in html(listed)
    assert added.status_code == 302
    assert Institution.objects.get(name="Centro de Salud de San Pedro Sula").services == ["health", "psychosocial"]
    assert stock.status_code == 200
    assert by_reception.status_code in (302, 403, 404)


def test_the_assistance_form_keeps_its_one_time_key_in_its_address_so_back_resends_it(client, reception, people):
    ana = people["ana"]
    services.check_in(actor=reception, movement_id=people["bus"].pk, member_id=ana.pk)
    client = signed_in(client, reception)
    opened = client.get(reverse("assistance_new", args=[ana.pk]) + "?kind=food")
    shown_again = client.get(opened.url)
    key = re.search(r'name="request_key" value="([^"]+)"', html(shown_again)).group(1)

    first = client.post(opened.url, {"kind": "food", "request_key": key}, follow=True)
    after_back = client.get(opened.url)
    resent = client.post(opened.url, {"kind": "food", "request_key": re.search(
        r'name="request_key" value="([^"]+)"', html(after_back)).group(1)}, follow=True)
    next_form = client.get(first.redirect_chain[-1][0])

    assert opened.status_code == 302 and f"key={key}" in opened.url and "kind=food" in opened.url
    assert Assistance.objects.filter(member=ana).count() == 1
    assert "Nothing was added" in html(resent) or "No se agregó nada" in html(resent)
    assert key not in html(next_form)


def test_the_pages_record_no_assistance_or_referral_on_a_closed_case(client, reception, people, employment):
    ana = people["ana"]
    services.check_in(actor=reception, movement_id=people["bus"].pk, member_id=ana.pk)
    services.referral_consent_record(actor=reception, member_id=ana.pk, institution_id=employment.pk,
                                     service="employment")
    Case.objects.filter(pk=people["family"].pk).update(status="closed")
    client = signed_in(client, reception)

    given = client.post(reverse("assistance_new", args=[ana.pk]), {"request_key": "f-1", "kind": "food"})
    referred = client.post(reverse("referral_new", args=[ana.pk]), {"institution": employment.pk,
                                                                    "service": "employment"})

    assert "This case is closed" in html(given) and "This case is closed" in html(referred)
    assert not Assistance.objects.exists() and not Referral.objects.exists()
