"""The arrival and closure rules a mutation run of reception/rules.py could change unnoticed: who must be checked in,
which child needs a handover, and what the closure button asks for."""

import pytest

from reception import services as reception_services
from tests.reception_steps import approved, child_alone, convoy, departed, documents_ready
from tests.screening_steps import family
from travel import services as travel

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_the_way(caseworker, supervisor, movement_officer, caravan, tij, sps):
    """A family with its son and a girl travelling alone, on a bus that has left for San Pedro Sula."""
    the_family = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    girl = child_alone(caseworker=caseworker, supervisor=supervisor, programme=caravan, office=tij)
    bus = convoy(movement_officer, tij, sps)
    travel.escort_add(actor=movement_officer, movement_id=bus.pk, data={"name": "Lucía Gómez", "kind": "child"})
    for case in (the_family, girl):
        documents_ready(case, movement_officer)
    departed(bus, movement_officer, [the_family, girl])
    return bus, the_family, girl


def checked_in(case, bus, staff) -> str:
    for member in case.members.order_by("id"):
        reception_services.check_in(actor=staff, movement_id=bus.pk, member_id=member.pk)
    case.refresh_from_db()
    return case.status


def test_a_family_arrives_once_everyone_is_checked_in_with_no_handover_for_the_child_with_its_parents(
        on_the_way, reception):
    bus, the_family, _ = on_the_way
    son = the_family.members.order_by("id").last()
    reception_services.check_in(actor=reception, movement_id=bus.pk, member_id=son.pk)
    the_family.refresh_from_db()
    assert the_family.status == "in_transit"

    assert checked_in(the_family, bus, reception) == "arrived"


def test_a_child_travelling_alone_arrives_only_once_handed_over(on_the_way, reception):
    from cases.services import TransitionRefused, case_transition

    bus, _, girl = on_the_way

    assert checked_in(girl, bus, reception) == "in_transit"
    with pytest.raises(TransitionRefused) as refused:
        case_transition(case_id=girl.pk, to="arrived", actor=reception)
    assert [u.code for u in refused.value.unmet] == ["handover_missing"]


def test_the_closure_button_asks_for_the_reason_with_the_button_not_before_it(caseworker, caravan, tij, sps,
                                                                               supervisor):
    from cases.permissions import case_access
    from cases.selectors import case_next_steps_for_user
    from tests.factories import household

    case = household(actor=caseworker, programme=caravan, office=tij, status="arrived", reception_centre=sps)

    steps = case_next_steps_for_user(case=case, access=case_access(supervisor, case), user=supervisor)

    assert [(s["to"], s["missing"]) for s in steps] == [("closed", [])]
