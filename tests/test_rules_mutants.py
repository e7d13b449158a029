"""The safeguard lines a mutation run (`make mutants`) could change unnoticed, each held by a behaviour: who may make
a move, what each safeguard refuses and what it lets through, tried through case_transition on a real database."""

from datetime import date

import pytest

from cases.models import CaseEvent
from cases.services import TransitionRefused, case_transition
from screening import services as screening
from screening.models import ProtectionScreening
from tests.screening_steps import counsel, family, ready_for_submission
from tests.travel_steps import approved

pytestmark = pytest.mark.django_db


def submitted(case, caseworker):
    ready_for_submission(case, caseworker)
    case_transition(case_id=case.pk, to="pending_approval", actor=caseworker)
    case.refresh_from_db()
    return case


def snapshot(case) -> tuple:
    case.refresh_from_db()
    return case.status, case.version, CaseEvent.objects.filter(case=case).count()


def refused_codes(case, to, actor, **kwargs) -> list[tuple[str, int | None]]:
    before = snapshot(case)
    with pytest.raises(TransitionRefused) as refused:
        case_transition(case_id=case.pk, to=to, actor=actor, **kwargs)
    assert snapshot(case) == before
    return [(u.code, u.member_id) for u in refused.value.all_unmet]


def medical_flag(member, actor, fitness_outcome=None):
    """The member needs medical attention; with an outcome, a fitness-to-travel assessment is recorded too."""
    current = ProtectionScreening.objects.filter(member=member).first()
    fitness = None if fitness_outcome is None else {"outcome": fitness_outcome, "assessed_on": date(2018, 11, 21),
                                                    "clinician": "Dra. Ramírez"}
    screening.member_screening_save(
        actor=actor, member_id=member.pk, expected_version=current.version if current else None,
        protection={"fear_of_return": False, "screened_on": date(2018, 11, 20)}, vulnerabilities=[],
        fitness=fitness, needs_medical_attention=True)


# -- Fit to travel --------------------------------------------------------------------------------------------------

def test_a_youngest_member_needing_medical_attention_is_not_approved_without_a_fitness_assessment(
        caseworker, supervisor, caravan, tij):
    case = submitted(family(actor=caseworker, programme=caravan, office=tij), caseworker)
    son = case.members.order_by("id").last()
    medical_flag(son, caseworker)

    assert refused_codes(case, "approved", supervisor) == [("fitness_missing", son.pk)]


@pytest.mark.parametrize("outcome, refused", [("fit", False), ("fit_with_escort", False), ("unfit", True)])
def test_only_a_member_found_unfit_to_travel_keeps_the_household_from_approval(
        caseworker, supervisor, caravan, tij, outcome, refused):
    case = submitted(family(actor=caseworker, programme=caravan, office=tij), caseworker)
    son = case.members.order_by("id").last()
    medical_flag(son, caseworker, fitness_outcome=outcome)

    if refused:
        assert refused_codes(case, "approved", supervisor) == [("unfit_to_travel", son.pk)]
    else:
        case_transition(case_id=case.pk, to="approved", actor=supervisor)
        case.refresh_from_db()
        assert case.status == "approved"


# -- Counselling ----------------------------------------------------------------------------------------------------

def test_the_latest_counselling_session_decides_whether_the_person_wishes_to_return(caseworker, caravan, tij):
    case = family(actor=caseworker, programme=caravan, office=tij)
    ready_for_submission(case, caseworker)
    counsel(case, caseworker, outcome="does_not_wish")

    assert ("counselling_not_wishing_to_return", None) in refused_codes(case, "pending_approval", caseworker)


def test_a_person_undecided_at_first_and_wishing_to_return_later_is_submitted(caseworker, caravan, tij):
    case = family(actor=caseworker, programme=caravan, office=tij)
    counsel(case, caseworker, outcome="undecided")
    ready_for_submission(case, caseworker)

    case_transition(case_id=case.pk, to="pending_approval", actor=caseworker)

    case.refresh_from_db()
    assert case.status == "pending_approval"


@pytest.mark.parametrize("outcome", ["undecided", "does_not_wish"])
def test_a_person_who_does_not_say_they_wish_to_return_is_not_submitted(caseworker, caravan, tij, outcome):
    case = family(actor=caseworker, programme=caravan, office=tij)
    ready_for_submission(case, caseworker)
    counsel(case, caseworker, outcome=outcome)

    assert ("counselling_not_wishing_to_return", None) in refused_codes(case, "pending_approval", caseworker)


