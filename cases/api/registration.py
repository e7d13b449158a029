"""API doors to registration: create a household, add a member, decide on duplicates, edit with a version."""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from accounts.choices import Role
from accounts.models import Office, Programme
from avr.api import ErrorSerializer
from cases.api.serializers import CaseSerializer, MemberSerializer, StaleVersionSerializer
from cases.choices import ConsentType, DuplicateDecisionKind, Relationship
from cases.permissions import user_assignments
from cases.registration import (
    ConsentInput,
    DuplicateDocument,
    HouseholdClosed,
    MemberInput,
    RegistrationInput,
    RegistrationInvalid,
    case_member_add,
    case_register,
    household_too_big_message,
    member_update,
)
from cases.selectors import case_get_for_user, possible_duplicates_for
from cases.services import StaleVersion, member_duplicate_decide

TEXT = {"required": False, "allow_blank": True, "default": ""}


class MemberInputSerializer(serializers.Serializer):
    given_names = serializers.CharField(max_length=120, **TEXT)
    family_names = serializers.CharField(max_length=120, **TEXT)
    sex = serializers.CharField(max_length=8, **TEXT)
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    estimated_age = serializers.IntegerField(required=False, allow_null=True, default=None)
    nationality = serializers.CharField(max_length=2, **TEXT)
    relationship = serializers.CharField(max_length=16, required=False, default=Relationship.PRINCIPAL)
    document_type = serializers.CharField(max_length=24, **TEXT)
    document_number = serializers.CharField(max_length=40, **TEXT)
    document_issuing_country = serializers.CharField(max_length=2, **TEXT)
    phone = serializers.CharField(max_length=32, **TEXT)
    country_of_residence = serializers.CharField(max_length=2, **TEXT)
    languages = serializers.CharField(max_length=120, **TEXT)
    place_of_origin = serializers.CharField(max_length=120, **TEXT)
    intended_destination = serializers.CharField(max_length=120, **TEXT)


class ConsentInputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ConsentType.choices)
    reason = serializers.CharField(**TEXT)
    date = serializers.DateField(required=False, allow_null=True, default=None)


class RegistrationSerializer(serializers.Serializer):
    programme = serializers.CharField(max_length=32)
    office = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    destination_country = serializers.CharField(max_length=2)
    consent = ConsentInputSerializer(required=False, allow_null=True, default=None)
    members = MemberInputSerializer(many=True, allow_empty=True)
    how_heard = serializers.CharField(max_length=20, **TEXT)
    intake_date = serializers.DateField(required=False, allow_null=True, default=None)
    caseworker_notes = serializers.CharField(**TEXT)
    quick = serializers.BooleanField(required=False, default=False)
    confirm_duplicates = serializers.BooleanField(required=False, default=False)

    def to_internal_value(self, data):
        # Refused by its length before any member is validated: a household of thousands costs nothing.
        members = data.get("members") if hasattr(data, "get") else None
        if isinstance(members, list) and len(members) > settings.AVR_HOUSEHOLD_MAX_MEMBERS:
            raise serializers.ValidationError({"members": [household_too_big_message()]})
        return super().to_internal_value(data)


class DuplicateCandidateSerializer(serializers.Serializer):
    for_member = serializers.IntegerField(required=False)
    member_id = serializers.IntegerField()
    case_id = serializers.IntegerField()
    name = serializers.CharField()
    birth_year = serializers.IntegerField(allow_null=True)
    office = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    reference = serializers.CharField(allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField())
    score = serializers.IntegerField()


class DuplicateDocumentSerializer(ErrorSerializer):
    """409 `duplicate_document`: send again with `confirm_duplicates: true` if this is really a new case."""

    possible_duplicates = DuplicateCandidateSerializer(many=True)


class AddedMemberSerializer(MemberSerializer):
    """A member just added, with the possible duplicates found for them."""

    policy_keys = {**MemberSerializer.policy_keys, "possible_duplicates": None}
    possible_duplicates = DuplicateCandidateSerializer(many=True, read_only=True)

    class Meta(MemberSerializer.Meta):
        fields = [*MemberSerializer.Meta.fields, "possible_duplicates"]


VERSIONED_EDIT_ERRORS = {
    409: OpenApiResponse(StaleVersionSerializer, description="`stale_version`: saved by someone else since "
                                                             "(sent as the `version` field)"),
    412: OpenApiResponse(StaleVersionSerializer, description="`stale_version`: saved by someone else since "
                                                             "(sent as If-Match)"),
    428: OpenApiResponse(ErrorSerializer, description="`version_required`: send `version` or If-Match"),
}


class RegisteredCaseSerializer(CaseSerializer):
    policy_keys = {**CaseSerializer.policy_keys, "possible_duplicates": None}  # the duplicate check shows those
    possible_duplicates = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "possible_duplicates"]

    @extend_schema(responses=DuplicateCandidateSerializer(many=True))
    def get_possible_duplicates(self, case) -> list[dict]:
        return self.context.get("possible_duplicates", [])


