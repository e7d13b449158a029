"""Counselling, screening and approval through the browser pages: every guard holds at the page door too."""

import re
from datetime import date, datetime, timezone

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.timezone import localdate

from accounts.choices import Role
from accounts.models import Assignment, User
from accounts.services import user_role_groups_sync
from audit.models import AuditEvent
from cases.models import Case, CaseEvent, Consent
from cases.services import case_transition
from screening import services
from screening.models import (
    CounsellingSession,
    Declaration,
    FitnessToTravel,
    ProtectionReferral,
    ProtectionScreening,
)
from tests.factories import ProgrammeFactory, household, staff
from tests.screening_steps import counsel, declare, family, lone_child, ready_for_submission, screen

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% declaracion firmada\n%%EOF\n"


@pytest.fixture
def case(caseworker, caravan, tij):
    return family(actor=caseworker, programme=caravan, office=tij)


def signed_in(client, user):
    """The client as `user`, reading the pages in English so the messages can be quoted."""
    User.objects.filter(pk=user.pk).update(language="en")
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


def checklist_codes(response) -> list[str]:
    return re.findall(r'data-code="([^"]+)"', html(response))


def alerts(response) -> str:
    return " ".join(re.findall(r'role="alert">(.*?)</div>', html(response), re.S))


def queue_rows(response) -> list[str]:
    return re.findall(r'<tr data-case="([^"]+)"', html(response))


def members(case):
    return {m.given_names: m for m in case.members.all()}


def snapshot(case) -> tuple:
    """What a refused page action must leave as it was: status, version, events."""
    case = Case.objects.get(pk=case.pk)
    return case.status, case.version, CaseEvent.objects.filter(case=case).count()


def move(client, case, to, **form):
    return client.post(reverse("case_transition", args=[case.pk]), {"to": to, **form}, follow=True)


def submitted(case, actor):
    ready_for_submission(case, actor)
    return case_transition(case_id=case.pk, to="pending_approval", actor=actor)


def with_supervisor_role(user, programme) -> User:
    Assignment.objects.create(user=user, role=Role.SUPERVISOR, programme=programme, country="MX")
    user_role_groups_sync(user=user)
    return User.objects.get(pk=user.pk)


# The checklist and the submission guard


def test_the_screening_tab_shows_everything_missing_before_anyone_tries(client, caseworker, case):
    signed_in(client, caseworker)

    response = client.get(reverse("case_screening", args=[case.pk]))

    assert response.status_code == 200
    assert checklist_codes(response) == ["counselling_missing", "protection_screening_missing", "declaration_missing",
                                         "protection_screening_missing", "declaration_missing",
                                         "protection_screening_missing"]
    page = html(response)
    assert "Ana Lucía Reyes Paz has not been screened for protection needs." in page
    assert 'data-testid="checklist-complete"' not in page
    assert re.search(r'class="nav-link active" aria-current="page" href="[^"]+" data-tab="screening"', page)


def test_submitting_an_incomplete_case_from_the_page_is_refused_with_what_is_missing(client, caseworker, case):
    counsel(case, caseworker, topics=["assistance"])
    screen(members(case)["Ana Lucía"], caseworker)
    before = snapshot(case)
    signed_in(client, caseworker)

    response = move(client, case, "pending_approval")

    message = alerts(response)
    assert message.startswith("Not yet:")
    assert "Counselling has not covered: Situation in the country of return" in message
    assert "Jorge Mejía Cruz has not been screened for protection needs." in message
    assert "Ana Lucía Reyes Paz has not signed a declaration" in message
    assert "Ana Lucía Reyes Paz has not been screened" not in message
    assert snapshot(case) == before
    assert Case.objects.get(pk=case.pk).submitted_by is None


def test_a_complete_case_shows_the_checklist_done_and_is_submitted_from_the_page(client, caseworker, case):
    ready_for_submission(case, caseworker)
    signed_in(client, caseworker)

    tab = client.get(reverse("case_screening", args=[case.pk]))
    response = move(client, case, "pending_approval")

    assert checklist_codes(tab) == [] and 'data-testid="checklist-complete"' in html(tab)
    assert 'data-to="pending_approval"' in html(tab)
    case.refresh_from_db()
    assert (case.status, case.submitted_by) == ("pending_approval", caseworker)
    assert "Status changed." in alerts(response)