# -- Who may make a move --------------------------------------------------------------------------------------------

@pytest.fixture
def no_show(caseworker, supervisor, caravan, tij):
    from cases.choices import CaseStatus

    case = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    CaseEvent.objects.create(case=case, actor=supervisor, from_status=case.status, to_status="no_show", note="test")
    type(case).objects.filter(pk=case.pk).update(status=CaseStatus.NO_SHOW)
    case.refresh_from_db()
    return case


@pytest.mark.parametrize("who", ["caseworker", "movement_officer"])
def test_a_household_that_did_not_board_is_approved_again_by_its_caseworker_or_a_movement_officer(
        no_show, who, request):
    case_transition(case_id=no_show.pk, to="approved", actor=request.getfixturevalue(who))

    no_show.refresh_from_db()
    assert no_show.status == "approved"


@pytest.fixture
def arrived(caseworker, caravan, tij, sps):
    from tests.factories import household

    return household(actor=caseworker, programme=caravan, office=tij, status="arrived", reception_centre=sps)


@pytest.mark.parametrize("who", ["supervisor", "reception"])
def test_an_arrived_household_is_closed_by_its_supervisor_or_its_reception_centre(arrived, who, request):
    case_transition(case_id=arrived.pk, to="closed", actor=request.getfixturevalue(who),
                    choices={"closure_reason": "completed"})

    arrived.refresh_from_db()
    assert arrived.status == "closed" and arrived.closure_reason == "completed"


@pytest.mark.parametrize("status, to, who", [
    ("registered", "withdrawn", "caseworker"), ("approved", "on_hold", "supervisor"),
    ("pending_approval", "rejected", "supervisor"), ("booked", "withdrawn", "caseworker"),
    ("screening", "referred_out", "caseworker"), ("pending_approval", "referred_out", "caseworker"),
    ("booked", "on_hold", "supervisor"), ("on_hold", "withdrawn", "caseworker"), ("no_show", "withdrawn", "caseworker"),
    ("rejected", "withdrawn", "caseworker"), ("approved", "withdrawn", "caseworker"),
])
def test_a_move_that_must_say_why_is_refused_without_a_note(caseworker, supervisor, caravan, tij, status, to, who,
                                                           request):
    from django.core.exceptions import ValidationError

    from tests.factories import household

    case = household(actor=caseworker, programme=caravan, office=tij, status=status)
    before = snapshot(case)

    with pytest.raises(ValidationError):
        case_transition(case_id=case.pk, to=to, actor=request.getfixturevalue(who), note="  ")

    assert snapshot(case) == before


# -- Referral out on a protection need ------------------------------------------------------------------------------

@pytest.fixture
def fearing(caseworker, caravan, tij):
    from tests.screening_steps import screen

    case = family(actor=caseworker, programme=caravan, office=tij)
    ready_for_submission(case, caseworker)
    principal = case.members.order_by("id").first()
    screen(principal, caseworker, fear=True, version=ProtectionScreening.objects.get(member=principal).version)
    case_transition(case_id=case.pk, to="screening", actor=caseworker)
    case.refresh_from_db()
    return case


def test_a_person_who_fears_return_is_referred_out_although_the_safeguards_of_a_return_fail(fearing, caseworker):
    from screening.models import ProtectionReferral

    case_transition(case_id=fearing.pk, to="referred_out", actor=caseworker, note="Teme volver a su colonia.",
                    choices={"referred_to": "unhcr"})

    fearing.refresh_from_db()
    assert fearing.status == "referred_out"
    assert list(ProtectionReferral.objects.filter(case=fearing).values_list("referred_to", flat=True)) == ["unhcr"]


@pytest.mark.parametrize("referred_to", [None, "", "embassy"])
def test_a_referral_out_is_refused_until_its_recipient_is_chosen(fearing, caseworker, referred_to):
    assert refused_codes(fearing, "referred_out", caseworker, note="Teme volver.",
                         choices={"referred_to": referred_to}) == [("referral_recipient_missing", None)]


