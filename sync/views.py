"""Browser doors of the offline booths' follow-up: the conflicts page and the sync monitor; the rules are the
services' (the API calls the same ones)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from avr.confirm import DEVICE_QUESTIONS, confirmation_step
from cases.fields import readable
from cases.models import Case, Member
from cases.permissions import case_access_batch
from sync.api import conflicts_shown
from sync.conflicts import TEAM_ROLES, AlreadyResolved, conflict_resolve
from sync.models import ConflictChoice
from sync.selectors import duplicates_to_decide_page, monitor_rows, open_conflicts_page
from sync.services import device_for_user, device_revoke, is_supervisor_of

PAGE_SIZE = 25


def _int_or_none(value) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


def value_shown(conflict, value) -> str:
    """A stored value as the case page would show it: labels for codes, dates in the reader's format."""
    if value in (None, "", []):
        return "—"
    model = Member if conflict.member_id else Case
    try:
        field = model._meta.get_field(conflict.field)
    except FieldDoesNotExist:  # estimated_age: a form field, a number of years
        return str(value)
    base = getattr(field, "base_field", field)
    labels = dict(base.flatchoices) if base.choices else {}
    if isinstance(value, list):
        return ", ".join(str(labels.get(v, v)) for v in value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(base, models.DateField) and isinstance(value, str) and parse_date(value):
        return formats.date_format(parse_date(value), "SHORT_DATE_FORMAT")
    return str(labels.get(value, value))


def conflict_rows(request, page: list) -> list[dict]:
    """Each conflict through the one field policy (and the page's cases into the audit log), ready to show."""
    shown = conflicts_shown(request.user, page, request=request)
    access = case_access_batch(request.user, list({c.case_id: c.case for c in page}.values()))
    rows = []
    for conflict, row in zip(page, shown, strict=True):
        case_access = access.get(conflict.case_id)
        row["member_name"] = (conflict.member.full_name if conflict.member_id
                              and readable(case_access, "cases.Member.given_names") else None)
        for name in ("base_value", "server_value", "device_value"):
            row[f"{name}_shown"] = value_shown(conflict, row[name])
        row["may_resolve"] = bool(case_access and case_access.roles & TEAM_ROLES)
        rows.append(row)
    return rows


@never_cache
@login_required
def conflict_list(request):
    """Open conflicts of the cases the user may see, each side by side; tablets' registrations still to de-duplicate."""
    conflicts, next_conflict = open_conflicts_page(user=request.user, before=_int_or_none(request.GET.get("before")),
                                                   size=PAGE_SIZE)
    since = parse_datetime(request.GET.get("received_before") or "")
    duplicates, next_duplicate = duplicates_to_decide_page(user=request.user, before=since, size=PAGE_SIZE)
    return render(request, "sync/conflicts.html", {
        "conflicts": conflict_rows(request, conflicts), "next_conflict": next_conflict,
        "duplicates": duplicates, "next_duplicate": next_duplicate.isoformat() if next_duplicate else None,
        "choices": ConflictChoice,
    })


@login_required
@require_POST
def conflict_resolve_view(request, pk: int):
    """Keep the server's value or take the tablet's (404 for who may not see the case)."""
    choice = request.POST.get("choice", "")
    try:
        conflict = conflict_resolve(actor=request.user, conflict_id=pk, choice=choice,
                                    note=request.POST.get("note", ""))
    except AlreadyResolved:
        messages.warning(request, _("Someone else already resolved this conflict. Nothing was changed."))
    except ValidationError as exc:
        messages.error(request, _("The tablet's value could not be taken: %(errors)s Nothing was changed.")
                       % {"errors": " ".join(exc.messages)})
    else:
        if choice == ConflictChoice.SERVER:
            text = _("Resolved for case %(reference)s: the server's value was kept.")
        else:
            text = _("Resolved for case %(reference)s: the tablet's value was taken.")
        messages.success(request, text % {"reference": conflict.case.reference})
    return redirect("sync_conflicts")


@never_cache
@login_required
def device_list(request):
    """The sync monitor: each tablet the user may see, those waiting too long first."""
    rows = monitor_rows(user=request.user)
    return render(request, "sync/devices.html", {"rows": rows, "alerts": sum(r.alert for r in rows),
                                                 "may_withdraw": any(r.may_withdraw for r in rows)})


@login_required
@require_POST
def device_revoke_view(request, pk):
    """Withdraw a lost or stolen tablet (supervisors), after the confirmation step."""
    reason = request.POST.get("reason", "")
    if reason.strip():
        asked = confirmation_step(request, DEVICE_QUESTIONS, "revoked", back=reverse("sync_devices"),
                                  may_act=lambda: is_supervisor_of(request.user, device_for_user(
                                      user=request.user, device_id=pk)))
        if asked is not None:
            return asked
    try:
        device = device_revoke(actor=request.user, device_id=pk, reason=reason)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Tablet “%(label)s” was withdrawn from service.") % {"label": device.label})
    return redirect("sync_devices")