def test_a_caseworker_is_offered_no_approval_and_posting_it_is_refused(client, caseworker, case):
    submitted(case, caseworker)
    before = snapshot(case)
    signed_in(client, caseworker)

    tab = client.get(reverse("case_screening", args=[case.pk]))
    response = move(client, case, "approved")

    assert 'data-to="approved"' not in html(tab)
    assert "Your role cannot make this change." in alerts(response)
    assert snapshot(case) == before


def test_approving_a_case_one_submitted_is_refused_on_the_page_even_with_a_supervisor_role(client, caseworker,
                                                                                           caravan, case):
    caseworker = with_supervisor_role(caseworker, caravan)
    submitted(case, caseworker)
    before = snapshot(case)
    signed_in(client, caseworker)

    tab = client.get(reverse("case_screening", args=[case.pk]))
    response = move(client, case, "approved")

    assert 'data-to="approved"' not in html(tab)  # not offered: four eyes; the forged POST is refused anyway
    assert "You registered or submitted this case: another supervisor must approve it." in alerts(response)
    assert snapshot(case) == before


def test_rejection_on_the_page_needs_a_reason(client, caseworker, supervisor, case):
    submitted(case, caseworker)
    before = snapshot(case)
    signed_in(client, supervisor)

    refused = move(client, case, "rejected", note="  ")
    after_refusal = snapshot(case)
    rejected = move(client, case, "rejected", note="Falta el pasaporte del padre")

    assert "Please say why." in alerts(refused)
    assert after_refusal == before
    assert Case.objects.get(pk=case.pk).status == "screening"
    assert "Status changed." in alerts(rejected)
    assert CaseEvent.objects.filter(case=case, to_status="rejected").get().note == "Falta el pasaporte del padre"


def test_a_case_without_a_protection_flag_is_not_referred_out_from_the_page(client, caseworker, case):
    counsel(case, caseworker)
    before = snapshot(case)
    signed_in(client, caseworker)

    response = move(client, case, "referred_out", note="Dice que tiene miedo", referred_to="unhcr", confirmed="1")

    assert "Only a case with an open protection flag is referred out." in alerts(response)
    assert snapshot(case) == before
    assert not ProtectionReferral.objects.exists()


def test_fear_of_return_typed_on_the_page_blocks_submission_and_the_case_is_referred_out(client, caseworker, case):
    ready_for_submission(case, caseworker)
    ana = members(case)["Ana Lucía"]
    signed_in(client, caseworker)

    saved = client.post(reverse("member_screening_edit", args=[case.pk, ana.pk]), {
        "version": ana.protection.version, "fear_of_return": "yes", "screened_on": "2018-11-22"})
    tab = client.get(reverse("case_screening", args=[case.pk]))
    before = snapshot(case)
    refused = move(client, case, "pending_approval")
    after_refusal = snapshot(case)
    referred = move(client, case, "referred_out", note="Teme a la pandilla", referred_to="unhcr", confirmed="1")

    assert saved.status_code == 302
    assert Case.objects.get(pk=case.pk).status == "referred_out"
    assert checklist_codes(tab) == ["protection_flag_open"]
    assert "Ana Lucía Reyes Paz fears return: the protection flag is open." in alerts(refused)
    assert after_refusal == before
    assert "Status changed." in alerts(referred)
    assert ProtectionReferral.objects.get(case=case).referred_to == "unhcr"


# Restricted fields


@pytest.fixture
def protection_cleared(tij):
    user = staff("cw_prot", Role.CASEWORKER, office=tij)
    User.objects.filter(pk=user.pk).update(is_protection_cleared=True)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def medical_cleared(tij):
    user = staff("cw_med", Role.CASEWORKER, office=tij)
    User.objects.filter(pk=user.pk).update(is_medical_cleared=True)
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize("persona, sees", [("caseworker", False), ("medical_cleared", False),
                                           ("supervisor", True), ("protection_cleared", True)])
def test_the_protection_narrative_is_shown_and_editable_only_for_supervisors_and_the_protection_cleared(
        client, request, supervisor, case, persona, sees):
    ana = members(case)["Ana Lucía"]
    screen(ana, supervisor, fear=True, narrative="Amenazada por la MS-13")
    signed_in(client, request.getfixturevalue(persona))

    tab = html(client.get(reverse("case_screening", args=[case.pk])))
    form = html(client.get(reverse("member_screening_edit", args=[case.pk, ana.pk])))

    assert ("MS-13" in tab) is sees
    assert (f'data-testid="narrative-{ana.pk}"' in tab) is sees
    assert ('name="narrative"' in form) is sees
    assert ("MS-13" in form) is sees
    assert 'name="fear_of_return"' in form  # the fear itself is for the whole case team


