"""One person, one return: records linked as the same person travel once, whichever door is tried."""

import threading
from datetime import date, timedelta

import pytest
from django.db import connection
from django.urls import reverse

from audit.models import AuditEvent
from cases.identity import person_member_ids, same_person_active_unmet
from cases.models import Case, CaseEvent, DuplicateDecision, Member
from cases.registration import MemberInput
from cases.services import InvalidTransition, TransitionRefused, case_transition, member_duplicate_decide
from screening.approval import cases_bulk_approve
from tests.conftest import api_as
from tests.factories import household, staff
from tests.reception_steps import day_of_travel
from tests.screening_steps import ready_for_submission
from tests.travel_steps import convoy, documents_ready
from travel import services as travel
from travel.models import Booking, TravelDocument

pytestmark = pytest.mark.django_db

PASSPORT = "HN0009911"


def maria(**overrides) -> MemberInput:
    data = {"given_names": "María José", "family_names": "Hernández López", "sex": "female",
            "date_of_birth": date(1990, 3, 14), "nationality": "HN", "place_of_origin": "Choloma",
            "relationship": "principal", "document_type": "passport", "document_number": PASSPORT,
            "phone": "+504 9988-7766"}
    return MemberInput(**{**data, **overrides})


@pytest.fixture
def tij_case(caseworker, caravan, tij):
    """María José registered in Tijuana."""
    return household(actor=caseworker, programme=caravan, office=tij, people=[maria()])


@pytest.fixture
def tap_case(outsider, caravan, tap, tij_case):
    """The same woman registered again in Tapachula, with the same passport."""
    return household(actor=outsider, programme=caravan, office=tap, people=[maria(document_number="hn 000-9911")])


def link(case, other, actor):
    """Answer "same person" on `case`'s duplicates page for the member of `other`."""
    return member_duplicate_decide(actor=actor, member_id=case.members.get().pk,
                                   candidate_id=other.members.get().pk, decision="same")


def submit(case, actor):
    ready_for_submission(case, actor)
    return case_transition(case_id=case.pk, to="pending_approval", actor=actor)


@pytest.fixture
def both_pending(caseworker, outsider, tij_case, tap_case):
    submit(tij_case, caseworker)
    submit(tap_case, outsider)
    return tij_case, tap_case


@pytest.fixture
def first_approved_then_linked(both_pending, supervisor, outsider):
    """Both submitted, the Tijuana case approved, and only then the Tapachula record linked as the same person."""
    tij_case, tap_case = both_pending
    case_transition(case_id=tij_case.pk, to="approved", actor=supervisor)
    link(tap_case, tij_case, outsider)
    return Case.objects.get(pk=tij_case.pk), Case.objects.get(pk=tap_case.pk)


def unchanged(case, status: str, events: int) -> bool:
    case = Case.objects.get(pk=case.pk)
    return case.status == status and CaseEvent.objects.filter(case=case).count() == events


def test_same_person_links_are_symmetric_and_transitive(caseworker, outsider, caravan, tij, tap, tij_case, tap_case):
    third = household(actor=caseworker, programme=caravan, office=tij, people=[maria(document_number="")])
    link(tap_case, tij_case, outsider)
    link(third, tap_case, caseworker)  # the third record knows only the second
    ids = {c.members.get().pk for c in (tij_case, tap_case, third)}

    assert person_member_ids(tij_case.members.get().pk) == ids
    assert person_member_ids(third.members.get().pk) == ids
    assert person_member_ids(household(actor=caseworker, programme=caravan, office=tij, people=[
        maria(given_names="Otra", family_names="Persona", document_number="", phone="")]).members.get().pk) \
        == {Member.objects.get(given_names="Otra").pk}