def test_a_case_with_no_protection_flag_is_not_referred_out(caseworker, caravan, tij):
    case = family(actor=caseworker, programme=caravan, office=tij)
    ready_for_submission(case, caseworker)
    case_transition(case_id=case.pk, to="screening", actor=caseworker)

    assert refused_codes(case, "referred_out", caseworker, note="Por si acaso.",
                         choices={"referred_to": "unhcr"}) == [("no_protection_flag", None)]


# -- Four eyes ------------------------------------------------------------------------------------------------------

def test_a_supervisor_who_submitted_the_case_cannot_approve_it_and_another_supervisor_can(
        caseworker, supervisor, caravan, tij):
    from accounts.choices import Role
    from tests.factories import staff

    case = family(actor=caseworker, programme=caravan, office=tij)
    ready_for_submission(case, caseworker)
    case_transition(case_id=case.pk, to="pending_approval", actor=supervisor)

    assert refused_codes(case, "approved", supervisor) == [("same_person_cannot_approve", None)]

    colleague = staff("sup_mx_2", Role.SUPERVISOR, programme=caravan, country="MX")
    case_transition(case_id=case.pk, to="approved", actor=colleague)
    case.refresh_from_db()
    assert case.status == "approved"


# -- A child travelling alone ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("outcome, consent, codes", [
    ("return", True, []),
    ("no_return", True, ["best_interests_not_return"]),
    ("return", False, ["guardian_consent_missing"]),
    ("no_return", False, ["best_interests_not_return", "guardian_consent_missing"]),
])
def test_a_child_alone_is_submitted_only_with_a_decision_for_return_and_the_guardians_consent(
        caseworker, caravan, tij, outcome, consent, codes):
    from tests.screening_steps import lone_child, screen

    case = lone_child(actor=caseworker, programme=caravan, office=tij)
    counsel(case, caseworker)
    child = case.members.get()
    screen(child, caseworker)
    screening.best_interests_save(actor=caseworker, member_id=child.pk, expected_version=None, data={
        "responsible_authority": "DIF Tijuana", "guardian_name": "PPNNA", "child_views": "Volver con su abuela",
        "options_considered": "Retorno", "outcome": outcome, "decided_on": date(2018, 11, 19),
        "guardian_consent": consent, "guardian_consent_on": date(2018, 11, 19) if consent else None})

    if codes:
        assert refused_codes(case, "pending_approval", caseworker) == [(code, child.pk) for code in codes]
    else:
        case_transition(case_id=case.pk, to="pending_approval", actor=caseworker)
        case.refresh_from_db()
        assert case.status == "pending_approval"


# -- The buttons of the case page -----------------------------------------------------------------------------------

def case_page_steps(case, user) -> dict:
    from cases.permissions import case_access
    from cases.selectors import case_next_steps_for_user

    return {step["to"]: step for step in case_next_steps_for_user(case=case, access=case_access(user, case),
                                                                   user=user)}


def test_the_case_page_offers_each_user_only_the_moves_their_role_may_make(caseworker, supervisor, caravan, tij):
    case = submitted(family(actor=caseworker, programme=caravan, office=tij), caseworker)

    assert set(case_page_steps(case, caseworker)) == {"withdrawn"}
    assert set(case_page_steps(case, supervisor)) == {"approved", "rejected", "withdrawn"}


def test_the_case_page_asks_to_confirm_only_a_move_that_cannot_be_undone_and_a_reason_only_where_one_is_due(
        caseworker, supervisor, caravan, tij):
    case = submitted(family(actor=caseworker, programme=caravan, office=tij), caseworker)

    steps = case_page_steps(case, supervisor)

    assert {to: (step["confirm"], step["needs_note"]) for to, step in steps.items()} == {
        "approved": (False, False), "rejected": (False, True), "withdrawn": (True, True)}


# -- Who is a child, on the day that matters ------------------------------------------------------------------------

