"""Counselling, screening, declarations, best interests and approval: every guard through every door."""

from datetime import date

import pytest
from django.contrib.admin.sites import site
from django.db.models import Value
from django.db.models.functions import Concat
from django.test import RequestFactory
from django.utils import translation

from accounts.choices import Role
from accounts.models import Assignment, User
from cases.admin import CaseAdmin
from cases.models import Case, CaseEvent
from screening.models import ProtectionReferral, ProtectionScreening
from tests.conftest import api_as
from tests.factories import ProgrammeFactory, staff
from tests.screening_steps import counsel, declare, family, lone_child, ready_for_submission, screen

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(caseworker, caravan, tij):
    return family(actor=caseworker, programme=caravan, office=tij)


def move(user, case, to, **body):
    return api_as(user).post(f"/api/v1/cases/{case.pk}/transitions/", {"to": to, **body}, format="json")


def codes(response) -> list[str]:
    return [u["code"] for u in response.json()["unmet"]]


def unchanged(case, status: str, events: int) -> bool:
    case.refresh_from_db()
    return case.status == status and CaseEvent.objects.filter(case=case).count() == events


def members(case):
    return {m.given_names: m for m in case.members.all()}


# Submission: the checklist and its guard


def test_a_new_case_lists_everything_missing_and_cannot_be_submitted(caseworker, case):
    move(caseworker, case, "screening")
    events = CaseEvent.objects.filter(case=case).count()

    checklist = api_as(caseworker).get(f"/api/v1/cases/{case.pk}/checklist/").json()
    response = move(caseworker, case, "pending_approval")

    expected = ["counselling_missing", "protection_screening_missing", "declaration_missing",
                "protection_screening_missing", "declaration_missing", "protection_screening_missing"]
    assert [item["code"] for item in checklist] == expected
    assert response.status_code == 409
    assert codes(response) == expected
    assert unchanged(case, "screening", events)


def test_counselling_without_a_wish_to_return_or_with_topics_missing_blocks_submission(caseworker, case):
    ready_for_submission(case, caseworker)
    counsel(case, caseworker, outcome="undecided", topics=["assistance"])

    response = move(caseworker, case, "pending_approval")

    assert codes(response) == ["counselling_not_wishing_to_return"]
    counsel(case, caseworker, topics=["assistance"])
    assert move(caseworker, case, "pending_approval").status_code == 200


def test_a_case_ready_for_submission_goes_to_the_supervisor_who_approves_it(caseworker, supervisor, case):
    ready_for_submission(case, caseworker)
    assert case.status == "screening"  # counselling started screening

    submitted = move(caseworker, case, "pending_approval")
    approved = move(supervisor, case, "approved", note="Todo en orden")

    assert submitted.status_code == 200 and approved.status_code == 200
    case.refresh_from_db()
    assert (case.status, case.submitted_by) == ("approved", caseworker)
    assert list(case.events.values_list("to_status", flat=True))[-2:] == ["pending_approval", "approved"]


def test_a_withdrawn_declaration_counts_as_missing(caseworker, case):
    ready_for_submission(case, caseworker)
    ana = members(case)["Ana Lucía"]
    declaration = ana.declarations.get()

    response = api_as(caseworker).post(f"/api/v1/declarations/{declaration.pk}/withdraw/",
                                       {"reason": "Quiere pensarlo"}, format="json")

    assert response.status_code == 200 and response.json()["withdrawn_on"]
    assert codes(move(caseworker, case, "pending_approval")) == ["declaration_missing"]


def test_a_child_signs_no_declaration(caseworker, case):
    kevin = members(case)["Kevin"]

    response = api_as(caseworker).post(f"/api/v1/members/{kevin.pk}/declarations/",
                                       {"signed_on": "2018-11-21", "witness": "Sor Juana"}, format="json")

    assert response.status_code == 400
    assert "personas adultas" in response.json()["detail"]  # the caseworker's language, as a headline
    assert not kevin.declarations.exists()


