"""The member's data export and erasure request, from the case page and from the API: one rule, two doors."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.models import AuditAction
from audit.services import audit_record
from avr.replica import on_reporting_db
from cases.models import Member
from cases.selectors import case_get_for_user
from cases.views import ROLE_REFUSAL
from rights.pdf import member_export_pdf
from rights.selectors import member_export, member_for_export, member_on
from rights.services import member_erasure_request

PDF, JSON = "pdf", "json"


def member_export_response(*, request, member, access, as_format: str) -> HttpResponse:
    """The export as a download nobody caches; every export is written to the audit log with the member's id."""
    # Who may export was decided on the primary; the records are read from the replica while it keeps up.
    export = on_reporting_db(lambda db: member_export(member=member_on(db, member), access=access,
                                                      actor=request.user))
    audit_record(actor=request.user, action=AuditAction.EXPORT, request=request, object_type="cases.member",
                 object_id=str(member.pk), object_ids=[member.pk], reason=f"member data export ({as_format})")
    name = f"member-data-{member.case.reference}-{member.pk}"
    if as_format == PDF:
        response = HttpResponse(member_export_pdf(export=export), content_type="application/pdf")
        filename = f"{name}.pdf"
    else:
        response = HttpResponse(json.dumps(export, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
                                content_type="application/json")
        filename = f"{name}.json"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def member_export_view(request, pk: int, member_id: int):
    """Everything held about one member of the case, as a bilingual PDF (`?format=json` for the JSON)."""
    case, _access = case_get_for_user(user=request.user, case_id=pk, request=request)
    member, access = member_for_export(user=request.user, member_id=member_id)
    if member.case_id != case.pk:
        raise Http404
    as_format = JSON if request.GET.get("format") == JSON else PDF
    return member_export_response(request=request, member=member, access=access, as_format=as_format)


@login_required
@require_POST
def member_erasure_view(request, pk: int, member_id: int):
    """The case team records the person's erasure request; the page says whether it was carried out or refused."""
    case, _access = case_get_for_user(user=request.user, case_id=pk, request=request)
    if not Member.objects.filter(pk=member_id, case_id=case.pk).exists():
        raise Http404
    if request.POST.get("confirm") != "1":
        messages.error(request, _("Tick the box to confirm that the person asked for their data to be erased."))
        return redirect("case_detail", pk=pk)
    try:
        outcome = member_erasure_request(actor=request.user, member_id=member_id, reason=request.POST.get("reason"))
    except ValidationError as exc:
        messages.error(request, " ".join(m for errors in exc.message_dict.values() for m in errors))
    except PermissionDenied:
        messages.error(request, ROLE_REFUSAL)
    else:
        if outcome.refusal_code:
            messages.error(request, _("Erasure request #%(number)s refused: %(reason)s") % {
                "number": outcome.request.pk, "reason": outcome.refusal_reason})
        else:
            messages.success(request, _("Erasure request #%(number)s carried out: this person's data was erased "
                                        "(certificate %(run)s).") % {"number": outcome.request.pk,
                                                                     "run": outcome.certificate.run_id})
    return redirect("case_detail", pk=pk)
