"""The dashboards' counts are kept by a trigger in the writer's transaction and read without the case table."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from accounts.dashboard import dashboard_for_user
from cases.counts import case_counts, case_counts_fold, case_counts_rebuild
from cases.models import Case, CaseCount
from cases.services import case_transition
from tests.factories import household
from tests.screening_steps import ready_for_submission

pytestmark = pytest.mark.django_db

KEY = ("programme_id", "registering_office_id", "registration_country", "destination_country",
       "reception_centre_id", "status")


def live() -> dict:
    """The counts read the slow way, from every case."""
    return {tuple(row[k] for k in KEY): row["n"] for row in Case.objects.order_by().values(*KEY).annotate(n=Count("id"))}


def kept() -> dict:
    counts: dict = {}
    for row in CaseCount.objects.values(*KEY, "total"):
        key = tuple(row[k] for k in KEY)
        counts[key] = counts.get(key, 0) + row["total"]
    return {key: n for key, n in counts.items() if n}


def test_registrations_moves_changes_of_scope_and_deletes_keep_the_counts_true(caseworker, caravan, tij, sps):
    first, second, third = (household(actor=caseworker, programme=caravan, office=tij) for _ in range(3))
    assert kept() == live() and sum(live().values()) == 3

    ready_for_submission(first, caseworker)
    case_transition(case_id=first.pk, to="pending_approval", actor=caseworker)
    Case.objects.filter(pk=second.pk).update(reception_centre=sps, destination_country="HN")
    Case.objects.filter(pk=third.pk).update(caseworker_notes="no scope column changed")
    assert kept() == live()

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # past the audit log's refusal
        cursor.execute("DELETE FROM cases_member WHERE case_id = %s", [third.pk])
        cursor.execute("DELETE FROM cases_consent WHERE case_id = %s", [third.pk])
        cursor.execute("DELETE FROM cases_caseevent WHERE case_id = %s", [third.pk])
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        cursor.execute("DELETE FROM cases_case WHERE id = %s", [third.pk])
    assert kept() == live() and sum(live().values()) == 2


def test_an_unchanged_scope_writes_no_count_row(caseworker, caravan, tij):
    case = household(actor=caseworker, programme=caravan, office=tij)
    rows = CaseCount.objects.count()

    Case.objects.filter(pk=case.pk).update(caseworker_notes="typed again", version=case.version + 1)

    assert CaseCount.objects.count() == rows


def test_folding_leaves_one_row_per_combination_and_the_same_counts(caseworker, caravan, tij):
    cases = [household(actor=caseworker, programme=caravan, office=tij) for _ in range(4)]
    ready_for_submission(cases[0], caseworker)
    case_transition(case_id=cases[0].pk, to="pending_approval", actor=caseworker)
    before = kept()
    assert CaseCount.objects.count() > len(before)

    case_counts_fold()
    case_counts_fold()  # twice: nothing changes

    assert kept() == before == live()
    assert CaseCount.objects.count() == len(before)


def test_a_rebuild_counts_cases_that_went_in_without_the_trigger(caseworker, caravan, tij):
    case = household(actor=caseworker, programme=caravan, office=tij)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # as the bench's COPY loads
        cursor.execute("UPDATE cases_case SET status = 'screening' WHERE id = %s", [case.pk])
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    assert kept() != live()

    case_counts_rebuild()

    assert kept() == live()


@pytest.mark.django_db(transaction=True)
def test_two_registrations_at_one_booth_at_once_both_count(caseworker, caravan, tij):
    """Each writer appends its own +1: neither waits on a counter row the other holds, and neither is lost."""
    started = threading.Barrier(2)
    errors = []

    def register():
        try:
            started.wait(timeout=10)
            household(actor=caseworker, programme=caravan, office=tij)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    assert kept() == live() and sum(live().values()) == 2


def test_the_scoped_counts_match_the_visibility_rule(supervisor, caseworker, caravan, tij):
    from cases.permissions import cases_visible_to, role_scope_q

    for _ in range(3):
        household(actor=caseworker, programme=caravan, office=tij)

    counted = sum(row["total"] for row in case_counts(scope=role_scope_q(supervisor, "supervisor"), by=()))

    assert counted == cases_visible_to(supervisor).count() == 3


@pytest.mark.parametrize("persona", ["caseworker", "supervisor", "movement_officer", "admin_user"])
def test_no_dashboard_counts_over_the_case_table(request, persona, caravan, tij, caseworker):
    household(actor=caseworker, programme=caravan, office=tij)
    user = request.getfixturevalue(persona)

    with CaptureQueriesContext(connection) as queries:
        with transaction.atomic():
            dashboard_for_user(user=user)

    # A count grouped over the case table itself (a subquery naming the scope's cases is another matter).
    grouped_over_cases = [q["sql"] for q in queries.captured_queries
                          if 'FROM "cases_case"' in q["sql"].split(" WHERE ")[0] and "GROUP BY" in q["sql"]]
    assert grouped_over_cases == []
    assert any('FROM "cases_casecount"' in q["sql"] for q in queries.captured_queries)