def test_a_caseworker_saving_the_screening_page_cannot_write_or_erase_the_narrative(client, caseworker, supervisor,
                                                                                    case):
    ana = members(case)["Ana Lucía"]
    screen(ana, supervisor, fear=True, narrative="Amenazada por la MS-13")
    version = ProtectionScreening.objects.get(member=ana).version
    signed_in(client, caseworker)

    response = client.post(reverse("member_screening_edit", args=[case.pk, ana.pk]), {
        "version": version, "fear_of_return": "yes", "screened_on": "2018-11-22", "threats": "on",
        "narrative": "Texto nuevo"})

    assert response.status_code == 302
    record = ProtectionScreening.objects.get(member=ana)
    assert (record.narrative, record.threats) == ("Amenazada por la MS-13", True)


@pytest.mark.parametrize("persona, sees", [("caseworker", False), ("supervisor", False),
                                           ("protection_cleared", False), ("medical_cleared", True)])
def test_the_medical_detail_is_shown_and_editable_only_for_the_medical_cleared(client, request, medical_cleared,
                                                                               case, persona, sees):
    jorge = members(case)["Jorge"]
    services.member_screening_save(
        actor=medical_cleared, member_id=jorge.pk, expected_version=None,
        protection={"fear_of_return": False, "screened_on": date(2018, 11, 20)},
        vulnerabilities=[{"kind": "medical_condition", "severity": "medium"}],
        fitness={"outcome": "fit_with_escort", "assessed_on": date(2018, 11, 20), "clinician": "Dra. Núñez",
                 "detail": "Diabetes tipo 2"})
    signed_in(client, request.getfixturevalue(persona))

    tab = html(client.get(reverse("case_screening", args=[case.pk])))
    form = html(client.get(reverse("member_screening_edit", args=[case.pk, jorge.pk])))

    assert "Dra. Núñez" in tab  # the outcome and the clinician are for the whole case team
    assert ("Diabetes" in tab) is sees
    assert ('name="fitness_detail"' in form) is sees
    assert ("Diabetes" in form) is sees


# Who may open the screening pages


@pytest.fixture
def booked_case(caseworker, caravan, tij, sps):
    """A household booked to San Pedro Sula: movement and reception staff see the case, never its screening."""
    case = family(actor=caseworker, programme=caravan, office=tij)
    ready_for_submission(case, caseworker)
    ana = members(case)["Ana Lucía"]
    services.member_consent_record(actor=caseworker, member_id=ana.pk, data={
        "scope": "sharing", "recipient": "Consulado de Honduras", "purpose": "documento de viaje",
        "type": "explicit", "given_on": date(2018, 11, 20)})
    Declaration.objects.filter(member=ana).update(scan=SimpleUploadedFile("scan.pdf", PDF).name)
    Case.objects.filter(pk=case.pk).update(status="booked", reception_centre=sps)
    return Case.objects.get(pk=case.pk)


def screening_doors(case) -> list[tuple[str, str, dict]]:
    ana = members(case)["Ana Lucía"]
    declaration = ana.declarations.get()
    consent = ana.consents.get(scope="sharing")
    pk = case.pk
    form_pages = [
        (reverse("counselling_session_new", args=[pk]), {"held_on": "2018-11-22", "language": "es",
                                                         "outcome": "does_not_wish"}),
        (reverse("member_screening_edit", args=[pk, ana.pk]), {"version": ana.protection.version,
                                                               "fear_of_return": "yes", "screened_on": "2018-11-22"}),
        (reverse("best_interests_edit", args=[pk, ana.pk]), {}),
        (reverse("declaration_new", args=[pk, ana.pk]), {"signed_on": "2018-11-22", "witness": "X"}),
        (reverse("consent_new", args=[pk, ana.pk]), {"scope": "follow_up", "type": "explicit",
                                                     "given_on": "2018-11-22"}),
    ]
    return ([("get", reverse("case_screening", args=[pk]), {})]
            + [("get", url, {}) for url, _body in form_pages]
            + [("post", url, body) for url, body in form_pages]
            + [("get", reverse("declaration_scan", args=[pk, declaration.pk]), {}),
               ("post", reverse("declaration_withdraw", args=[pk, declaration.pk]), {"reason": "Ya no"}),
               ("post", reverse("consent_withdraw", args=[pk, consent.pk]), {}),
               ("post", reverse("protection_flag_resolve", args=[pk, ana.pk]), {"note": "Entrevista"})])