@pytest.mark.parametrize("born, day, child", [
    (date(2000, 11, 25), date(2018, 11, 24), True),    # the day before the eighteenth birthday
    (date(2000, 11, 25), date(2018, 11, 25), False),   # the eighteenth birthday itself
    (date(2000, 11, 25), date(2018, 11, 26), False),
    (date(2000, 12, 1), date(2018, 11, 30), True),     # an earlier month of the same year
    (date(2000, 2, 29), date(2018, 2, 28), True),      # born on 29 February: adult on 1 March
    (date(2000, 2, 29), date(2018, 3, 1), False),
    (date(2002, 2, 28), date(2020, 2, 29), False),     # on 29 February, whoever turned eighteen the day before
    (date(2002, 3, 1), date(2020, 2, 29), True),
    (date(1990, 3, 14), date(2018, 11, 25), False),
    (date(2017, 7, 9), date(2018, 11, 25), True),
])
def test_a_person_is_a_child_until_the_day_they_turn_eighteen(caseworker, caravan, tij, born, day, child):
    from cases.models import Member
    from cases.people import child_on_q, is_adult, is_child
    from tests.factories import household

    case = household(actor=caseworker, programme=caravan, office=tij)
    member = case.members.get()
    Member.objects.filter(pk=member.pk).update(date_of_birth=born)
    member.refresh_from_db()

    assert is_child(member, on=day) is child
    assert is_adult(member, on=day) is (not child)
    assert Member.objects.filter(child_on_q(day), pk=member.pk).exists() is child


@pytest.mark.parametrize("born, day, age", [
    (date(2000, 11, 25), date(2018, 11, 24), 17), (date(2000, 11, 25), date(2018, 11, 25), 18),
    (date(2000, 11, 25), date(2018, 10, 30), 17), (date(2000, 11, 25), date(2018, 12, 1), 18),
])
def test_an_age_counts_the_birthdays_already_passed(born, day, age):
    from cases.people import age_on

    assert age_on(born, day) == age


def test_a_person_with_no_birth_date_is_neither_child_nor_adult_today(caseworker, caravan, tij):
    from cases.models import Member
    from cases.people import is_adult, is_child
    from tests.factories import household

    member = household(actor=caseworker, programme=caravan, office=tij).members.get()
    Member.objects.filter(pk=member.pk).update(date_of_birth=None)
    member.refresh_from_db()

    assert not is_child(member) and not is_adult(member)


def test_without_a_day_a_person_is_judged_on_today(caseworker, caravan, tij):
    from django.utils import timezone

    from cases.models import Member
    from cases.people import is_adult, is_child
    from tests.factories import household

    member = household(actor=caseworker, programme=caravan, office=tij).members.get()
    today = timezone.localdate()
    Member.objects.filter(pk=member.pk).update(date_of_birth=today.replace(year=today.year - 18))
    member.refresh_from_db()

    assert is_adult(member) and not is_child(member)
    Member.objects.filter(pk=member.pk).update(date_of_birth=today.replace(year=today.year - 18)
                                              + (date(2018, 1, 2) - date(2018, 1, 1)))
    member.refresh_from_db()
    assert is_child(member) and not is_adult(member)


@pytest.mark.parametrize("submit", [False, True])
def test_the_case_page_offers_the_referral_out_of_a_person_who_fears_return_with_a_reason_and_a_confirmation(
        caseworker, caravan, tij, submit):
    from tests.screening_steps import screen

    case = family(actor=caseworker, programme=caravan, office=tij)
    ready_for_submission(case, caseworker)
    case_transition(case_id=case.pk, to="pending_approval" if submit else "screening", actor=caseworker)
    principal = case.members.order_by("id").first()
    screen(principal, caseworker, fear=True, version=ProtectionScreening.objects.get(member=principal).version)
    case.refresh_from_db()

    step = case_page_steps(case, caseworker)["referred_out"]

    assert step["confirm"] and step["needs_note"]
    assert step["missing"] == []  # where to refer is chosen with the button, not missing before it


# -- Booking: what the movement officer is told, and the limits of a movement ---------------------------------------

def bus_with_child_escort(officer, tij, centre, **kwargs):
    from tests.travel_steps import convoy, with_child_escort

    return with_child_escort(convoy(officer, tij, centre, **kwargs), officer)


def booking_refused(case, movement, officer) -> list[str]:
    from travel import services as travel
    from travel.models import Booking

    before = snapshot(case)
    with pytest.raises(TransitionRefused) as refused:
        travel.case_book(actor=officer, movement_id=movement.pk, case_id=case.pk)
    assert snapshot(case) == before and not Booking.objects.filter(case=case).exists()
    return [u.code for u in refused.value.unmet]