def test_a_person_whose_case_is_approved_cannot_be_submitted_again_from_a_linked_case(
        caseworker, outsider, supervisor, tij_case, tap_case):
    submit(tij_case, caseworker)
    case_transition(case_id=tij_case.pk, to="approved", actor=supervisor)
    link(tap_case, tij_case, outsider)
    ready_for_submission(tap_case, outsider)
    before = (Case.objects.get(pk=tap_case.pk).status, CaseEvent.objects.filter(case=tap_case).count())

    with pytest.raises(TransitionRefused) as refused:
        case_transition(case_id=tap_case.pk, to="pending_approval", actor=outsider)

    assert [u.code for u in refused.value.unmet] == ["same_person_active"]
    assert refused.value.unmet[0].context == {"case_id": tij_case.pk}
    assert unchanged(tap_case, *before)


def test_a_person_whose_earlier_return_ended_may_be_submitted_again(caseworker, outsider, tij_case, tap_case):
    case_transition(case_id=tij_case.pk, to="withdrawn", actor=caseworker, note="Se fue por su cuenta.")
    link(tap_case, tij_case, outsider)

    submit(tap_case, outsider)

    assert Case.objects.get(pk=tap_case.pk).status == "pending_approval"


def test_the_supervisor_is_refused_approval_of_the_second_linked_case_through_the_api(
        supervisor, first_approved_then_linked):
    _tij_case, tap_case = first_approved_then_linked
    events = CaseEvent.objects.filter(case=tap_case).count()

    response = api_as(supervisor).post(f"/api/v1/cases/{tap_case.pk}/transitions/", {"to": "approved"}, format="json")

    assert response.status_code == 409
    assert [u["code"] for u in response.json()["unmet"]] == ["same_person_active"]
    assert unchanged(tap_case, "pending_approval", events)


def test_the_approve_button_on_the_case_page_is_refused_and_the_page_names_the_other_case(
        client, supervisor, first_approved_then_linked):
    tij_case, tap_case = first_approved_then_linked
    events = CaseEvent.objects.filter(case=tap_case).count()
    client.force_login(supervisor)

    response = client.post(reverse("case_transition", args=[tap_case.pk]), {"to": "approved"}, follow=True)

    page = response.content.decode()
    assert "María José Hernández López" in page and 'data-testid="same-person-conflict"' in page
    assert f'data-testid="same-person-reference">{tij_case.reference}<' in page
    assert unchanged(tap_case, "pending_approval", events)


def test_bulk_approval_refuses_the_second_linked_case_and_approves_the_rest(
        client, caseworker, supervisor, caravan, tij, first_approved_then_linked):
    _tij_case, tap_case = first_approved_then_linked
    other = household(actor=caseworker, programme=caravan, office=tij, people=[maria(
        given_names="Santos", family_names="Reyes", date_of_birth=date(1979, 9, 9), document_number="", phone="")])
    submit(other, caseworker)
    events = CaseEvent.objects.filter(case=tap_case).count()

    results = {r.case: r for r in cases_bulk_approve(actor=supervisor, case_ids=[tap_case.pk, other.pk])}
    client.force_login(supervisor)
    client.post(reverse("approval_bulk"), {"case": [tap_case.pk]})

    assert results[tap_case.pk].outcome == "refused"
    assert [u["code"] for u in results[tap_case.pk].unmet] == ["same_person_active"]
    assert results[other.pk].outcome == "approved"
    assert unchanged(tap_case, "pending_approval", events)


def test_submitting_the_two_linked_cases_at_once_lets_exactly_one_through(transactional_db, caseworker, outsider,
                                                                          tij_case, tap_case):
    link(tap_case, tij_case, outsider)
    ready_for_submission(tij_case, caseworker)
    ready_for_submission(tap_case, outsider)
    barrier = threading.Barrier(2)
    outcomes = []

    def race(case, actor):
        try:
            barrier.wait()
            case_transition(case_id=case.pk, to="pending_approval", actor=actor)
            outcomes.append("submitted")
        except TransitionRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=args) for args in ((tij_case, caseworker), (tap_case, outsider))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refused", "submitted"]
    assert Case.objects.filter(pk__in=[tij_case.pk, tap_case.pk], status="pending_approval").count() == 1