# Four eyes


def test_nobody_approves_a_case_they_submitted_even_with_a_supervisor_role(caseworker, supervisor, caravan, case):
    Assignment.objects.create(user=caseworker, role=Role.SUPERVISOR, programme=caravan, country="MX")
    caseworker = User.objects.get(pk=caseworker.pk)  # a fresh request sees the new role
    ready_for_submission(case, caseworker)
    move(caseworker, case, "pending_approval")
    events = CaseEvent.objects.filter(case=case).count()

    response = move(caseworker, case, "approved")

    assert response.status_code == 409
    assert codes(response) == ["same_person_cannot_approve"]
    assert unchanged(case, "pending_approval", events)


def test_nobody_approves_a_case_they_registered(supervisor, caravan, tij):
    registrar = staff("cw_sup", Role.CASEWORKER, office=tij)
    Assignment.objects.create(user=registrar, role=Role.SUPERVISOR, programme=caravan, country="MX")
    registrar = User.objects.get(pk=registrar.pk)
    case = family(actor=registrar, programme=caravan, office=tij)
    ready_for_submission(case, registrar)
    assert move(supervisor, case, "pending_approval").status_code == 200

    response = move(registrar, case, "approved")

    assert codes(response) == ["same_person_cannot_approve"]
    assert move(supervisor, case, "approved").status_code == 409  # the supervisor submitted it


def test_a_caseworker_cannot_approve_at_all(caseworker, supervisor, case):
    ready_for_submission(case, caseworker)
    move(caseworker, case, "pending_approval")

    assert move(caseworker, case, "approved").status_code == 403
    assert unchanged(case, "pending_approval", CaseEvent.objects.filter(case=case).count())


def test_rejection_needs_a_reason_and_returns_the_case_to_screening(caseworker, supervisor, case):
    ready_for_submission(case, caseworker)
    move(caseworker, case, "pending_approval")

    assert move(supervisor, case, "rejected").status_code == 400
    response = move(supervisor, case, "rejected", note="Falta el pasaporte del padre")

    assert response.status_code == 200 and response.json()["status"] == "screening"
    tail = list(case.events.order_by("id").values_list("to_status", "note"))[-2:]
    assert tail[0] == ("rejected", "Falta el pasaporte del padre")
    assert tail[1][0] == "screening"


# Protection: fear of return


def test_fear_of_return_blocks_submission_and_the_case_is_referred_out(caseworker, case):
    ready_for_submission(case, caseworker)
    ana = members(case)["Ana Lucía"]
    screening = ana.protection
    screen(ana, caseworker, fear=True, version=screening.version)
    case.refresh_from_db()
    assert case.has_protection_flag

    refused = move(caseworker, case, "pending_approval")
    no_recipient = move(caseworker, case, "referred_out", note="Teme a la pandilla")
    referred = move(caseworker, case, "referred_out", note="Teme a la pandilla", referred_to="unhcr")

    assert codes(refused) == ["protection_flag_open"]
    assert codes(no_recipient) == ["referral_recipient_missing"]
    assert referred.status_code == 200 and referred.json()["status"] == "referred_out"
    assert ProtectionReferral.objects.get(case=case).referred_to == "unhcr"


def test_a_case_without_a_protection_flag_is_not_referred_out(caseworker, case):
    response = move(caseworker, case.__class__.objects.get(pk=case.pk), "screening")
    assert response.status_code == 200

    response = move(caseworker, case, "referred_out", note="?", referred_to="unhcr")

    assert codes(response) == ["no_protection_flag"]
    assert not ProtectionReferral.objects.exists()


