"""The fair peer of the case list: a DRF list filtered by django-guardian over one grant per visible case.

For each measured staff member a twin user (no assignments, so the project's own rules give it nothing) gets
`view_case` on exactly the cases the real user may see: one row per case in the direct-FK table
(cases.CaseUserObjectPermission, which guardian picks by itself) and, for the generic design, one row in
guardian_userobjectpermission. The request is a whole DRF ListAPIView with the project's serializer, cursor
pagination and LIST audit row; only the filter differs.
"""

from contextlib import contextmanager
from unittest import mock

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from guardian.models import UserObjectPermission
from guardian.shortcuts import get_objects_for_user
from rest_framework import generics

from accounts.models import User
from avr.api import CursorPagination
from cases.api.serializers import CaseSummarySerializer
from cases.models import Case
from cases.permissions import case_access_batch, cases_visible_to
from cases.selectors import case_summaries, cases_listed_audit

TWIN_PREFIX = "bench_twin_"


def twin_username(username: str) -> str:
    return f"{TWIN_PREFIX}{username}"


def real_user_of(twin) -> User:
    return User.objects.get(username=twin.username.removeprefix(TWIN_PREFIX))


def twin_grants_build(username: str) -> dict:
    """(Re)grant the twin exactly the cases `username` may see, in both tables; returns the row counts."""
    real = User.objects.get(username=username)
    twin, _ = User.objects.get_or_create(username=twin_username(username),
                                         defaults={"first_name": "Bench", "last_name": "Twin"})
    permission = Permission.objects.get(content_type__app_label="cases", codename="view_case")
    content_type = ContentType.objects.get_for_model(Case)
    visible_sql, params = cases_visible_to(real).values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM cases_caseuserobjectpermission WHERE user_id = %s", [twin.pk])
        cursor.execute("DELETE FROM guardian_userobjectpermission WHERE user_id = %s", [twin.pk])
        # Server-side bulk insert (one statement per table): the same rows a COPY would load, without a round trip.
        cursor.execute(
            "INSERT INTO cases_caseuserobjectpermission (user_id, permission_id, content_object_id) "
            f"SELECT DISTINCT %s, %s, v.id FROM ({visible_sql}) v", [twin.pk, permission.pk, *params])
        direct = cursor.rowcount
        cursor.execute(
            "INSERT INTO guardian_userobjectpermission (user_id, permission_id, content_type_id, object_pk) "
            f"SELECT DISTINCT %s, %s, %s, v.id::text FROM ({visible_sql}) v",
            [twin.pk, permission.pk, content_type.pk, *params])
        generic = cursor.rowcount
        cursor.execute("ANALYZE cases_caseuserobjectpermission")
        cursor.execute("ANALYZE guardian_userobjectpermission")
    return {"twin": twin.username, "direct_fk_grants": direct, "generic_grants": generic}


@contextmanager
def generic_table():
    """Make guardian read the generic table although Case has a direct-FK one (the design without it)."""
    with mock.patch("guardian.shortcuts.get_user_obj_perms_model", return_value=UserObjectPermission):
        yield


class GuardianCaseList(generics.ListAPIView):
    """What a team would build with guardian: the same serializer, pagination and audit row as cases' CaseList."""

    serializer_class = CaseSummarySerializer
    pagination_class = CursorPagination
    generic = False

    def get_queryset(self):
        if self.generic:
            with generic_table():
                visible = get_objects_for_user(self.request.user, "cases.view_case", klass=Case,
                                               accept_global_perms=False)
        else:
            visible = get_objects_for_user(self.request.user, "cases.view_case", klass=Case,
                                           accept_global_perms=False)
        return case_summaries(visible)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        # The fields a row shows follow the real user's role, as in the project's list.
        access = case_access_batch(real_user_of(request.user), page)
        cases_listed_audit(user=request.user, cases=page, request=request._request)
        serializer = self.get_serializer(page, many=True, context={**self.get_serializer_context(),
                                                                     "access": access})
        return self.get_paginated_response(serializer.data)


class GuardianGenericCaseList(GuardianCaseList):
    generic = True
