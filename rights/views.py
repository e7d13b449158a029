"""The member's data export, from the case page and from the API: one rule, two doors."""

import json

from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header

from audit.models import AuditAction
from audit.services import audit_record
from cases.selectors import case_get_for_user
from rights.pdf import member_export_pdf
from rights.selectors import member_export, member_for_export

PDF, JSON = "pdf", "json"


def member_export_response(*, request, member, access, as_format: str) -> HttpResponse:
    """The export as a download nobody caches; every export is written to the audit log with the member's id."""
    export = member_export(member=member, access=access, actor=request.user)
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