def default_office(user) -> Office | None:
    """The user's booth, when they have exactly one."""
    offices = [a.office for a in user_assignments(user) if a.role == Role.CASEWORKER and a.office]
    return offices[0] if len(offices) == 1 else None


def registration_input(user, data: dict) -> tuple[RegistrationInput, dict]:
    """Resolve codes to objects; unknown codes become field errors."""
    errors = {}
    programme = Programme.objects.filter(code=data["programme"]).first()
    if programme is None:
        errors["programme"] = [_("No programme has the code “%(value)s”.") % {"value": data["programme"]}]
    office = Office.objects.filter(code=data["office"]).first() if data["office"] else default_office(user)
    if data["office"] and office is None:
        errors["office"] = [_("No office has the code “%(value)s”.") % {"value": data["office"]}]
    consent = data["consent"]
    registration = RegistrationInput(
        programme=programme, office=office, destination_country=data["destination_country"],
        consent=ConsentInput(type=consent["type"], reason=consent["reason"], given_on=consent["date"]) if consent
        else None,
        members=[MemberInput(**m) for m in data["members"]], how_heard=data["how_heard"],
        intake_date=data["intake_date"], caseworker_notes=data["caseworker_notes"], quick=data["quick"],
    )
    return registration, errors


def invalid_response(errors: dict, member_count: int) -> Response:
    """Registration errors as {code, detail, fields}, member errors as a list aligned with the request."""
    fields = {key: value for key, value in errors.items() if key != "member_fields"}
    if "member_fields" in errors:
        fields["members"] = [errors["member_fields"].get(i, {}) for i in range(max(member_count, 1))]
    if "consent_reason" in fields:
        fields["consent"] = {"reason": fields.pop("consent_reason")}
    return Response({"code": "invalid", "detail": _("Some fields are not valid."), "fields": fields},
                    status=status.HTTP_400_BAD_REQUEST)


def duplicate_document_response(exc: DuplicateDocument) -> Response:
    return Response({
        "code": "duplicate_document",
        "detail": _("A member's document number is already registered. Check the possible duplicates, then send "
                    "again with \"confirm_duplicates\": true if this is really a new case."),
        "fields": {}, "possible_duplicates": exc.candidates,
    }, status=status.HTTP_409_CONFLICT)


def registered_response(request, case, candidates, *, replayed: bool) -> Response:
    case, access = case_get_for_user(user=request.user, case_id=case.pk, request=request._request)
    context = {"access": {case.pk: access}, "request": request, "possible_duplicates": candidates}
    response = Response(RegisteredCaseSerializer(case, context=context).data, status=status.HTTP_201_CREATED)
    response["ETag"] = f'"{case.version}"'
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def register_case(view, request) -> Response:
    """POST /api/v1/cases/: register a household (consent first), with its possible duplicates."""
    serializer = RegistrationSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data, errors = registration_input(request.user, serializer.validated_data)
    if errors:
        return invalid_response(errors, len(data.members))
    try:
        result = case_register(actor=request.user, data=data,
                               confirm_duplicates=serializer.validated_data["confirm_duplicates"],
                               idempotency_key=request.headers.get("Idempotency-Key"))
    except RegistrationInvalid as exc:
        return invalid_response(exc.errors, len(data.members))
    except DuplicateDocument as exc:
        return duplicate_document_response(exc)
    candidates = result.possible_duplicates
    if result.replayed:
        candidates = [{**c, "for_member": m.pk} for m in result.case.members.all()
                      for c in possible_duplicates_for(user=request.user, person=m, exclude_case_id=result.case.pk)]
    return registered_response(request, result.case, candidates, replayed=result.replayed)


class MemberCreate(GenericAPIView):
    """Add a member to a household that has not yet been submitted for approval."""

    serializer_class = MemberInputSerializer

    @extend_schema(request=MemberInputSerializer, responses={
        201: AddedMemberSerializer,
        409: OpenApiResponse(ErrorSerializer, description="`household_closed`: the case was submitted already")})
    def post(self, request, pk: int):
        serializer = MemberInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            member, candidates = case_member_add(actor=request.user, case_id=pk,
                                                data=MemberInput(**serializer.validated_data))
        except RegistrationInvalid as exc:
            return member_invalid_response(exc)
        except HouseholdClosed:
            return Response({"code": "household_closed", "fields": {},
                             "detail": _("Members can only be added before the case is submitted for approval.")},
                            status=status.HTTP_409_CONFLICT)
        case, access = case_get_for_user(user=request.user, case_id=pk, request=request._request)
        data = MemberSerializer(member, context={"access": {case.pk: access}}).data
        return Response({**data, "possible_duplicates": candidates}, status=status.HTTP_201_CREATED)


class DuplicateDecisionSerializer(serializers.Serializer):
    candidate = serializers.IntegerField()
    decision = serializers.ChoiceField(choices=DuplicateDecisionKind.choices)


