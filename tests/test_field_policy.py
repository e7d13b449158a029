"""One field policy (cases/fields.py): every personal field of every model is tagged once, and every door reads
through it. Sentinel strings go into every restricted field; each door is asked, as each role, which it shows."""

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from cases.fields import FIELD_GROUPS, FieldReader, field_group, is_bookkeeping, readable
from cases.permissions import ALL_GROUPS, CaseAccess, FieldGroup
from accounts.choices import Role

POLICY_APPS = ("cases", "screening", "travel", "reception")


def model_field_keys():
    for app in POLICY_APPS:
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.get_fields():
                if field.concrete or (field.many_to_many and not field.auto_created):
                    yield f"{model._meta.label}.{field.name}"


def test_every_field_of_every_model_is_tagged_or_declared_bookkeeping():
    untagged = [key for key in model_field_keys() if key not in FIELD_GROUPS and not is_bookkeeping(key)]

    assert untagged == []


def test_no_field_is_both_tagged_and_declared_bookkeeping():
    assert [key for key in FIELD_GROUPS if is_bookkeeping(key)] == []


def test_every_tag_names_a_field_that_exists_and_a_known_group():
    keys = set(model_field_keys())

    assert [key for key in FIELD_GROUPS if key not in keys] == []
    assert set(FIELD_GROUPS.values()) <= ALL_GROUPS


def test_a_field_the_policy_does_not_know_is_refused_loudly():
    with pytest.raises(ImproperlyConfigured):
        field_group("cases.Member.shoe_size")
    with pytest.raises(ImproperlyConfigured):
        readable(CaseAccess(roles=frozenset({Role.SUPERVISOR}), shared=False), "cases.Member.shoe_size")


@pytest.mark.parametrize(("roles", "shared", "reads_note"), [
    ({Role.CASEWORKER}, False, True), ({Role.SUPERVISOR}, False, True), (set(), True, True),
    ({Role.MOVEMENT_OFFICER}, False, False), ({Role.RECEPTION_STAFF}, False, False),
])
def test_timeline_notes_are_read_by_the_case_team_and_shared_users_only(roles, shared, reads_note):
    access = CaseAccess(roles=frozenset(roles), shared=shared)

    assert readable(access, "cases.CaseEvent.note") is reads_note
    assert FieldReader(access)["cases"]["CaseEvent"]["note"] is reads_note
    assert readable(access, "cases.CaseEvent.to_status") is True  # the event itself: when, who, from, to


def test_nobody_without_access_reads_even_bookkeeping():
    assert readable(None, "cases.Case.reference") is False


def test_reception_records_are_read_by_the_centre_and_the_case_team_not_by_movement_officers():
    key = "reception.Handover.official_name"

    assert FIELD_GROUPS[key] == FieldGroup.RECEPTION
    assert readable(CaseAccess(roles=frozenset({Role.RECEPTION_STAFF}), shared=False), key)
    assert readable(CaseAccess(roles=frozenset({Role.CASEWORKER}), shared=False), key)
    assert not readable(CaseAccess(roles=frozenset({Role.MOVEMENT_OFFICER}), shared=False), key)