def test_a_household_fills_the_last_seats_of_a_movement(ready_family, movement_officer, tij, sps):
    from travel import services as travel

    movement = bus_with_child_escort(movement_officer, tij, sps, capacity=3)

    travel.case_book(actor=movement_officer, movement_id=movement.pk, case_id=ready_family.pk)

    ready_family.refresh_from_db()
    assert ready_family.status == "booked"
    assert sorted(movement.bookings.values_list("seat", flat=True)) == [1, 2, 3]


def test_a_household_is_not_split_over_the_seats_left(ready_family, movement_officer, tij, sps):
    movement = bus_with_child_escort(movement_officer, tij, sps, capacity=2)

    assert booking_refused(ready_family, movement, movement_officer) == ["capacity_exceeded"]


def test_a_travel_document_expiring_on_the_day_of_departure_still_carries_its_traveller(
        caseworker, supervisor, movement_officer, caravan, tij, sps):
    from django.utils import timezone

    from tests.travel_steps import documents_ready
    from travel import services as travel
    from travel.models import TravelDocument

    case = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    movement = bus_with_child_escort(movement_officer, tij, sps)
    documents_ready(case, movement_officer)
    departure_day = timezone.localtime(movement.departure_at).date()
    TravelDocument.objects.filter(member__case=case).update(expires_on=departure_day)

    travel.case_book(actor=movement_officer, movement_id=movement.pk, case_id=case.pk)

    case.refresh_from_db()
    assert case.status == "booked"


def test_a_movement_officer_is_told_of_a_missing_document_and_of_no_screening_matter(
        ready_family, movement_officer, tij, sps):
    from travel.models import TravelDocument

    movement = bus_with_child_escort(movement_officer, tij, sps)
    son = ready_family.members.order_by("id").last()
    TravelDocument.objects.filter(member=son).update(status="requested")

    assert booking_refused(ready_family, movement, movement_officer) == ["travel_document_missing"]


def test_a_movement_officer_is_told_who_is_unfit_to_travel_but_not_who_fears_return(
        ready_family, movement_officer, caseworker, tij, sps):
    from cases.models import Member
    from screening.models import FitnessToTravel

    movement = bus_with_child_escort(movement_officer, tij, sps)
    principal, *_, son = ready_family.members.order_by("id")
    # Facts written behind the services' back (e.g. a bulk update): the booking must still find them.
    ProtectionScreening.objects.filter(member=principal).update(fear_of_return=True)
    Member.objects.filter(pk=son.pk).update(needs_medical_attention=True)
    FitnessToTravel.objects.create(member=son, outcome="unfit", assessed_on=date(2018, 11, 21),
                                   clinician="Dra. Núñez", recorded_by=caseworker)

    assert booking_refused(ready_family, movement, movement_officer) == ["unfit_to_travel", "screening_unmet"]


def test_the_case_page_offers_the_submission_before_it_is_ready_and_says_what_is_missing(caseworker, caravan, tij):
    case = family(actor=caseworker, programme=caravan, office=tij)
    case_transition(case_id=case.pk, to="screening", actor=caseworker)
    case.refresh_from_db()

    steps = case_page_steps(case, caseworker)

    assert set(steps) == {"pending_approval", "withdrawn"}
    assert len(steps["pending_approval"]["missing"]) >= 4  # counselling, each member's screening, declarations
    assert steps["withdrawn"]["missing"] == []


# -- Closure --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("reason, note, code", [
    (None, "", "closure_reason_missing"), ("finished", "", "closure_reason_missing"),
    ("other", "", "closure_note_missing"),
])
def test_a_case_is_not_closed_without_a_known_reason_and_other_not_without_a_note(
        arrived, supervisor, reason, note, code):
    assert refused_codes(arrived, "closed", supervisor, note=note,
                         choices={"closure_reason": reason}) == [(code, None)]


def test_a_case_closed_for_another_reason_keeps_the_note_that_says_which(arrived, supervisor):
    case_transition(case_id=arrived.pk, to="closed", actor=supervisor, note="Se mudó a otra ciudad.",
                    choices={"closure_reason": "other"})

    arrived.refresh_from_db()
    assert arrived.status == "closed" and arrived.closure_reason == "other"
    assert CaseEvent.objects.filter(case=arrived).latest("id").note == "Se mudó a otra ciudad."