def test_the_flag_is_resolved_by_a_supervisor_not_by_an_uncleared_caseworker(caseworker, supervisor, case):
    ana = members(case)["Ana Lucía"]
    screen(ana, caseworker, fear=True)
    url = f"/api/v1/members/{ana.pk}/protection-flag/resolve/"

    refused = api_as(caseworker).post(url, {"note": "Entrevista"}, format="json")
    resolved = api_as(supervisor).post(url, {"note": "Entrevista de protección: sin temor fundado"}, format="json")

    assert refused.status_code == 403
    assert resolved.status_code == 200 and resolved.json()["protection"]["flag_open"] is False
    case.refresh_from_db()
    assert not case.has_protection_flag


def test_the_narrative_is_read_and_written_only_by_the_protection_cleared(caseworker, supervisor, case, tij):
    ana = members(case)["Ana Lucía"]
    url = f"/api/v1/members/{ana.pk}/screening/"
    body = {"protection": {"fear_of_return": True, "narrative": "Amenazada por la MS-13"}, "vulnerabilities": []}

    refused = api_as(caseworker).put(url, body, format="json")
    saved = api_as(supervisor).put(url, body, format="json")
    cleared = staff("cw_prot", Role.CASEWORKER, office=tij)
    cleared.is_protection_cleared = True
    cleared.save()

    assert refused.status_code == 400 and "narrative" in refused.json()["fields"]
    assert saved.status_code == 200 and saved.json()["protection"]["narrative"] == "Amenazada por la MS-13"
    assert "narrative" not in api_as(caseworker).get(url).json()["protection"]
    assert api_as(cleared).get(url).json()["protection"]["narrative"] == "Amenazada por la MS-13"


def test_a_caseworker_saving_the_rest_keeps_the_narrative_they_cannot_see(caseworker, supervisor, case):
    ana = members(case)["Ana Lucía"]
    screen(ana, supervisor, fear=True, narrative="Amenazada")
    version = ProtectionScreening.objects.get(member=ana).version

    response = api_as(caseworker).put(f"/api/v1/members/{ana.pk}/screening/", {
        "version": version, "protection": {"fear_of_return": True, "threats": True},
        "vulnerabilities": [{"kind": "gbv", "severity": "high"}]}, format="json")

    assert response.status_code == 200
    record = ProtectionScreening.objects.get(member=ana)
    assert (record.narrative, record.threats) == ("Amenazada", True)
    case.refresh_from_db()
    assert case.vulnerability_kinds == ["gbv"]


def test_medical_detail_is_for_the_medical_cleared_and_others_see_the_outcome(caseworker, supervisor, case, tij):
    jorge = members(case)["Jorge"]
    url = f"/api/v1/members/{jorge.pk}/screening/"
    fitness = {"outcome": "fit_with_escort", "assessed_on": "2018-11-20", "clinician": "Dra. Núñez",
               "detail": "Diabetes tipo 2"}
    body = {"protection": {"fear_of_return": False}, "fitness": fitness,
            "vulnerabilities": [{"kind": "medical_condition", "severity": "medium"}]}
    medic = staff("cw_med", Role.CASEWORKER, office=tij)
    medic.is_medical_cleared = True
    medic.save()

    refused = api_as(supervisor).put(url, body, format="json")
    saved = api_as(medic).put(url, body, format="json")

    assert refused.status_code == 400 and "fitness_detail" in refused.json()["fields"]
    assert saved.status_code == 200 and saved.json()["fitness"]["detail"] == "Diabetes tipo 2"
    seen = api_as(supervisor).get(url).json()
    assert seen["fitness"]["outcome"] == "fit_with_escort" and "detail" not in seen["fitness"]
    jorge.refresh_from_db()
    assert jorge.needs_medical_attention


def test_a_stale_screening_is_refused_and_nothing_is_overwritten(caseworker, case):
    ana = members(case)["Ana Lucía"]
    screen(ana, caseworker)
    url = f"/api/v1/members/{ana.pk}/screening/"

    response = api_as(caseworker).put(url, {"version": 0, "protection": {"fear_of_return": True},
                                            "vulnerabilities": []}, format="json")
    missing = api_as(caseworker).put(url, {"protection": {"fear_of_return": True}, "vulnerabilities": []},
                                     format="json")

    assert response.status_code == 409 and response.json()["code"] == "stale_version"
    assert missing.status_code == 409
    assert ProtectionScreening.objects.get(member=ana).fear_of_return is False


