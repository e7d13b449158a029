
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from avr.api import CursorPagination, ErrorSerializer
from cases.api.registration import (
    ETAG_PARAMETER,
    VERSIONED_EDIT_ERRORS,
    DuplicateDocumentSerializer,
    CaseUpdateSerializer,
    RegisteredCaseSerializer,
    RegistrationSerializer,
    patch_case,
    register_case,
)
from cases.api.serializers import (
    TRANSITION_CONFLICT,
    CaseEventSerializer,
    CaseSerializer,
    CaseSummarySerializer,
    InvalidTransitionSerializer,
    PrincipalChangeSerializer,
    SplitSerializer,
    TransitionSerializer,
)
from cases.choices import CaseStatus
from cases.list_params import case_filters_from, keyset_from, keyset_token
from cases.fields import field_group
from cases.permissions import case_access_batch
from cases.selectors import case_get_for_user, case_list_page, case_timeline, cases_listed_audit
from cases.services import (
    InvalidTransition,
    StaleVersion,
    TransitionRefused,
    case_member_split,
    case_principal_change,
    case_transition,
)
from cases.transitions import transition_refusal
from screening.choices import VulnerabilityKind  # a leaf module: the list's filter is documented with its values

LIST_PARAMETERS = [
    OpenApiParameter("status", str, enum=CaseStatus.values), OpenApiParameter("office", str, description="office code"),
    OpenApiParameter("programme", str, description="programme code"),
    OpenApiParameter("nationality", str, description="principal's nationality, ISO code"),
    OpenApiParameter("umc", bool, description="only households with an unaccompanied child"),
    OpenApiParameter("incomplete", bool, description="only quick-mode registrations still incomplete"),
    OpenApiParameter("vulnerability", str, enum=[*VulnerabilityKind.values, "any"],
                     description="a vulnerability kind, or `any` (case team only)"),
    OpenApiParameter("registered_from", str, description="intake date from (YYYY-MM-DD)"),
    OpenApiParameter("registered_to", str, description="intake date to (YYYY-MM-DD)"),
    OpenApiParameter("q", str, description="reference, document number or name"),
    OpenApiParameter("sort", str, enum=["newest", "oldest"], description="registration order, newest first by default"),
    OpenApiParameter("cursor", str, description="the `next` link's cursor"),
    OpenApiParameter("page_size", int, description="1 to 100, default 25"),
]


@extend_schema_view(get=extend_schema(parameters=LIST_PARAMETERS))
class CaseList(generics.ListCreateAPIView):
    """Cases the caller may see, newest first; fields limited to the caller's role."""

    serializer_class = CaseSummarySerializer
    # list() builds its keyset page itself, in the paginator's shape: the class documents that page.
    pagination_class = CursorPagination

    @extend_schema(request=RegistrationSerializer, responses={
        201: RegisteredCaseSerializer, 409: DuplicateDocumentSerializer,
        422: OpenApiResponse(ErrorSerializer, description="`idempotency_key_reused`: the key was first sent with "
                                                          "another body")},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER,
                                     description="up to 255 characters; a retried POST with the same key and body "
                                                 "returns the first case")])
    def post(self, request):
        """Register a household (consent first); possible duplicates come back with it."""
        return register_case(self, request)

    def list(self, request, *args, **kwargs):
        filters = case_filters_from(request.query_params, request.user)
        size = page_size_from(request.query_params)
        page, next_before = case_list_page(user=request.user, filters=filters,
                                           before_id=keyset_from(request.query_params), size=size, rows_only=True)
        access = case_access_batch(request.user, page)
        cases_listed_audit(user=request.user, cases=page, request=request._request)
        rows = [case_summary_row(case, access[case.pk].field_groups) for case in page]
        next_url = None
        if next_before is not None:
            next_url = replace_query_param(request.build_absolute_uri(), "cursor", keyset_token(next_before))
        return Response({"next": next_url, "previous": None, "results": rows})


def case_summary_row(case, field_groups: frozenset) -> dict:
    """A list row as CaseSummarySerializer describes it, built directly: a page is read far more than anything."""
    row = {
        "id": case.pk, "reference": case.reference, "status": case.status, "programme": case.programme_code,
        "office": case.office_code, "intake_date": case.intake_date.isoformat(),
        "member_count": case.member_count or 0, "has_unaccompanied_child": case.has_unaccompanied_child,
        "has_separated_child": case.has_separated_child, "is_incomplete": case.is_incomplete,
        "version": case.version,
    }
    if field_group("cases.Case.destination_country") in field_groups:
        row["destination_country"] = case.destination_country
    if field_group("cases.Member.given_names") in field_groups:
        row["principal"] = case.principal_name or ""
    if field_group("cases.Case.vulnerability_kinds") in field_groups:
        row["has_protection_flag"] = case.has_protection_flag
        row["vulnerabilities"] = case.vulnerability_kinds
    return row


def page_size_from(params) -> int:
    value = params.get("page_size", "")
    return min(max(int(value), 1), 100) if value.isdigit() else 25


