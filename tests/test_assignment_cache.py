"""The user's assignments are kept per process, keyed by the access version the database bumps on every change."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from accounts.models import Assignment, Office, User
from tests.conftest import api_as
from tests.factories import household, staff

pytestmark = pytest.mark.django_db


def version_of(user) -> int:
    return User.objects.values_list("version", flat=True).get(pk=user.pk)


def assignment_queries(ctx) -> int:
    return sum('FROM "accounts_assignment"' in q["sql"] for q in ctx.captured_queries)


def listed(user) -> set[str]:
    fresh = User.objects.get(pk=user.pk)  # as authentication loads it on every request
    response = api_as(fresh).get("/api/v1/cases/")
    assert response.status_code == 200
    return {row["reference"] for row in response.json()["results"]}


def test_every_kind_of_change_to_an_assignment_moves_the_users_version(caseworker, tap):
    bystander = staff("cw_other", Role.CASEWORKER, office=tap)
    start, untouched = version_of(caseworker), version_of(bystander)

    Assignment.objects.create(user=caseworker, role=Role.SUPERVISOR)
    after_insert = version_of(caseworker)
    Assignment.objects.filter(user=caseworker, role=Role.SUPERVISOR).update(country="MX")  # no signals
    after_update = version_of(caseworker)
    Assignment.objects.filter(user=caseworker, role=Role.SUPERVISOR).delete()
    after_delete = version_of(caseworker)

    assert start < after_insert < after_update < after_delete
    assert version_of(bystander) == untouched


def test_a_change_to_an_office_moves_the_version_of_the_users_assigned_to_it(caseworker, tij, tap):
    bystander = staff("cw_other", Role.CASEWORKER, office=tap)
    before, untouched = version_of(caseworker), version_of(bystander)

    Office.objects.filter(pk=tij.pk).update(country="GT")

    assert version_of(caseworker) > before
    assert version_of(bystander) == untouched


def test_the_assignments_are_read_once_per_version_not_once_per_request(caseworker, caravan, tij):
    household(actor=caseworker, programme=caravan, office=tij)
    listed(caseworker)

    with CaptureQueriesContext(connection) as ctx:
        listed(caseworker)

    assert assignment_queries(ctx) == 0


def test_a_change_made_behind_the_applications_back_is_seen_on_the_next_request(caseworker, caravan, tij, tap):
    """As another web node, a bulk update or a DBA would make it: no signal reaches this process."""
    case = household(actor=caseworker, programme=caravan, office=tij)
    assert listed(caseworker) == {case.reference}

    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_assignment SET office_id = %s WHERE user_id = %s", [tap.pk, caseworker.pk])

    assert listed(caseworker) == set()


def test_a_removed_assignment_is_forgotten_at_once_within_the_process(caseworker, caravan, tij):
    case = household(actor=caseworker, programme=caravan, office=tij)
    assert listed(caseworker) == {case.reference}

    Assignment.objects.filter(user=caseworker).delete()

    assert listed(caseworker) == set()