class DuplicateDecisionCreate(GenericAPIView):
    """Answer "same person" (link them) or "different person" for a proposed duplicate."""

    serializer_class = DuplicateDecisionSerializer

    @extend_schema(request=DuplicateDecisionSerializer, responses={201: DuplicateDecisionSerializer})
    def post(self, request, pk: int):
        serializer = DuplicateDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member_duplicate_decide(actor=request.user, member_id=pk, candidate_id=serializer.validated_data["candidate"],
                                decision=serializer.validated_data["decision"])
        return Response(serializer.validated_data, status=status.HTTP_201_CREATED)


def member_invalid_response(exc: RegistrationInvalid) -> Response:
    """One member's field errors as a structured 400."""
    return Response({"code": "invalid", "detail": _("Some fields are not valid."),
                     "fields": exc.errors["member_fields"][0]}, status=status.HTTP_400_BAD_REQUEST)


def version_required_response() -> Response:
    return Response({"code": "version_required", "fields": {"version": [_("Send the version you edited.")]},
                     "detail": _("Send the version you edited (the `version` field or an If-Match header).")},
                    status=status.HTTP_428_PRECONDITION_REQUIRED)


def stale_response(exc: StaleVersion, *, precondition: bool, detail: str | None = None) -> Response:
    """409 (or 412 under If-Match) `stale_version`; `detail` names what was saved when it is not the case."""
    return Response({
        "code": "stale_version", "fields": {}, "current_version": exc.current,
        "detail": detail or _("Someone else saved this case after you opened it. Nothing was overwritten: reload "
                              "it, then make your change again."),
    }, status=status.HTTP_412_PRECONDITION_FAILED if precondition else status.HTTP_409_CONFLICT)


def stale_record_detail() -> str:
    return _("Someone else saved this record after you opened it. Nothing was overwritten: reload it, then make "
             "your change again.")


class CaseUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False)
    destination_country = serializers.CharField(max_length=2, required=False)
    how_heard = serializers.CharField(max_length=20, required=False, allow_blank=True)
    caseworker_notes = serializers.CharField(required=False, allow_blank=True)
    intake_date = serializers.DateField(required=False)


def expected_version(request, data: dict) -> tuple[int | None, bool]:
    """The version the client last saw: If-Match (an ETag) or the `version` field."""
    if_match = request.headers.get("If-Match", "").strip().strip('"').removeprefix("W/").strip('"')
    if if_match.isdigit():
        return int(if_match), True
    return data.get("version"), False


ETAG_PARAMETER = OpenApiParameter("If-Match", str, OpenApiParameter.HEADER,
                                  description="the ETag of the version you edited (or send `version`)")


def patch_case(view, request, pk: int) -> Response:
    """PATCH /api/v1/cases/{id}/ with optimistic concurrency."""
    from cases.services import case_update

    serializer = CaseUpdateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    changes = dict(serializer.validated_data)
    version, precondition = expected_version(request, changes)
    changes.pop("version", None)
    if version is None:
        return version_required_response()
    try:
        case_update(case_id=pk, actor=request.user, expected_version=version, changes=changes)
    except StaleVersion as exc:
        return stale_response(exc, precondition=precondition)
    except DjangoValidationError as exc:
        return Response({"code": "invalid", "detail": _("Some fields are not valid."), "fields": exc.message_dict},
                        status=status.HTTP_400_BAD_REQUEST)
    case, access = case_get_for_user(user=request.user, case_id=pk, request=request._request)
    response = Response(CaseSerializer(case, context={"access": {case.pk: access}, "request": request}).data)
    response["ETag"] = f'"{case.version}"'
    return response


class MemberUpdateSerializer(MemberInputSerializer):
    version = serializers.IntegerField(required=False, help_text="the case's version you edited")


class MemberUpdate(GenericAPIView):
    """Correct or complete a member; 409 (or 412 with If-Match) when the case was saved by someone else since."""

    serializer_class = MemberUpdateSerializer

    @extend_schema(request=MemberUpdateSerializer, responses={200: MemberSerializer, **VERSIONED_EDIT_ERRORS},
                   parameters=[ETAG_PARAMETER])
    def patch(self, request, pk: int):
        serializer = MemberUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = {k: v for k, v in serializer.validated_data.items() if k in request.data}
        version, precondition = expected_version(request, changes)
        changes.pop("version", None)
        if version is None:
            return version_required_response()
        try:
            member = member_update(actor=request.user, member_id=pk, expected_version=version, changes=changes)
        except StaleVersion as exc:
            return stale_response(exc, precondition=precondition)
        except RegistrationInvalid as exc:
            return member_invalid_response(exc)
        case, access = case_get_for_user(user=request.user, case_id=member.case_id, request=request._request)
        response = Response(MemberSerializer(member, context={"access": {case.pk: access}}).data)
        response["ETag"] = f'"{case.version}"'
        return response