def screening_state(case) -> tuple:
    return (snapshot(case), CounsellingSession.objects.filter(case=case).count(),
            sorted(ProtectionScreening.objects.filter(member__case=case).values_list("version", "fear_of_return")),
            Declaration.objects.filter(member__case=case, withdrawn_on__isnull=True).count(),
            Consent.objects.filter(case=case, withdrawn_on__isnull=True).count())


@pytest.mark.parametrize("persona", ["outsider", "movement_officer", "reception"])
def test_staff_outside_the_case_team_get_404_on_every_screening_page_and_nothing_changes(client, request, persona,
                                                                                         booked_case):
    user = request.getfixturevalue(persona)
    before = screening_state(booked_case)
    downloads = AuditEvent.objects.filter(action="download").count()
    signed_in(client, user)

    answers = {(method, url): getattr(client, method)(url, body).status_code
               for method, url, body in screening_doors(booked_case)}

    assert set(answers.values()) == {404}, answers
    assert screening_state(booked_case) == before
    assert AuditEvent.objects.filter(action="download").count() == downloads
    case_page = client.get(reverse("case_detail", args=[booked_case.pk]))
    assert case_page.status_code == (404 if persona == "outsider" else 200)  # they see the case, not its screening
    assert 'data-tab="screening"' not in html(case_page)


# The approval queue


@pytest.mark.parametrize("persona", ["caseworker", "movement_officer", "reception"])
def test_the_approval_queue_is_not_found_for_anyone_but_supervisors(client, request, persona, caseworker, case):
    submitted(case, caseworker)
    before = snapshot(case)
    signed_in(client, request.getfixturevalue(persona))

    listed = client.get(reverse("approval_queue"))
    approved = client.post(reverse("approval_bulk"), {"case": [case.pk]})

    assert (listed.status_code, approved.status_code) == (404, 404)
    assert snapshot(case) == before


def day(n: int) -> datetime:
    return datetime(2018, 11, n, 12, tzinfo=timezone.utc)


def pending(caseworker, programme, office, reference, *, submitted_at, child=False, vulnerability=None):
    make = lone_child if child else family
    case = make(actor=caseworker, programme=programme, office=office)
    Case.objects.filter(pk=case.pk).update(reference=reference)
    if child:
        counsel(case, caseworker)
        kid = case.members.get()
        screen(kid, caseworker)
        services.best_interests_save(actor=caseworker, member_id=kid.pk, expected_version=None, data={
            "responsible_authority": "DIF Tijuana", "guardian_name": "Procuraduría", "child_views": "Volver",
            "options_considered": "Retorno", "outcome": "return", "decided_on": date(2018, 11, 19),
            "guardian_consent": True, "guardian_consent_on": date(2018, 11, 19)})
        case_transition(case_id=case.pk, to="pending_approval", actor=caseworker)
    else:
        submitted(case, caseworker)
    if vulnerability:
        ana = members(case)["Ana Lucía"]
        screen(ana, caseworker, vulnerabilities=[{"kind": vulnerability, "severity": "high"}],
               version=ana.protection.version)
    Case.objects.filter(pk=case.pk).update(submitted_at=submitted_at)
    return Case.objects.get(pk=case.pk)


def test_the_queue_lists_the_visible_pending_cases_oldest_first_and_filters_them(client, caseworker, supervisor,
                                                                                 caravan, tij):
    newest = pending(caseworker, caravan, tij, "TIJ-2018-91003", submitted_at=day(24))
    oldest = pending(caseworker, caravan, tij, "TIJ-2018-91001", submitted_at=day(21), vulnerability="trafficking")
    child = pending(caseworker, caravan, tij, "TIJ-2018-91002", submitted_at=day(22), child=True)
    pending(caseworker, ProgrammeFactory(code="NIC-2019"), tij, "TIJ-2018-91009", submitted_at=day(20))
    household(actor=caseworker, programme=caravan, office=tij, status="screening")
    signed_in(client, supervisor)

    everything = client.get(reverse("approval_queue"))
    trafficking = client.get(reverse("approval_queue"), {"vulnerability": "trafficking"})
    children = client.get(reverse("approval_queue"), {"umc": "1"})
    any_vulnerability = client.get(reverse("approval_queue"), {"vulnerability": "any"})

    assert queue_rows(everything) == [oldest.reference, child.reference, newest.reference]
    assert queue_rows(trafficking) == [oldest.reference]
    assert queue_rows(children) == [child.reference]
    assert oldest.reference in queue_rows(any_vulnerability) and newest.reference not in queue_rows(any_vulnerability)
    assert "TIJ-2018-91009" not in html(everything)