class CaseDetail(generics.RetrieveAPIView):
    """One case; 404 when the caller may not see it. Every read is audited. The ETag is the case's version."""

    serializer_class = CaseSerializer

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = f'"{response.data["version"]}"'
        return response

    @extend_schema(request=CaseUpdateSerializer, responses={200: CaseSerializer, **VERSIONED_EDIT_ERRORS},
                   parameters=[ETAG_PARAMETER])
    def patch(self, request, pk: int):
        """Edit the case's own fields; 409 (or 412 with If-Match) when someone else saved in between."""
        return patch_case(self, request, pk)

    def get_object(self):
        # An emergency grant reads the case here; its PATCH goes through patch_case, which never counts a grant.
        case, access = case_get_for_user(user=self.request.user, case_id=self.kwargs["pk"], request=self.request._request,
                                         emergency=self.request.method in SAFE_METHODS)
        self.access = {case.pk: access}
        return case

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "access": getattr(self, "access", {})}


def invalid_transition_response(exc: InvalidTransition) -> Response:
    detail = transition_refusal(exc.from_status, exc.to_status)
    return Response({"code": "invalid_transition", "detail": detail, "fields": {},
                     "from": exc.from_status, "to": exc.to_status}, status=status.HTTP_409_CONFLICT)


def transition_refused_response(exc: TransitionRefused) -> Response:
    return Response({"code": "transition_refused", "fields": {}, "to": exc.to_status,
                     "detail": _("The case does not meet the conditions for this step yet."),
                     "unmet": [u.as_dict() for u in exc.unmet]}, status=status.HTTP_409_CONFLICT)


class CaseTransitionCreate(generics.GenericAPIView):
    """Move a case along its lifecycle (approval: pending_approval, approved, rejected, referred_out).

    409 `invalid_transition` names both statuses when the move does not exist; 409 `transition_refused` lists the
    unmet conditions with stable codes. Nobody approves a case they registered or submitted.
    """

    serializer_class = TransitionSerializer

    @extend_schema(request=TransitionSerializer, responses={200: CaseSerializer, 409: TRANSITION_CONFLICT})
    def post(self, request, pk: int):
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        choices = {name: data.pop(name) for name in ("referred_to", "closure_reason") if name in data}
        try:
            case_transition(case_id=pk, actor=request.user, choices=choices, **data)
        except InvalidTransition as exc:
            return invalid_transition_response(exc)
        except TransitionRefused as exc:
            return transition_refused_response(exc)
        case, access = case_get_for_user(user=request.user, case_id=pk, request=request._request)
        return Response(CaseSerializer(case, context={"access": {case.pk: access}, "request": request}).data)


class CaseEventList(generics.ListAPIView):
    """The case's timeline: who, when, from, to, why (with the history from before a split)."""

    serializer_class = CaseEventSerializer
    pagination_class = None

    def get_queryset(self):
        case, self.access = case_get_for_user(user=self.request.user, case_id=self.kwargs["pk"],
                                              request=self.request._request)
        return case_timeline(case)

    def get_serializer_context(self):
        # One access for the whole timeline, events from before a split included: they are read as this case.
        return {**super().get_serializer_context(), "access": getattr(self, "access", None)}


class MemberSplit(generics.GenericAPIView):
    """Move a member to a household of their own (e.g. they withdraw while the others go on)."""

    serializer_class = SplitSerializer

    @extend_schema(request=SplitSerializer, responses={201: CaseSerializer, 409: InvalidTransitionSerializer})
    def post(self, request, pk: int, member_id: int):
        serializer = SplitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            own = case_member_split(actor=request.user, case_id=pk, member_id=member_id, **serializer.validated_data)
        except InvalidTransition as exc:
            return invalid_transition_response(exc)
        case, access = case_get_for_user(user=request.user, case_id=own.pk, request=request._request)
        return Response(CaseSerializer(case, context={"access": {case.pk: access}, "request": request}).data,
                        status=status.HTTP_201_CREATED)


class PrincipalChange(generics.GenericAPIView):
    """Make another member the principal, restating everyone else's relationship; needs the case's version."""

    serializer_class = PrincipalChangeSerializer

    @extend_schema(request=PrincipalChangeSerializer, responses={200: CaseSerializer, **VERSIONED_EDIT_ERRORS},
                   parameters=[ETAG_PARAMETER])
    def post(self, request, pk: int):
        from cases.api.registration import expected_version, stale_response, version_required_response

        serializer = PrincipalChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version, precondition = expected_version(request, data)
        if version is None:
            return version_required_response()
        relationships = {int(k): v for k, v in data["relationships"].items() if str(k).isdigit()}
        try:
            case_principal_change(actor=request.user, case_id=pk, expected_version=version,
                                  principal_id=data["member"], relationships=relationships)
        except StaleVersion as exc:
            return stale_response(exc, precondition=precondition)
        case, access = case_get_for_user(user=request.user, case_id=pk, request=request._request)
        return Response(CaseSerializer(case, context={"access": {case.pk: access}, "request": request}).data)