def test_bad_screening_input_is_a_structured_400(caseworker, case):
    ana = members(case)["Ana Lucía"]
    response = api_as(caseworker).put(f"/api/v1/members/{ana.pk}/screening/", {
        "protection": {"fear_of_return": None, "screened_on": "2999-01-01"},
        "vulnerabilities": [{"kind": "dragons", "severity": "high"}]}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "vulnerabilities" in response.json()["fields"]
    assert not ProtectionScreening.objects.filter(member=ana).exists()


# Children travelling without a parent


def bid(**overrides):
    return {"responsible_authority": "DIF Tijuana", "guardian_name": "Procuraduría de Protección",
            "child_views": "Quiere volver con su abuela", "options_considered": "Retorno; acogida en México",
            "family_tracing_result": "Abuela localizada en Choloma", "outcome": "return",
            "decided_on": "2018-11-19", "guardian_consent": True, "guardian_consent_on": "2018-11-19", **overrides}


def test_an_unaccompanied_child_needs_a_best_interests_determination_concluding_return(caseworker, supervisor,
                                                                                        caravan, tij):
    case = lone_child(actor=caseworker, programme=caravan, office=tij)
    child = case.members.get()
    counsel(case, caseworker)
    screen(child, caseworker)
    url = f"/api/v1/members/{child.pk}/best-interests/"

    assert codes(move(caseworker, case, "pending_approval")) == ["best_interests_missing"]
    api_as(caseworker).put(url, bid(outcome="no_return", guardian_consent=False, guardian_consent_on=None),
                           format="json")
    assert codes(move(caseworker, case, "pending_approval")) == ["best_interests_not_return",
                                                                  "guardian_consent_missing"]
    stale = api_as(caseworker).put(url, bid(version=0), format="json")
    saved = api_as(caseworker).put(url, bid(version=1), format="json")

    assert stale.status_code == 409 and saved.status_code == 200
    assert move(caseworker, case, "pending_approval").status_code == 200
    assert move(supervisor, case, "approved").status_code == 200


def test_an_accompanied_child_needs_no_best_interests_determination(caseworker, case):
    kevin = members(case)["Kevin"]

    response = api_as(caseworker).put(f"/api/v1/members/{kevin.pk}/best-interests/", bid(), format="json")

    assert response.status_code == 400


# Consents


def test_a_sharing_consent_names_its_recipient_and_purpose(caseworker, case):
    ana = members(case)["Ana Lucía"]
    url = f"/api/v1/members/{ana.pk}/consents/"

    vague = api_as(caseworker).post(url, {"scope": "sharing", "type": "explicit", "given_on": "2018-11-20"},
                                    format="json")
    proxy = api_as(caseworker).post(url, {"scope": "sharing", "type": "proxy", "given_on": "2018-11-20",
                                          "recipient": "Consulado de Honduras", "purpose": "documento de viaje"},
                                    format="json")
    given = api_as(caseworker).post(url, {"scope": "sharing", "type": "explicit", "given_on": "2018-11-20",
                                          "recipient": "Consulado de Honduras", "purpose": "documento de viaje"},
                                    format="json")

    assert vague.status_code == 400 and {"recipient", "purpose"} <= set(vague.json()["fields"])
    assert proxy.status_code == 400 and "reason" in proxy.json()["fields"]
    assert given.status_code == 201
    withdrawn = api_as(caseworker).post(f"/api/v1/consents/{given.json()['id']}/withdraw/")
    assert withdrawn.json()["withdrawn_on"]


# Bulk approval and the admin action


def submitted_family(caseworker, programme, office, name):
    case = family(actor=caseworker, programme=programme, office=office)
    Case.objects.filter(pk=case.pk).update(reference=name)
    ready_for_submission(case, caseworker)
    move(caseworker, case, "pending_approval")
    return case


def test_bulk_approval_checks_each_case_and_reports_each(caseworker, supervisor, caravan, tij):
    other_programme = ProgrammeFactory(code="PRM-2019")
    ready = submitted_family(caseworker, caravan, tij, "TIJ-2018-90001")
    flagged = submitted_family(caseworker, caravan, tij, "TIJ-2018-90002")
    screen(flagged.members.first(), caseworker, fear=True, version=flagged.members.first().protection.version)
    elsewhere = submitted_family(caseworker, other_programme, tij, "TIJ-2018-90003")

    response = api_as(supervisor).post("/api/v1/cases/bulk-approval/",
                                       {"cases": [ready.pk, flagged.pk, elsewhere.pk]}, format="json")

    outcomes = {row["case"]: (row["outcome"], [u["code"] for u in row["unmet"]]) for row in response.json()}
    assert outcomes == {ready.pk: ("approved", []), flagged.pk: ("refused", ["protection_flag_open"]),
                        elsewhere.pk: ("not_found", [])}
    assert [Case.objects.get(pk=c.pk).status for c in (ready, flagged, elsewhere)] == [
        "approved", "pending_approval", "pending_approval"]


def test_the_admin_action_approves_through_the_same_guards(caseworker, supervisor, caravan, tij):
    ready = submitted_family(caseworker, caravan, tij, "TIJ-2018-90011")
    own = family(actor=caseworker, programme=caravan, office=tij)
    ready_for_submission(own, caseworker)
    move(supervisor, own, "pending_approval")
    request = RequestFactory().post("/admin/cases/case/")
    request.user = supervisor
    sent = []
    admin = CaseAdmin(Case, site)
    admin.message_user = lambda request, message, level=None: sent.append(str(message))

    with translation.override("en"):
        admin.approve_selected(request, Case.objects.filter(pk__in=[ready.pk, own.pk]))

    assert Case.objects.get(pk=ready.pk).status == "approved"
    assert Case.objects.get(pk=own.pk).status == "pending_approval"
    assert any("another supervisor" in m for m in sent)


# Who may see and touch screening


def test_outsiders_get_404_on_every_screening_endpoint_and_nothing_changes(outsider, movement_officer, case):
    ana = members(case)["Ana Lucía"]
    declare(ana, case.created_by)
    declaration = ana.declarations.get()
    doors = [
        ("get", f"/api/v1/cases/{case.pk}/counselling-sessions/", None),
        ("post", f"/api/v1/cases/{case.pk}/counselling-sessions/", {"held_on": "2018-11-20", "language": "es",
                                                                    "topics": [], "outcome": "undecided"}),
        ("get", f"/api/v1/cases/{case.pk}/checklist/", None),
        ("get", f"/api/v1/members/{ana.pk}/screening/", None),
        ("put", f"/api/v1/members/{ana.pk}/screening/", {"protection": {"fear_of_return": True},
                                                         "vulnerabilities": []}),
        ("put", f"/api/v1/members/{ana.pk}/best-interests/", bid()),
        ("post", f"/api/v1/members/{ana.pk}/declarations/", {"signed_on": "2018-11-21", "witness": "X"}),
        ("post", f"/api/v1/declarations/{declaration.pk}/withdraw/", {"reason": "x"}),
        ("post", f"/api/v1/members/{ana.pk}/consents/", {"scope": "follow_up", "type": "explicit",
                                                         "given_on": "2018-11-20"}),
        ("post", f"/api/v1/members/{ana.pk}/protection-flag/resolve/", {"note": "x"}),
        ("post", f"/api/v1/cases/{case.pk}/transitions/", {"to": "pending_approval"}),
    ]
    for user in (outsider, movement_officer):
        for method, url, body in doors:
            response = getattr(api_as(user), method)(url, body, format="json")
            assert response.status_code == 404, (user.username, method, url)
    assert not case.counselling_sessions.exists() and not ProtectionScreening.objects.exists()
    assert ana.declarations.get().withdrawn_on is None and ana.consents.count() == 0


def test_reception_staff_never_see_screening(caseworker, reception, caravan, tij, sps):
    case = family(actor=caseworker, programme=caravan, office=tij)
    Case.objects.filter(pk=case.pk).update(status="booked", reception_centre=sps)
    ana = members(case)["Ana Lucía"]

    assert api_as(reception).get(f"/api/v1/cases/{case.pk}/").status_code == 200
    assert api_as(reception).get(f"/api/v1/members/{ana.pk}/screening/").status_code == 404
    assert "has_protection_flag" not in api_as(reception).get(f"/api/v1/cases/{case.pk}/").json()


def test_the_case_list_filters_by_vulnerability_for_the_case_team_only(caseworker, movement_officer, case):
    screen(members(case)["Ana Lucía"], caseworker, vulnerabilities=[{"kind": "trafficking", "severity": "high"}])

    found = api_as(caseworker).get("/api/v1/cases/?vulnerability=trafficking").json()["results"]
    other = api_as(caseworker).get("/api/v1/cases/?vulnerability=pregnant").json()["results"]
    refused = api_as(movement_officer).get("/api/v1/cases/?vulnerability=trafficking")
    unknown = api_as(caseworker).get("/api/v1/cases/?vulnerability=dragons")

    assert [row["id"] for row in found] == [case.pk] and found[0]["vulnerabilities"] == ["trafficking"]
    assert other == []
    assert refused.status_code == 400 and "vulnerability" in refused.json()["fields"]
    assert unknown.status_code == 400


def test_screening_is_closed_once_the_household_is_on_its_way(caseworker, case):
    Case.objects.filter(pk=case.pk).update(status="in_transit")

    response = api_as(caseworker).post(f"/api/v1/cases/{case.pk}/counselling-sessions/", {
        "held_on": "2018-11-20", "language": "es", "topics": [], "outcome": "undecided"}, format="json")

    assert response.status_code == 400
    assert not case.counselling_sessions.exists()


def test_counselling_in_the_future_is_refused(caseworker, case):
    response = api_as(caseworker).post(f"/api/v1/cases/{case.pk}/counselling-sessions/", {
        "held_on": date(2999, 1, 1).isoformat(), "language": "es", "topics": ["alternatives"],
        "outcome": "undecided"}, format="json")

    assert response.status_code == 400 and "held_on" in response.json()["fields"]


def test_submission_tells_the_supervisors_and_the_decision_tells_the_caseworker(
        caseworker, supervisor, case, django_capture_on_commit_callbacks, mailoutbox):
    User.objects.filter(pk__in=[caseworker.pk, supervisor.pk]).update(email=Concat("username", Value("@avr.example")))
    ready_for_submission(case, caseworker)

    with django_capture_on_commit_callbacks(execute=True):
        move(caseworker, case, "pending_approval")
    with django_capture_on_commit_callbacks(execute=True):
        move(supervisor, case, "approved")

    assert [m.to for m in mailoutbox] == [["sup_mx@avr.example"], ["cw_tij@avr.example"]]
    case.refresh_from_db()
    for mail in mailoutbox:
        assert case.reference in mail.body
        assert "Reyes" not in mail.body and "Mejía" not in mail.body and "H" + "TIJ0001" not in mail.body
    assert supervisor.notifications.count() == 1 and caseworker.notifications.count() == 1


def test_any_vulnerability_includes_children_travelling_without_a_parent(caseworker, caravan, tij):
    child_case = lone_child(actor=caseworker, programme=caravan, office=tij)
    family(actor=caseworker, programme=caravan, office=tij)

    rows = api_as(caseworker).get("/api/v1/cases/?vulnerability=any").json()["results"]

    assert [row["id"] for row in rows] == [child_case.pk]