def test_bulk_approval_from_the_queue_reports_each_case(client, caseworker, supervisor, caravan, tij):
    ready = pending(caseworker, caravan, tij, "TIJ-2018-92001", submitted_at=day(21))
    flagged = pending(caseworker, caravan, tij, "TIJ-2018-92002", submitted_at=day(22))
    ana = members(flagged)["Ana Lucía"]
    screen(ana, caseworker, fear=True, version=ana.protection.version)
    hidden = pending(caseworker, ProgrammeFactory(code="NIC-2019"), tij, "TIJ-2018-92009", submitted_at=day(20))
    signed_in(client, supervisor)

    nothing = client.post(reverse("approval_bulk"), {}, follow=True)
    response = client.post(reverse("approval_bulk"), {"case": [ready.pk, flagged.pk, hidden.pk],
                                                      "note": "Revisado"}, follow=True)

    assert "Tick the cases to approve." in alerts(nothing)
    message = alerts(response)
    assert "TIJ-2018-92001 approved." in message
    assert "TIJ-2018-92002 not approved: Ana Lucía Reyes Paz fears return" in message
    assert f"Case {hidden.pk} could not be approved" in message and "TIJ-2018-92009" not in message
    assert [Case.objects.get(pk=c.pk).status for c in (ready, flagged, hidden)] == [
        "approved", "pending_approval", "pending_approval"]
    assert CaseEvent.objects.get(case=ready, to_status="approved").note == "Revisado"
    assert queue_rows(response) == [flagged.reference]


def test_the_queue_disables_the_tick_box_of_a_case_the_supervisor_submitted(client, caseworker, supervisor, caravan,
                                                                            tij):
    caseworker = with_supervisor_role(caseworker, caravan)
    own = family(actor=caseworker, programme=caravan, office=tij)
    submitted(own, caseworker)
    signed_in(client, caseworker)

    response = client.get(reverse("approval_queue"))
    posted = client.post(reverse("approval_bulk"), {"case": [own.pk]}, follow=True)

    row = re.search(rf'<tr data-case="{own.reference}">(.*?)</tr>', html(response), re.S).group(1)
    assert re.search(r'<input[^>]*name="case"[^>]*disabled', row)
    assert "another supervisor must approve it" in alerts(posted)
    assert Case.objects.get(pk=own.pk).status == "pending_approval"


# Bad input stays on the form, next to its field


def test_a_counselling_session_in_the_future_is_refused_next_to_the_date(client, caseworker, case):
    signed_in(client, caseworker)

    response = client.post(reverse("counselling_session_new", args=[case.pk]), {
        "held_on": "2999-01-01", "language": "español", "topics": ["alternatives"], "outcome": "wishes_to_return"})

    assert response.status_code == 200
    assert re.search(r'id="id_held_on_error"[^>]*>This date is in the future.', html(response))
    assert 'aria-describedby="id_held_on_error"' in html(response)
    assert not CounsellingSession.objects.exists()
    assert Case.objects.get(pk=case.pk).status == "registered"


def test_a_declaration_without_a_witness_or_signed_in_the_future_is_refused_next_to_the_field(client, caseworker,
                                                                                              case):
    ana = members(case)["Ana Lucía"]
    signed_in(client, caseworker)
    url = reverse("declaration_new", args=[case.pk, ana.pk])

    no_witness = client.post(url, {"signed_on": "2018-11-21", "witness": ""})
    future = client.post(url, {"signed_on": "2999-01-01", "witness": "Sor Juana"})

    assert no_witness.status_code == 200 and 'id="id_witness_error"' in html(no_witness)
    assert future.status_code == 200
    assert re.search(r'id="id_signed_on_error"[^>]*>This date is in the future.', html(future))
    assert not Declaration.objects.exists()


