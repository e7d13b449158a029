"""The declaration of voluntary return as a download, from the case page and from the API: one rule, two doors."""


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import APIException
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from accounts.choices import Role
from audit.models import AuditAction
from audit.services import audit_record
from cases.people import is_adult
from cases.transitions import travel_day_of
from cases.models import Member
from cases.permissions import FieldGroup
from cases.selectors import case_get_for_user
from screening.pdf import declaration_pdf

CASE_TEAM = frozenset({Role.CASEWORKER, Role.SUPERVISOR})
UNDER_AGE = _("Only adults sign a declaration of voluntary return: this member is under 18.")
NO_BIRTH_DATE = _("Record this member's date of birth first: only adults sign a declaration of voluntary return.")


class DeclarationRefused(Exception):
    """The member cannot sign a declaration (a child, or an age nobody recorded)."""

    code = "declaration_adults_only"

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class AdultsOnly(APIException):
    status_code = 400
    default_code = DeclarationRefused.code


def declaration_member_get(*, case, access, member_id) -> Member:
    """The member of `case` whose declaration the user may download.

    404 unless the user reads identities and the member is in this case; 403 outside the case team (the user already
    sees the case, so nothing is confirmed); DeclarationRefused for a member who is not known to be an adult.
    """
    if FieldGroup.IDENTITY not in access.field_groups:
        raise Http404
    if not access.roles & CASE_TEAM:
        raise PermissionDenied
    try:
        member = case.members.get(pk=int(member_id))
    except (ValueError, TypeError, Member.DoesNotExist):
        raise Http404 from None
    if member.date_of_birth is None:
        raise DeclarationRefused(NO_BIRTH_DATE)
    if not is_adult(member, on=travel_day_of(case)):
        raise DeclarationRefused(UNDER_AGE)
    member.case = case  # already loaded with its programme
    return member


def declaration_download(*, request, member) -> HttpResponse:
    """The rendered declaration as an attachment nobody caches; the download is written to the audit log."""
    pdf = declaration_pdf(member=member)
    audit_record(actor=request.user, action=AuditAction.DOWNLOAD, request=request, object_type="cases.member",
                 object_id=str(member.pk), object_ids=[member.pk])
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"declaration-{member.case.reference}-{member.pk}.pdf"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def declaration_pdf_view(request, pk: int):
    """The declaration of one adult member (`?member=<id>`), to print and sign; a child's goes back to the case."""
    case, access = case_get_for_user(user=request.user, case_id=pk, request=request)
    try:
        member = declaration_member_get(case=case, access=access, member_id=request.GET.get("member"))
    except DeclarationRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("case_detail", pk=case.pk)
    return declaration_download(request=request, member=member)


class JsonErrorsOnly(BaseContentNegotiation):
    """Whatever the client accepts: success is the PDF itself, errors are the usual JSON (never a 406)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None


class DeclarationPdf(APIView):
    """The declaration of voluntary return of one adult member of a case, as a bilingual PDF."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonErrorsOnly

    @extend_schema(
        operation_id="cases_declaration_pdf",
        parameters=[OpenApiParameter("member", int, required=True, description="id of an adult member of the case")],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            400: OpenApiResponse(description="code `declaration_adults_only`: the member is a child or has no "
                                             "date of birth"),
            403: OpenApiResponse(description="the caller sees the case but is not a caseworker or supervisor of it"),
            404: OpenApiResponse(description="no such case or member for the caller"),
        },
    )
    def get(self, request, pk: int):
        case, access = case_get_for_user(user=request.user, case_id=pk, request=request._request)
        try:
            member = declaration_member_get(case=case, access=access, member_id=request.query_params.get("member"))
        except DeclarationRefused as refusal:
            raise AdultsOnly(refusal.message, code=refusal.code) from None
        return declaration_download(request=request._request, member=member)
