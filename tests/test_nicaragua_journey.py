"""The Nicaragua programme end to end, through the API and the services like the other journeys: a mother and her
son and a girl travelling alone register at the San José booth (Costa Rica), are counselled and screened, approved by
the programme's supervisor, bused from Costa Rica to Managua, checked in, the girl handed to MIFAN, a hygiene kit and
transport money in córdobas given, the mother referred to the employment service, the cases closed; the donor report
of NIC-2019 counts them. And the demo has what it takes."""

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.choices import OfficeKind, Role
from accounts.models import Assignment, Office, Programme, User
from cases.models import Case, CaseEvent
from reception.models import Assistance, Handover, Institution, KitDelivery, KitStock, Referral
from reception.services import referral_consent_record
from reports.data import donor_report_data
from screening import services as screening_services
from tests.conftest import api_as
from tests.factories import OfficeFactory, ProgrammeFactory, staff
from tests.reception_steps import departed
from tests.screening_steps import counsel, ready_for_submission, screen
from tests.travel_steps import convoy, documents_ready
from travel import services as travel_services

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def sjo(db):
    return OfficeFactory(code="SJO", name="San José", kind=OfficeKind.REGISTRATION_BOOTH, country="CR")


@pytest.fixture
def managua(db):
    return OfficeFactory(code="NI-MGA", name="Centro de recepción de Managua", kind=OfficeKind.RECEPTION_CENTRE,
                         country="NI")


@pytest.fixture
def nic(db):
    return ProgrammeFactory(code="NIC-2019", name="Nicaragua AVR 2019", registration_countries=["MX", "GT", "CR"],
                            return_countries=["NI"], start_date=date(2019, 5, 1))


@pytest.fixture
def team(sjo, managua, nic, caravan):
    return {
        "caseworker": staff("caseworker_sjo", Role.CASEWORKER, office=sjo),
        "supervisor": staff("supervisor_nic", Role.SUPERVISOR, programme=nic),
        "caravan_supervisor": staff("supervisor_mx", Role.SUPERVISOR, programme=caravan, country="MX"),
        "officer": staff("movement_cr", Role.MOVEMENT_OFFICER, country="CR"),
        "mexican_officer": staff("movement_mx", Role.MOVEMENT_OFFICER, country="MX"),
        "reception": staff("reception_ni", Role.RECEPTION_STAFF, office=managua),
    }


@pytest.fixture
def institutions(db):
    services = {"MINSA": ["health"], "MITRAB": ["employment"], "Comisaría de la Mujer y la Niñez": ["protection"]}
    return {name: Institution.objects.create(name=name, country="NI", municipality="Managua", services=kinds)
            for name, kinds in services.items()}


def registered(caseworker, members) -> Case:
    body = {"programme": "NIC-2019", "office": "SJO", "destination_country": "NI", "how_heard": "booth_outreach",
            "consent": {"type": "explicit"}, "intake_date": TODAY.isoformat(), "members": members}
    response = api_as(caseworker).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 201, response.json()
    return Case.objects.get(pk=response.json()["id"])


def nicaraguan(given, family, sex, born, relationship, document=""):
    person = {"given_names": given, "family_names": family, "sex": sex, "date_of_birth": born.isoformat(),
              "nationality": "NI", "relationship": relationship, "place_of_origin": "Masaya"}
    return {**person, "document_type": "passport", "document_number": document} if document else person


def transition(user, case, to, **body):
    return api_as(user).post(f"/api/v1/cases/{case.pk}/transitions/", {"to": to, **body}, format="json")


def girl_decided(girl, caseworker):
    """Counselled and screened, with a best-interests decision for return and the guardian's consent."""
    counsel(girl, caseworker)
    child = girl.members.get()
    screen(child, caseworker)
    screening_services.best_interests_save(actor=caseworker, member_id=child.pk, expected_version=None, data={
        "responsible_authority": "PANI (Costa Rica)", "guardian_name": "PANI", "child_views": "Volver con su tía",
        "options_considered": "Retorno", "outcome": "return", "decided_on": TODAY, "guardian_consent": True,
        "guardian_consent_on": TODAY})