def test_a_childs_declaration_is_refused_on_the_form(client, caseworker, case):
    kevin = members(case)["Kevin"]
    signed_in(client, caseworker)

    response = client.post(reverse("declaration_new", args=[case.pk, kevin.pk]),
                           {"signed_on": "2018-11-21", "witness": "Sor Juana"})

    assert response.status_code == 200
    assert "Declarations of voluntary return are signed by adults" in html(response)
    assert not Declaration.objects.exists()


def test_a_sharing_consent_without_a_recipient_is_refused_next_to_the_field(client, caseworker, case):
    ana = members(case)["Ana Lucía"]
    consents = Consent.objects.count()
    signed_in(client, caseworker)

    response = client.post(reverse("consent_new", args=[case.pk, ana.pk]), {
        "scope": "sharing", "recipient": "", "purpose": "documento de viaje", "type": "explicit",
        "given_on": "2018-11-20"})

    assert response.status_code == 200
    assert re.search(r'id="id_recipient_error"[^>]*>Name the recipient and the purpose', html(response))
    assert 'id="id_purpose_error"' not in html(response)
    assert Consent.objects.count() == consents


def test_a_screening_without_the_fear_of_return_answer_is_refused_next_to_the_question(client, caseworker, case):
    ana = members(case)["Ana Lucía"]
    signed_in(client, caseworker)

    response = client.post(reverse("member_screening_edit", args=[case.pk, ana.pk]), {
        "screened_on": "2018-11-20", "vulnerability_pregnant": "high"})

    assert response.status_code == 200
    assert 'id="id_fear_of_return_error"' in html(response)
    assert not ProtectionScreening.objects.exists() and not ana.vulnerabilities.exists()


# Declarations: the scan, and withdrawing


def test_the_scan_of_a_signed_declaration_is_stored_and_downloaded_only_by_the_case_team(
        client, settings, tmp_path, caseworker, supervisor, outsider, case):
    settings.MEDIA_ROOT = tmp_path
    ana = members(case)["Ana Lucía"]
    signed_in(client, caseworker)

    response = client.post(reverse("declaration_new", args=[case.pk, ana.pk]), {
        "signed_on": "2018-11-21", "witness": "Sor Juana Inés", "scan": SimpleUploadedFile(
            "firma.pdf", PDF, content_type="application/pdf")})

    assert response.status_code == 302
    declaration = Declaration.objects.get(member=ana)
    scan_url = reverse("declaration_scan", args=[case.pk, declaration.pk])
    assert scan_url in html(client.get(reverse("case_screening", args=[case.pk])))
    for user, status in ((caseworker, 200), (supervisor, 200), (outsider, 404)):
        before = AuditEvent.objects.filter(action="download", object_id=str(declaration.pk)).count()
        signed_in(client, user)
        download = client.get(scan_url)
        assert download.status_code == status, user.username
        after = AuditEvent.objects.filter(action="download", object_id=str(declaration.pk))
        if status == 200:
            assert b"".join(download.streaming_content) == PDF
            assert download["Cache-Control"] == "no-store"
            assert after.count() == before + 1 and after.first().actor == user
        else:
            assert after.count() == before


def test_a_declaration_withdrawn_from_the_page_counts_as_missing_again(client, caseworker, case):
    ready_for_submission(case, caseworker)
    ana = members(case)["Ana Lucía"]
    declaration = ana.declarations.get()
    url = reverse("declaration_withdraw", args=[case.pk, declaration.pk])
    signed_in(client, caseworker)

    no_reason = client.post(url, {"reason": " "}, follow=True)
    kept = Declaration.objects.get(pk=declaration.pk).withdrawn_on
    withdrawn = client.post(url, {"reason": "Quiere pensarlo"}, follow=True)

    assert "Please say why." in alerts(no_reason) and kept is None
    declaration.refresh_from_db()
    assert (declaration.withdrawn_on, declaration.withdrawal_reason) == (localdate(), "Quiere pensarlo")
    assert "The declaration was withdrawn." in alerts(withdrawn)
    assert checklist_codes(withdrawn) == ["declaration_missing"]
    assert "Quiere pensarlo" in html(withdrawn)