def test_two_supervisors_approving_the_two_linked_cases_at_once_do_not_both_succeed(
        transactional_db, supervisor, outsider, both_pending):
    tij_case, tap_case = both_pending
    link(tap_case, tij_case, outsider)
    second = staff("sup_mx2", "supervisor", programme=tij_case.programme, country="MX")
    barrier = threading.Barrier(2)
    outcomes = []

    def race(case, actor):
        try:
            barrier.wait()
            case_transition(case_id=case.pk, to="approved", actor=actor)
            outcomes.append("approved")
        except TransitionRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=args) for args in ((tij_case, supervisor), (tap_case, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("approved") <= 1
    assert Case.objects.filter(pk__in=[tij_case.pk, tap_case.pk], status="approved").count() <= 1


@pytest.fixture
def both_approved_then_linked(caseworker, outsider, supervisor, movement_officer, both_pending):
    tij_case, tap_case = both_pending
    for case in both_pending:
        case_transition(case_id=case.pk, to="approved", actor=supervisor)
        documents_ready(case, movement_officer)
    link(tap_case, tij_case, outsider)
    return tij_case, tap_case


def test_linking_two_approved_records_holds_the_second_at_once_and_it_cannot_be_booked(movement_officer, tij, sps,
                                                                                       supervisor,
                                                                                       both_approved_then_linked):
    _tij_case, tap_case = both_approved_then_linked
    bus = convoy(movement_officer, tij, sps)
    assert Case.objects.get(pk=tap_case.pk).status == "on_hold"  # the safeguards re-checked at the link
    events = CaseEvent.objects.filter(case=tap_case).count()

    response = api_as(movement_officer).post(f"/api/v1/movements/{bus.pk}/bookings/", {"case": tap_case.pk},
                                             format="json")
    with pytest.raises(InvalidTransition):
        travel.case_book(actor=movement_officer, movement_id=bus.pk, case_id=tap_case.pk)
    with pytest.raises(TransitionRefused) as refused:  # nor released while the other return is active
        case_transition(case_id=tap_case.pk, to="approved", actor=supervisor)

    assert response.status_code == 409
    assert not Booking.objects.exists()
    assert unchanged(tap_case, "on_hold", events)
    assert "same_person_active" in [u.code for u in refused.value.unmet]


def test_a_linked_household_never_departs_twice(movement_officer, caseworker, supervisor, outsider, tij, sps,
                                                both_pending):
    tij_case, tap_case = both_pending
    case_transition(case_id=tij_case.pk, to="approved", actor=supervisor)
    case_transition(case_id=tap_case.pk, to="approved", actor=supervisor)
    documents_ready(tap_case, movement_officer)
    bus = convoy(movement_officer, tij, sps)
    travel.case_book(actor=movement_officer, movement_id=bus.pk, case_id=tap_case.pk)
    url = f"/api/v1/movements/{bus.pk}/transitions/"
    api_as(movement_officer).post(url, {"to": "confirmed"}, format="json")
    link(tap_case, tij_case, outsider)  # found late: the Tijuana case is approved too
    day_of_travel(bus)

    departed = api_as(movement_officer).post(url, {"to": "departed", "boarded": [tap_case.members.get().pk]},
                                             format="json")

    assert departed.status_code == 200  # the movement leaves, without her: she was taken off at the link
    assert Case.objects.get(pk=tap_case.pk).status == "on_hold"
    assert Booking.objects.get(case=tap_case).status == "cancelled"


def test_a_booked_household_linked_to_another_active_return_is_taken_off_its_movement_at_once(
        movement_officer, tij, sps, supervisor, outsider, both_pending):
    tij_case, tap_case = both_pending
    for case in both_pending:
        case_transition(case_id=case.pk, to="approved", actor=supervisor)
    documents_ready(tap_case, movement_officer)
    bus = convoy(movement_officer, tij, sps)
    travel.case_book(actor=movement_officer, movement_id=bus.pk, case_id=tap_case.pk)
    link(tap_case, tij_case, outsider)

    assert Case.objects.get(pk=tap_case.pk).status == "on_hold"
    assert Booking.objects.get(case=tap_case).status == "cancelled"


def test_a_case_on_hold_does_not_go_back_to_approved_while_the_person_is_in_another_return(
        supervisor, outsider, caravan, tap, tij_case):
    on_hold = household(actor=outsider, programme=caravan, office=tap, people=[maria()], status="on_hold")
    case_transition(case_id=tij_case.pk, to="withdrawn", actor=supervisor, note="x")
    Case.objects.filter(pk=tij_case.pk).update(status="approved")  # given: the Tijuana return is under way
    link(on_hold, tij_case, outsider)
    events = CaseEvent.objects.filter(case=on_hold).count()

    with pytest.raises(TransitionRefused) as refused:
        case_transition(case_id=on_hold.pk, to="approved", actor=supervisor)

    assert "same_person_active" in [u.code for u in refused.value.unmet]
    assert unchanged(on_hold, "on_hold", events)


def test_the_rule_reads_a_person_with_no_link_as_free(tij_case):
    assert same_person_active_unmet(tij_case) == []


# The case page, the duplicates page and the approval queue show the link.

def test_the_case_page_names_the_linked_case_where_the_user_may_open_it_and_another_case_otherwise(
        client, supervisor, outsider, first_approved_then_linked):
    tij_case, tap_case = first_approved_then_linked

    client.force_login(supervisor)
    for_supervisor = client.get(reverse("case_detail", args=[tap_case.pk])).content.decode()
    client.force_login(outsider)
    for_outsider = client.get(reverse("case_detail", args=[tap_case.pk])).content.decode()

    assert f'data-testid="same-person-reference">{tij_case.reference}<' in for_supervisor
    assert 'data-testid="same-person-badge"' in for_supervisor and tij_case.reference in for_supervisor
    assert tij_case.reference not in for_outsider
    assert 'data-testid="same-person-hidden"' in for_outsider
    assert 'data-testid="same-person-conflict"' in for_outsider  # linking while both are active shows the clash
    assert f'action="{reverse("case_merge", args=[tap_case.pk])}"' in for_outsider


def test_the_approval_queue_shows_the_link_with_the_other_cases_reference(client, supervisor,
                                                                           first_approved_then_linked):
    tij_case, tap_case = first_approved_then_linked
    client.force_login(supervisor)

    page = client.get(reverse("approval_queue")).content.decode()

    row = page[page.index(f'data-case="{tap_case.reference}"'):]
    row = row[:row.index("</tr>")]
    assert 'data-testid="same-person-badge"' in row and tij_case.reference in row
    assert 'data-testid="same-person-decide"' in row


def test_merging_withdraws_this_case_as_a_duplicate_naming_the_kept_case_and_keeps_its_history(
        client, supervisor, first_approved_then_linked):
    tij_case, tap_case = first_approved_then_linked
    events = CaseEvent.objects.filter(case=tap_case).count()
    client.force_login(supervisor)

    client.post(reverse("case_merge", args=[tap_case.pk]), {"kept_case": tij_case.pk, "note": "Mismo pasaporte."})

    assert Case.objects.get(pk=tap_case.pk).status == "withdrawn"
    assert Case.objects.get(pk=tij_case.pk).status == "approved"
    last = CaseEvent.objects.filter(case=tap_case).last()
    assert tij_case.reference in last.note and "Mismo pasaporte." in last.note
    assert CaseEvent.objects.filter(case=tap_case).count() == events + 1


def test_the_merge_note_names_another_case_when_the_user_may_not_open_the_kept_one(
        client, outsider, first_approved_then_linked):
    tij_case, tap_case = first_approved_then_linked
    client.force_login(outsider)

    client.post(reverse("case_merge", args=[tap_case.pk]), {"kept_case": tij_case.pk})

    last = CaseEvent.objects.filter(case=tap_case).last()
    assert last.to_status == "withdrawn" and tij_case.reference not in last.note


def test_a_case_is_merged_only_into_a_case_of_the_same_person(client, caseworker, supervisor, caravan, tij,
                                                               first_approved_then_linked):
    _tij_case, tap_case = first_approved_then_linked
    stranger = household(actor=caseworker, programme=caravan, office=tij, people=[maria(
        given_names="Santos", family_names="Reyes", date_of_birth=date(1979, 9, 9), document_number="", phone="")])
    client.force_login(supervisor)

    response = client.post(reverse("case_merge", args=[tap_case.pk]), {"kept_case": stranger.pk})

    assert response.status_code == 404
    assert Case.objects.get(pk=tap_case.pk).status == "pending_approval"


def test_a_household_with_others_who_are_not_in_the_kept_case_is_not_merged(
        client, outsider, supervisor, caravan, tap, tij_case):
    with_son = household(actor=outsider, programme=caravan, office=tap, people=[maria(), MemberInput(
        given_names="Kevin", family_names="Hernández", sex="male", date_of_birth=date(2012, 7, 2), nationality="HN",
        place_of_origin="Choloma", relationship="child")])
    member_duplicate_decide(actor=outsider, member_id=with_son.members.get(given_names="María José").pk,
                            candidate_id=tij_case.members.get().pk, decision="same")
    client.force_login(outsider)

    response = client.post(reverse("case_merge", args=[with_son.pk]), {"kept_case": tij_case.pk}, follow=True)

    assert "move the others to a case of their own first" in response.content.decode() or \
        "a un caso propio" in response.content.decode()
    assert Case.objects.get(pk=with_son.pk).status == "registered"


def test_a_user_who_may_not_see_the_case_cannot_merge_it(client, caseworker, first_approved_then_linked):
    tij_case, tap_case = first_approved_then_linked
    client.force_login(caseworker)  # Tijuana's caseworker, on Tapachula's case

    response = client.post(reverse("case_merge", args=[tap_case.pk]), {"kept_case": tij_case.pk})

    assert response.status_code == 404
    assert Case.objects.get(pk=tap_case.pk).status == "pending_approval"


# The side-by-side comparison.

def test_the_comparison_shows_what_deciding_needs_and_audits_the_other_offices_record(client, outsider, caseworker,
                                                                                      tij_case, tap_case):
    Member.objects.filter(case=tij_case).update(phone="+504 9988-7766")
    household_member = household(actor=caseworker, programme=tij_case.programme, office=tij_case.registering_office,
                                 people=[maria(given_names="Wilmer", family_names="Pineda", sex="male",
                                               date_of_birth=date(1985, 1, 1), document_number="", phone="")])
    Member.objects.filter(case=household_member).update(case=tij_case, relationship="spouse")
    client.force_login(outsider)
    before = AuditEvent.objects.filter(reason="duplicate comparison").count()

    page = client.get(reverse("case_duplicates", args=[tap_case.pk])).content.decode()

    card = page[page.index(f'data-candidate="{tij_case.members.get(given_names="María José").pk}"'):]
    assert 'data-testid="candidate-birth-date">1990-03-14<' in card
    assert "Honduras" in card and PASSPORT in card and "+504 9988-7766" in card
    assert "Wilmer Pineda" in card  # the household travelling with her
    assert 'data-testid="candidate-office">TIJ<' in card
    assert tij_case.reference not in page
    audit = AuditEvent.objects.filter(reason="duplicate comparison")
    assert audit.count() == before + 1
    assert audit.last().object_ids == [tij_case.pk] and audit.last().actor == outsider


def test_a_candidate_the_user_may_already_open_is_shown_with_its_reference_and_no_extra_audit_line(
        client, supervisor, tij_case, tap_case):
    client.force_login(supervisor)

    page = client.get(reverse("case_duplicates", args=[tap_case.pk])).content.decode()

    assert f'data-testid="candidate-reference">{tij_case.reference}<' in page
    assert not AuditEvent.objects.filter(reason="duplicate comparison").exists()


def test_the_comparison_keeps_showing_the_linked_record_after_same_person(client, outsider, tij_case, tap_case):
    link(tap_case, tij_case, outsider)
    client.force_login(outsider)

    page = client.get(reverse("case_duplicates", args=[tap_case.pk])).content.decode()

    assert f'data-linked="{tij_case.members.get().pk}"' in page
    assert 'data-testid="nothing-to-decide"' in page
    assert 'data-testid="same-person-link"' in page


# A travel document number is unique among active travellers.

def document(number: str, status: str = "ready") -> dict:
    return {"type": "passport", "number": number, "status": status, "issued_on": date.today() - timedelta(days=30),
            "expires_on": date.today() + timedelta(days=3000)}


@pytest.fixture
def approved_pair(caseworker, outsider, supervisor, caravan, tij, tap):
    """Two different people, both approved: only their documents will clash."""
    first = household(actor=caseworker, programme=caravan, office=tij, people=[maria()], status="approved")
    second = household(actor=outsider, programme=caravan, office=tap, status="approved", people=[maria(
        given_names="Santos", family_names="Reyes", date_of_birth=date(1979, 9, 9), document_number="", phone="")])
    return first, second


def test_a_travel_document_number_held_by_another_active_traveller_is_refused_in_the_api(movement_officer,
                                                                                         approved_pair):
    first, second = approved_pair
    travel.travel_document_record(actor=movement_officer, member_id=first.members.get().pk, data=document("HN0009911"))
    url = f"/api/v1/members/{second.members.get().pk}/travel-documents/"

    response = api_as(movement_officer).post(url, {**document("hn 000-9911"), "issued_on": str(
        date.today() - timedelta(days=30)), "expires_on": str(date.today() + timedelta(days=3000))}, format="json")

    assert response.status_code == 400
    assert "number" in response.json()["fields"]
    assert not TravelDocument.objects.filter(member__case=second).exists()


def test_the_travel_document_page_puts_the_refusal_next_to_the_number(client, caseworker, outsider, approved_pair,
                                                                      movement_officer):
    first, second = approved_pair
    travel.travel_document_record(actor=movement_officer, member_id=first.members.get().pk, data=document(PASSPORT))
    client.force_login(outsider)
    member = second.members.get()

    response = client.post(reverse("travel_document_new", args=[second.pk, member.pk]), {
        "type": "passport", "number": PASSPORT, "status": "ready", "issued_on": "2018-01-01",
        "expires_on": "2030-01-01"})

    assert response.status_code == 200
    assert "id_number_error" in response.content.decode()
    assert not TravelDocument.objects.filter(member=member).exists()


def test_a_number_held_only_in_a_case_that_is_no_longer_active_is_accepted(movement_officer, approved_pair):
    first, second = approved_pair
    travel.travel_document_record(actor=movement_officer, member_id=first.members.get().pk, data=document(PASSPORT))
    Case.objects.filter(pk=first.pk).update(status="closed")

    travel.travel_document_record(actor=movement_officer, member_id=second.members.get().pk, data=document(PASSPORT))

    assert TravelDocument.objects.filter(member__case=second, number=PASSPORT).exists()


def test_booking_refuses_a_household_whose_ready_document_another_active_traveller_holds(
        movement_officer, tij, sps, approved_pair):
    _first, second = approved_pair
    for case in approved_pair:  # given: recorded before the rule, or while the other case was not yet approved
        TravelDocument.objects.create(member=case.members.get(), recorded_by=movement_officer, **document(PASSPORT))
    bus = convoy(movement_officer, tij, sps)

    response = api_as(movement_officer).post(f"/api/v1/movements/{bus.pk}/bookings/", {"case": second.pk},
                                             format="json")

    assert response.status_code == 409
    assert "travel_document_taken" in [u["code"] for u in response.json()["unmet"]]
    assert not Booking.objects.exists()
    assert Case.objects.get(pk=second.pk).status == "approved"


# An exact document match is found however large the name block.

@pytest.fixture
def common_name_block(caseworker, caravan, tij):
    """700 other María José Hernández López born around 1990 registered first, then the one with the passport."""
    from cases.services import member_with_keys

    earlier = household(actor=caseworker, programme=caravan, office=tij, people=[maria(document_number="HX9999999")])
    Member.objects.bulk_create([member_with_keys(Member(
        case=earlier, relationship="other", given_names="María José", family_names="Hernández López", sex="female",
        date_of_birth=date(1989 + n % 3, 1 + n % 12, 1 + n % 28), nationality="HN", document_type="passport",
        document_number=f"HX{n:07d}")) for n in range(700)])
    # Different people in the old name block look alike; the one with the passport was registered last.
    return household(actor=caseworker, programme=caravan, office=tij, people=[maria()])


def test_registering_the_same_passport_again_at_another_booth_is_caught_in_a_700_person_name_block(
        outsider, common_name_block, places_for_api):
    body = {"programme": "CARAVAN-2018", "office": "TAP", "destination_country": "HN", "how_heard": "shelter",
            "consent": {"type": "explicit"}, "members": [{
                "given_names": "María José", "family_names": "Hernández López", "sex": "female",
                "date_of_birth": "1990-03-14", "nationality": "HN", "relationship": "principal",
                "document_type": "passport", "document_number": PASSPORT, "place_of_origin": "Choloma"}]}

    response = api_as(outsider).post("/api/v1/cases/", body, format="json")

    assert response.status_code == 409, response.json()
    first = response.json()["possible_duplicates"][0]
    assert first["member_id"] == common_name_block.members.get(document_number=PASSPORT).pk
    assert first["reasons"][0] == "document"
    assert Case.objects.count() == 2  # nothing registered


def test_the_registration_page_proposes_the_exact_passport_match_in_a_700_person_name_block(
        client, outsider, caravan, tap, common_name_block):
    from tests.test_registration_pages import PRINCIPAL, registration

    client.force_login(outsider)
    response = client.post(reverse("case_register"), registration(caravan, tap, [{**PRINCIPAL, "phone": ""}]))

    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="duplicate-documents"' in page
    assert f'data-candidate="{common_name_block.members.get(document_number=PASSPORT).pk}"' in page
    assert Case.objects.count() == 2  # nothing registered


@pytest.fixture
def places_for_api(tap, caravan):
    assert caravan.code == "CARAVAN-2018"
    return tap


def test_the_duplicate_link_itself_is_stored_both_ways_of_asking(outsider, tij_case, tap_case):
    link(tap_case, tij_case, outsider)

    assert DuplicateDecision.objects.get().decision == "same"
    assert person_member_ids(tap_case.members.get().pk) == person_member_ids(tij_case.members.get().pk)


def test_the_walk_over_a_person_is_never_jit_compiled(tij_case, tap_case):
    # The recursive walk's row guess makes PostgreSQL JIT-compile it (~400 ms per approval queue at 200k cases).
    from django.test.utils import CaptureQueriesContext

    from cases.identity import persons_of

    member_ids = list(Member.objects.filter(case__in=[tij_case, tap_case]).values_list("id", flat=True))
    with CaptureQueriesContext(connection) as captured:
        persons_of(member_ids)
    statements = [query["sql"].strip() for query in captured.captured_queries]
    walk = next(i for i, sql in enumerate(statements) if sql.startswith("WITH RECURSIVE person"))
    assert "SET LOCAL jit = off" in statements[:walk]
