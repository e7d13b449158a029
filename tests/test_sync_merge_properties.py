"""Property tests of the offline merge rules: no protection-relevant value is ever lost or overwritten silently."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from cases.registration import MEMBER_EDITABLE_FIELDS
from sync.merge import MERGEABLE_MEMBER_FIELDS, Outcome, canonical, edit_merge, field_outcome

PROTECTED = [name for name in MEMBER_EDITABLE_FIELDS if name not in MERGEABLE_MEMBER_FIELDS]
values = st.one_of(st.none(), st.just(""), st.sampled_from(["HN", "SV", "F123456", "+504 1234-5678", " x "]),
                   st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 1, 1)), st.text(max_size=8))
fields = st.sampled_from(list(MEMBER_EDITABLE_FIELDS))
records = st.dictionaries(fields, values, max_size=len(MEMBER_EDITABLE_FIELDS))


@settings(max_examples=500, deadline=None)
@given(base=records, server=records, changes=records, same_version=st.booleans())
def test_a_protected_value_changed_on_the_server_is_never_overwritten_nor_dropped(base, server, changes,
                                                                                   same_version):
    merge = edit_merge(mergeable=MERGEABLE_MEMBER_FIELDS, base=base, server=server, changes=changes,
                       same_version=same_version)

    for name, device in changes.items():
        server_changed = canonical(server.get(name)) != canonical(base.get(name))
        differs = canonical(device) != canonical(server.get(name))
        if name in PROTECTED and server_changed and differs and not same_version:
            # Neither side wins: the server's value stays, the tablet's waits with both beside it.
            assert name not in merge.apply
            assert merge.conflicts[name] == (base.get(name), server.get(name), device)
        if differs:
            # The tablet's value is never dropped: it goes in, or it waits in a conflict.
            assert (name in merge.apply) != (name in merge.conflicts)
        else:
            assert name not in merge.apply and name not in merge.conflicts


@settings(max_examples=300, deadline=None)
@given(base=records, server=records, changes=records)
def test_nothing_outside_the_changes_is_touched_and_mergeable_fields_never_conflict(base, server, changes):
    merge = edit_merge(mergeable=MERGEABLE_MEMBER_FIELDS, base=base, server=server, changes=changes,
                       same_version=False)

    assert set(merge.apply) | set(merge.conflicts) <= set(changes)
    assert not set(merge.conflicts) & MERGEABLE_MEMBER_FIELDS


@settings(max_examples=300, deadline=None)
@given(base=values, server=values, device=values, mergeable=st.booleans())
def test_one_field_outcome_is_deterministic_and_symmetric_in_its_no_ops(base, server, device, mergeable):
    outcome = field_outcome(mergeable=mergeable, base=base, server=server, device=device)

    if canonical(device) == canonical(server):
        assert outcome is Outcome.KEEP
    elif canonical(server) == canonical(base):
        assert outcome is Outcome.APPLY
    else:
        assert outcome is (Outcome.APPLY if mergeable else Outcome.CONFLICT)


# The same property through the real door: POST /api/v1/sync/ against a record changed on the server meanwhile.

import uuid  # noqa: E402

import pytest  # noqa: E402
from hypothesis import HealthCheck  # noqa: E402

from cases.models import Member  # noqa: E402
from sync.models import SyncConflict  # noqa: E402
from tests.conftest import api_as  # noqa: E402
from tests.test_registration_api import family  # noqa: E402

births = st.sampled_from(["1990-01-01", "1991-02-02", "1992-05-01"])
documents = st.sampled_from(["F123456", "G765432", "H111111"])
phones = st.sampled_from(["+504 3344-5566", "+504 1111-2222", "+504 9999-0000"])


def operation(sequence, kind, payload):
    return {"id": str(uuid.uuid4()), "sequence": sequence, "kind": kind, "form_version": "registration-1",
            "captured_at": "2026-12-01T10:00:00Z", "payload": payload}


@pytest.mark.django_db
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(server_birth=births, device_birth=births, server_document=documents, device_document=documents,
       device_phone=phones)
def test_through_the_sync_api_no_protected_value_is_lost(caseworker, tij, tap, caravan, server_birth, device_birth,
                                                        server_document, device_document, device_phone):
    client = api_as(caseworker)
    tablet = client.post("/api/v1/devices/", {"label": "T"}, format="json").json()
    first = client.post("/api/v1/sync/", {"device": tablet["id"], "operations": [
        operation(1, "register", family())]}, format="json").json()["results"][0]["case"]
    member_id = first["members"][0]["id"]
    seen = {"date_of_birth": "1992-05-01", "document_number": "F123456", "phone": "+504 3344-5566"}
    Member.objects.filter(pk=member_id).update(date_of_birth=server_birth, document_number=server_document)

    client.post("/api/v1/sync/", {"device": tablet["id"], "operations": [operation(2, "member_edit", {
        "member": member_id, "base_version": 0, "base": seen, "changes": {
            "date_of_birth": device_birth, "document_number": device_document, "phone": device_phone}})]},
        format="json")

    member = Member.objects.get(pk=member_id)
    conflicts = {c.field: c for c in SyncConflict.objects.filter(member_id=member_id)}
    for name, server, device in (("date_of_birth", server_birth, device_birth),
                                 ("document_number", server_document, device_document)):
        now = canonical(getattr(member, name))
        if server != seen[name] and device != server:
            assert now == server and conflicts[name].device_value == device  # kept aside, not lost
        else:
            assert now == device and name not in conflicts
    assert member.phone == device_phone  # low risk: merged
