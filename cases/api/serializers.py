from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from avr.api import ErrorSerializer
from cases.models import Case, CaseEvent, Member
from cases.fields import FieldPolicyMixin


IDENTITY_FIELDS = ["relationship", "given_names", "family_names", "sex", "date_of_birth", "date_of_birth_estimated",
                   "nationality", "document_type", "document_number", "document_issuing_country", "phone",
                   "country_of_residence", "languages", "place_of_origin", "intended_destination", "same_person_as"]


class MemberSerializer(FieldPolicyMixin, serializers.ModelSerializer):

    class Meta:
        model = Member
        fields = ["id", *IDENTITY_FIELDS, "needs_medical_attention", "is_unaccompanied_child", "is_separated_child"]


class CaseSerializer(FieldPolicyMixin, serializers.ModelSerializer):
    policy_keys = {"members": None}
    programme = serializers.SlugRelatedField(slug_field="code", read_only=True)
    office = serializers.SlugRelatedField(source="registering_office", slug_field="code", read_only=True)
    reception_centre = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    members = MemberSerializer(many=True, read_only=True)

    class Meta:
        model = Case
        fields = ["id", "reference", "provisional_reference", "status", "programme", "office", "registration_country", "destination_country",
                  "reception_centre", "intake_date", "how_heard", "caseworker_notes", "is_incomplete",
                  "has_unaccompanied_child", "has_separated_child", "has_protection_flag", "vulnerability_kinds",
                  "split_from", "version", "created_at", "updated_at", "members"]

    def case_of(self, instance) -> int:
        return instance.pk


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=Case._meta.get_field("status").choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    referred_to = serializers.ChoiceField(
        choices=["asylum_authority", "unhcr"], required=False,
        help_text="with `to: referred_out`: where the person who fears return is referred")
    closure_reason = serializers.ChoiceField(
        choices=["completed", "referred_out", "withdrew", "lost_contact", "other"], required=False,
        help_text="with `to: closed`: why the case is closed")


class UnmetConditionSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="stable, e.g. declaration_missing, protection_flag_open, "
                                           "best_interests_missing, same_person_cannot_approve")
    message = serializers.CharField()
    member = serializers.IntegerField(allow_null=True)


class TransitionRefusedSerializer(ErrorSerializer):
    """409 `transition_refused`: the move exists but conditions are unmet."""

    to = serializers.CharField()
    unmet = UnmetConditionSerializer(many=True)


class InvalidTransitionSerializer(ErrorSerializer):
    """409 `invalid_transition`: no such move from the record's status."""

    locals()["from"] = serializers.CharField()
    to = serializers.CharField()


class StaleVersionSerializer(ErrorSerializer):
    """409 (412 under If-Match) `stale_version`: someone else saved in between; nothing was overwritten."""

    current_version = serializers.IntegerField()


TRANSITION_CONFLICT = PolymorphicProxySerializer(
    component_name="TransitionConflict", serializers=[InvalidTransitionSerializer, TransitionRefusedSerializer],
    resource_type_field_name=None)


class CaseEventSerializer(FieldPolicyMixin, serializers.ModelSerializer):
    """An event of the timeline; its note only for those who read case notes (the case team, shared users)."""

    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CaseEvent
        fields = ["id", "at", "actor", "from_status", "to_status", "note"]


class PrincipalChangeSerializer(serializers.Serializer):
    member = serializers.IntegerField(help_text="the member who becomes the principal")
    relationships = serializers.DictField(child=serializers.ChoiceField(choices=["spouse", "child", "parent",
                                                                                  "sibling", "other"]),
                                          help_text="every other member's id -> relationship to the new principal")
    version = serializers.IntegerField(required=False)


class SplitSerializer(serializers.Serializer):
    withdraw = serializers.BooleanField(default=False)
    note = serializers.CharField(max_length=2000)


class CaseSummarySerializer(FieldPolicyMixin, serializers.ModelSerializer):
    """A row of the case list: enough to find the case, the principal's name only if the reader may see it."""

    policy_keys = {"principal": "cases.Member.given_names", "member_count": "cases.Member.case",
                   "programme": "cases.Case.programme", "office": "cases.Case.registering_office"}
    programme = serializers.CharField(source="programme_code", read_only=True)
    vulnerabilities = serializers.ListField(source="vulnerability_kinds", child=serializers.CharField(),
                                            read_only=True)
    office = serializers.CharField(source="office_code", read_only=True)
    principal = serializers.CharField(source="principal_name", read_only=True, default="")
    member_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Case
        fields = ["id", "reference", "status", "programme", "office", "destination_country", "intake_date",
                  "principal", "member_count", "has_unaccompanied_child", "has_separated_child", "is_incomplete",
                  "has_protection_flag", "vulnerabilities", "version"]

    def case_of(self, instance) -> int:
        return instance.pk