def check_in(reception, movement, member):
    return api_as(reception).post(f"/api/v1/movements/{movement.pk}/check-ins/", {"member": member.pk},
                                  format="json")


def give(reception, member, key, **body):
    return api_as(reception).post(f"/api/v1/members/{member.pk}/assistance/", body, format="json",
                                  HTTP_IDEMPOTENCY_KEY=key)


def test_a_nicaraguan_household_and_a_girl_alone_go_from_san_jose_to_managua_and_the_donor_report_counts_them(
        client, team, sjo, managua, nic, institutions):
    caseworker, supervisor, officer, reception = (team[k] for k in ("caseworker", "supervisor", "officer",
                                                                     "reception"))
    # registered at the San José booth
    family = registered(caseworker, [
        nicaraguan("Karla Vanessa", "Ortiz Mairena", "female", date(1994, 9, 3), "principal", "NI0440912"),
        nicaraguan("Josué David", "Ortiz", "male", date(2015, 5, 21), "child")])
    girl = registered(caseworker, [nicaraguan("Heydi Tatiana", "López Rugama", "female", date(2011, 8, 14),
                                              "principal")])
    assert (family.reference.startswith("SJO-"), family.registration_country, girl.has_unaccompanied_child) == (
        True, "CR", True)

    # counselled, screened and submitted; the caravan's supervisor cannot see them, the programme's approves
    ready_for_submission(family, caseworker)
    girl_decided(girl, caseworker)
    for case in (family, girl):
        assert transition(caseworker, case, "pending_approval").status_code == 200
        assert transition(team["caravan_supervisor"], case, "approved").status_code == 404
        assert transition(supervisor, case, "approved").status_code == 200

    # bused from San José to Managua with a child escort; Mexico's movement officer sees none of it
    for case in (family, girl):
        documents_ready(case, officer)
    assert api_as(team["mexican_officer"]).get(f"/api/v1/cases/{family.pk}/").status_code == 404
    bus = convoy(officer, sjo, managua)
    travel_services.escort_add(actor=officer, movement_id=bus.pk, data={"name": "Ana Solano", "kind": "child"})
    departed(bus, officer, [family, girl])
    assert (bus.country, bus.reception_centre.country, bus.status) == ("CR", "NI", "departed")
    assert set(Case.objects.filter(pk__in=[family.pk, girl.pk]).values_list("status", flat=True)) == {"in_transit"}

    # checked in at Managua; the girl arrives once handed over to MIFAN
    karla, josue = family.members.order_by("id")
    heydi = girl.members.get()
    for member in (karla, josue, heydi):
        assert check_in(reception, bus, member).status_code == 201
    assert Case.objects.get(pk=girl.pk).status == "in_transit"
    client.force_login(reception)
    form = client.get(f"/reception/members/{heydi.pk}/handover/").content.decode()
    assert re.search(r'<option value="mifan" selected>', form)
    handover = api_as(reception).post(f"/api/v1/members/{heydi.pk}/handover/", {
        "authority": "mifan", "official_name": "Lic. Rosa Argüello", "official_position": "Delegada de MIFAN",
        "handed_over_at": timezone.now().isoformat(), "goes_to": "family", "goes_to_name": "Tía materna"},
        format="json")
    assert handover.status_code == 201, handover.json()
    assert Handover.objects.get(member=heydi).authority == "mifan"
    assert set(Case.objects.filter(pk__in=[family.pk, girl.pk]).values_list("status", flat=True)) == {"arrived"}

    # a hygiene kit and transport money in córdobas; the mother referred to MITRAB with her consent
    KitDelivery.objects.create(centre=managua, quantity=20, received_on=TODAY, recorded_by=reception)
    assert give(reception, karla, "kit-karla", kind="hygiene_kit").status_code == 201
    money = give(reception, karla, "money-karla", kind="transport_money", amount="1500.00", currency="NIO")
    assert money.status_code == 201, money.json()
    mitrab = institutions["MITRAB"]
    referral_consent_record(actor=reception, member_id=karla.pk, institution_id=mitrab.pk, service="employment")
    referred = api_as(reception).post("/api/v1/referrals/", {"member": karla.pk, "institution": mitrab.pk,
                                                             "service": "employment"}, format="json")
    assert referred.status_code == 201, referred.json()

    # closed by the programme's supervisor
    for case in (family, girl):
        assert transition(supervisor, case, "closed", closure_reason="completed").status_code == 200
    assert set(Case.objects.filter(pk__in=[family.pk, girl.pk]).values_list("status", flat=True)) == {"closed"}
    assert list(CaseEvent.objects.filter(case=girl).values_list("to_status", flat=True)) == [
        "registered", "screening", "pending_approval", "approved", "booked", "in_transit", "arrived", "closed"]

    # the donor report of NIC-2019 counts the three returns, and the caravan's counts none of them
    period = {"period_start": TODAY - timedelta(days=30), "period_end": TODAY + timedelta(days=30),
              "generated_at": timezone.now(), "suppressed": False}
    report = donor_report_data(programme=nic, **period)
    caravan = donor_report_data(programme=Programme.objects.get(code="CARAVAN-2018"), **period)

    def counts(data, name, key):
        return {row[key]: row["count"] for row in data.table(name).rows}

    assert counts(report, "pipeline", "stage") == {"registered": 3, "counselled": 3, "approved": 3, "returned": 3,
                                                   "received": 3}
    assert counts(report, "returned_by_office", "office") == {"SJO": 3}
    assert counts(report, "returned_by_country_of_return", "country_of_return") == {"NI": 3}
    assert counts(report, "returned_by_child_status", "child_status") == {
        "adult": 1, "accompanied_child": 1, "unaccompanied_child": 1}
    assert [(r["currency"], r["amount"]) for r in report.table("transport_money").rows] == [("NIO", 1500)]
    assert [(r["service"], r["outcome"], r["count"]) for r in report.table("referrals").rows] == [
        ("employment", "sent", 1)]
    assert counts(caravan, "pipeline", "stage")["returned"] == 0
    assert Assistance.objects.get(member=karla, kind="transport_money").amount == Decimal("1500.00")
    assert Referral.objects.get(member=karla).institution == mitrab