@pytest.mark.parametrize("status, who, offered", [
    ("approved", "movement_officer", set()),            # booked from a movement, not from the case page
    ("approved", "supervisor", {"on_hold", "withdrawn"}),
    ("booked", "movement_officer", set()),              # unbooked, departed or not boarded on the movement page
    ("in_transit", "reception", set()),                 # arrives when its travellers are checked in
])
def test_the_travel_and_arrival_moves_are_never_buttons_of_the_case_page(caseworker, caravan, tij, sps, status,
                                                                          who, offered, request):
    from tests.factories import household

    case = household(actor=caseworker, programme=caravan, office=tij, status=status, reception_centre=sps)

    assert set(case_page_steps(case, request.getfixturevalue(who))) == offered


def test_the_case_page_asks_to_confirm_a_closure(arrived, supervisor):
    assert case_page_steps(arrived, supervisor)["closed"]["confirm"]


def test_withdrawing_a_booked_household_gives_its_seats_back_and_the_centre_stops_seeing_it(
        ready_family, movement_officer, caseworker, reception, tij, sps):
    from tests.conftest import api_as
    from travel import services as travel
    from travel.models import Booking

    movement = bus_with_child_escort(movement_officer, tij, sps)
    travel.case_book(actor=movement_officer, movement_id=movement.pk, case_id=ready_family.pk)
    travel.movement_transition(actor=movement_officer, movement_id=movement.pk, to="confirmed")
    assert api_as(reception).get(f"/api/v1/cases/{ready_family.pk}/").status_code == 200

    case_transition(case_id=ready_family.pk, to="withdrawn", actor=caseworker, note="Decidió quedarse.")

    ready_family.refresh_from_db()
    assert ready_family.status == "withdrawn" and ready_family.reception_centre_id is None
    assert set(Booking.objects.filter(case=ready_family).values_list("status", flat=True)) == {"cancelled"}
    assert api_as(reception).get(f"/api/v1/cases/{ready_family.pk}/").status_code == 404


def test_what_a_submission_lacks_is_listed_for_the_household_first_then_member_by_member(caseworker, caravan, tij):
    case = family(actor=caseworker, programme=caravan, office=tij)
    case_transition(case_id=case.pk, to="screening", actor=caseworker)
    mother, father, son = case.members.order_by("id")

    assert refused_codes(case, "pending_approval", caseworker) == [
        ("counselling_missing", None),
        ("protection_screening_missing", mother.pk), ("declaration_missing", mother.pk),
        ("protection_screening_missing", father.pk), ("declaration_missing", father.pk),
        ("protection_screening_missing", son.pk),
    ]


def test_each_missing_condition_names_the_member_it_is_about(caseworker, caravan, tij):
    case = family(actor=caseworker, programme=caravan, office=tij)
    case_transition(case_id=case.pk, to="screening", actor=caseworker)

    with pytest.raises(TransitionRefused) as refused:
        case_transition(case_id=case.pk, to="pending_approval", actor=caseworker)

    messages = {(u.code, u.member_id): str(u.message) for u in refused.value.unmet}
    for member in case.members.all():
        assert member.full_name in messages[("protection_screening_missing", member.pk)]
    assert "%(" not in " ".join(messages.values())


def test_django_s_system_checks_report_a_lifecycle_guard_nobody_registered(monkeypatch):
    from django.core.checks import run_checks

    from cases.transitions import ALLOWED, Move

    assert "cases.E001" not in [e.id for e in run_checks()]
    monkeypatch.setitem(ALLOWED["registered"], "closed", Move(frozenset({"caseworker"}), guards=("no_such_guard",)))

    assert "cases.E001" in [e.id for e in run_checks()]


def test_a_child_alone_today_who_is_eighteen_on_the_day_of_travel_needs_no_best_interests_determination(
        caseworker, caravan, tij):
    from datetime import timedelta

    from django.utils import timezone

    from cases.models import Member
    from cases.people import adult_born_by
    from screening.rules import needs_best_interests
    from tests.screening_steps import lone_child

    child = lone_child(actor=caseworker, programme=caravan, office=tij).members.get()
    birthday = timezone.localdate() + timedelta(days=2)
    Member.objects.filter(pk=child.pk).update(date_of_birth=adult_born_by(birthday))
    child.refresh_from_db()

    assert needs_best_interests(child)
    assert not needs_best_interests(child, on=birthday)