def test_a_consent_withdrawn_from_the_page_keeps_its_record(client, caseworker, case):
    ana = members(case)["Ana Lucía"]
    consent = services.member_consent_record(actor=caseworker, member_id=ana.pk, data={
        "scope": "sharing", "recipient": "Consulado de Honduras", "purpose": "documento de viaje",
        "type": "explicit", "given_on": date(2018, 11, 20)})
    signed_in(client, caseworker)
    tab = html(client.get(reverse("case_screening", args=[case.pk])))

    response = client.post(reverse("consent_withdraw", args=[case.pk, consent.pk]), follow=True)

    assert reverse("consent_withdraw", args=[case.pk, consent.pk]) in tab
    consent.refresh_from_db()
    assert consent.withdrawn_on == localdate()
    assert "The consent was withdrawn." in alerts(response)
    assert reverse("consent_withdraw", args=[case.pk, consent.pk]) not in html(response)


def test_a_counselling_session_recorded_on_the_page_starts_screening(client, caseworker, case):
    signed_in(client, caseworker)

    response = client.post(reverse("counselling_session_new", args=[case.pk]), {
        "held_on": "2018-11-20", "language": "español", "topics": ["alternatives", "assistance"],
        "outcome": "wishes_to_return", "notes": "Quiere volver"}, follow=True)

    session = CounsellingSession.objects.get(case=case)
    assert (session.topics, session.counsellor, session.recorded_by) == (["alternatives", "assistance"],
                                                                         caseworker, caseworker)
    assert Case.objects.get(pk=case.pk).status == "screening"
    assert checklist_codes(response)[0] == "counselling_topics_missing"


def test_fitness_declared_without_clinician_is_refused_and_nothing_is_saved(client, caseworker, case):
    jorge = members(case)["Jorge"]
    signed_in(client, caseworker)

    response = client.post(reverse("member_screening_edit", args=[case.pk, jorge.pk]), {
        "fear_of_return": "no", "screened_on": "2018-11-20", "fitness_outcome": "fit"})

    assert response.status_code == 200 and 'id="id_fitness_clinician_error"' in html(response)
    assert not FitnessToTravel.objects.exists() and not ProtectionScreening.objects.exists()


def test_a_declaration_of_another_case_is_not_found_through_this_cases_address(client, caseworker, caravan, tij,
                                                                               outsider, tap, case):
    other = household(actor=outsider, programme=caravan, office=tap)
    declare(other.members.get(), outsider)
    foreign = Declaration.objects.get(member__case=other)
    signed_in(client, caseworker)

    response = client.post(reverse("declaration_withdraw", args=[case.pk, foreign.pk]), {"reason": "x"})

    assert response.status_code == 404
    assert Declaration.objects.get(pk=foreign.pk).withdrawn_on is None


def test_the_date_fields_carry_iso_dates_the_browsers_date_picker_can_show(client, caseworker, case):
    ana = members(case)["Ana Lucía"]
    screen(ana, caseworker)
    client.force_login(caseworker)  # in Spanish, where a localised date would read 20/11/2018

    screening_form = html(client.get(reverse("member_screening_edit", args=[case.pk, ana.pk])))
    counselling_form = html(client.get(reverse("counselling_session_new", args=[case.pk])))

    assert re.search(r'<input type="date" name="screened_on" value="2018-11-20"', screening_form)
    assert re.search(rf'<input type="date" name="held_on" value="{localdate().isoformat()}"', counselling_form)


def test_a_next_step_taken_on_the_screening_tab_comes_back_to_it(client, caseworker, caravan, tij):
    from tests.screening_steps import family

    case = family(actor=caseworker, programme=caravan, office=tij)
    client.force_login(caseworker)

    response = client.post(f"/cases/{case.pk}/transition/", {"to": "pending_approval", "tab": "screening"})

    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/screening/"


def test_a_record_of_another_case_is_not_found_through_this_cases_address(client, caseworker, supervisor, caravan,
                                                                           tij):
    from tests.screening_steps import declare, family

    first = family(actor=caseworker, programme=caravan, office=tij)
    second = family(actor=caseworker, programme=caravan, office=tij)
    principal = second.members.get(relationship="principal")
    declaration = declare(principal, caseworker)
    client.force_login(supervisor)

    response = client.post(f"/cases/{first.pk}/declarations/{declaration.pk}/withdraw/", {"reason": "x"})
    flag = client.post(f"/cases/{first.pk}/members/{principal.pk}/protection-flag/resolve/", {"note": "x"})

    assert response.status_code == 404 and flag.status_code == 404
    declaration.refresh_from_db()
    assert declaration.withdrawn_on is None