def test_the_demo_can_carry_a_nicaraguan_case_from_san_jose_to_managua():
    call_command("seed_demo", stdout=io.StringIO())

    sjo, managua = Office.objects.get(code="SJO"), Office.objects.get(code="NI-MGA")
    nic = Programme.objects.get(code="NIC-2019")
    assert (sjo.country, sjo.kind, managua.country, managua.kind) == ("CR", "registration_booth", "NI",
                                                                      "reception_centre")
    assert "CR" in nic.registration_countries and nic.return_countries == ["NI"]
    roles = {(a.user.username, a.role, a.office and a.office.code, a.programme and a.programme.code, a.country)
             for a in Assignment.objects.filter(user__username__in=[
                 "caseworker_sjo", "supervisor_nic", "movement_cr", "reception_ni"]).select_related(
                 "user", "office", "programme")}
    assert roles == {("caseworker_sjo", "caseworker", "SJO", None, ""),
                     ("supervisor_nic", "supervisor", None, "NIC-2019", ""),
                     ("movement_cr", "movement_officer", None, None, "CR"),
                     ("reception_ni", "reception_staff", "NI-MGA", None, "")}
    assert User.objects.get(username="supervisor_nic").totpdevice_set.filter(confirmed=True).exists()
    services = {s for row in Institution.objects.filter(country="NI").values_list("services", flat=True) for s in row}
    assert {"health", "employment", "protection"} <= services
    assert KitStock.objects.filter(centre=managua).exists() and KitDelivery.objects.filter(centre=managua).exists()
    demo_cases = Case.objects.filter(programme=nic, registering_office=sjo)
    assert set(demo_cases.values_list("status", flat=True)) == {"registered", "pending_approval", "approved", "booked"}
    assert set(demo_cases.values_list("destination_country", flat=True)) == {"NI"}
    assert demo_cases.get(status="booked").reception_centre == managua
    assert not demo_cases.filter(status__in=["approved", "booked"], members__travel_documents__isnull=True).exists()
