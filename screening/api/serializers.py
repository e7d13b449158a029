from rest_framework import serializers

from cases.choices import ConsentScope, ConsentType
from cases.fields import FieldPolicyMixin
from cases.models import Consent
from screening.choices import (
    BestInterestsOutcome,
    CounsellingOutcome,
    CounsellingTopic,
    FitnessOutcome,
    Severity,
    VulnerabilityKind,
)
from screening.models import BestInterests, CounsellingSession, Declaration


class CounsellingSessionSerializer(FieldPolicyMixin, serializers.ModelSerializer):
    counsellor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    topics = serializers.ListField(child=serializers.ChoiceField(choices=CounsellingTopic.choices), allow_empty=True)
    outcome = serializers.ChoiceField(choices=CounsellingOutcome.choices)

    class Meta:
        model = CounsellingSession
        fields = ["id", "held_on", "counsellor", "interpreter", "language", "topics", "questions", "outcome", "notes",
                  "recorded_at"]
        read_only_fields = ["id", "counsellor", "recorded_at"]


class ProtectionSerializer(serializers.Serializer):
    fear_of_return = serializers.BooleanField(allow_null=True)
    narrative = serializers.CharField(required=False, allow_blank=True, max_length=10000,
                                      help_text="protection-cleared staff and supervisors only; kept when omitted")
    pending_asylum_claim = serializers.BooleanField(default=False)
    threats = serializers.BooleanField(default=False)
    screened_on = serializers.DateField(required=False)
    # Read only
    flag_open = serializers.BooleanField(read_only=True)
    resolved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    resolution_note = serializers.CharField(read_only=True)
    version = serializers.IntegerField(read_only=True)


class VulnerabilitySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=VulnerabilityKind.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    needs_specialised_assessment = serializers.BooleanField(default=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class FitnessSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=FitnessOutcome.choices)
    assessed_on = serializers.DateField()
    clinician = serializers.CharField(max_length=120)
    detail = serializers.CharField(required=False, allow_blank=True, max_length=10000,
                                   help_text="medical-cleared staff only; kept when omitted")


class MemberScreeningSerializer(serializers.Serializer):
    """PUT replaces the member's screening; `version` is required once a screening exists (409 when stale)."""

    member = serializers.IntegerField(read_only=True)
    version = serializers.IntegerField(required=False, write_only=True)
    protection = ProtectionSerializer()
    vulnerabilities = VulnerabilitySerializer(many=True, default=list)
    needs_medical_attention = serializers.BooleanField(required=False)
    fitness = FitnessSerializer(required=False, allow_null=True)


class ProtectionReadSerializer(serializers.Serializer):
    fear_of_return = serializers.BooleanField(allow_null=True)
    pending_asylum_claim = serializers.BooleanField()
    threats = serializers.BooleanField()
    screened_on = serializers.DateField(allow_null=True)
    flag_open = serializers.BooleanField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    narrative = serializers.CharField(required=False, help_text="protection-cleared staff and supervisors only")
    resolution_note = serializers.CharField(required=False, help_text="protection-cleared staff and supervisors only")


class FitnessReadSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=FitnessOutcome.choices)
    assessed_on = serializers.DateField()
    clinician = serializers.CharField()
    detail = serializers.CharField(required=False, help_text="medical-cleared staff only")


class MemberScreeningReadSerializer(serializers.Serializer):
    """A member's screening as the reader may see it (screening.selectors.member_screening); null until recorded."""

    member = serializers.IntegerField()
    protection = ProtectionReadSerializer(allow_null=True)
    vulnerabilities = VulnerabilitySerializer(many=True)
    needs_medical_attention = serializers.BooleanField()
    fitness = FitnessReadSerializer(allow_null=True)


class BestInterestsSerializer(FieldPolicyMixin, serializers.ModelSerializer):
    version = serializers.IntegerField(required=False)
    outcome = serializers.ChoiceField(choices=BestInterestsOutcome.choices)

    class Meta:
        model = BestInterests
        fields = ["responsible_authority", "guardian_name", "child_views", "options_considered",
                  "family_tracing_result", "outcome", "decided_on", "guardian_consent", "guardian_consent_on",
                  "version"]


class DeclarationSerializer(FieldPolicyMixin, serializers.ModelSerializer):
    policy_keys = {"has_scan": "screening.Declaration.scan"}
    scan = serializers.FileField(required=False, write_only=True)
    has_scan = serializers.SerializerMethodField()

    class Meta:
        model = Declaration
        fields = ["id", "signed_on", "witness", "scan", "has_scan", "recorded_at", "withdrawn_on",
                  "withdrawal_reason"]
        read_only_fields = ["id", "recorded_at", "withdrawn_on", "withdrawal_reason"]

    def get_has_scan(self, obj) -> bool:
        return bool(obj.scan)


class WithdrawalSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ConsentSerializer(FieldPolicyMixin, serializers.ModelSerializer):
    scope = serializers.ChoiceField(choices=ConsentScope.choices)
    type = serializers.ChoiceField(choices=ConsentType.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    recipient = serializers.CharField(required=False, allow_blank=True, default="", max_length=160)
    purpose = serializers.CharField(required=False, allow_blank=True, default="", max_length=160)

    class Meta:
        model = Consent
        fields = ["id", "scope", "recipient", "purpose", "type", "reason", "given_on", "recorded_at", "withdrawn_on"]
        read_only_fields = ["id", "recorded_at", "withdrawn_on"]


class ResolutionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000)


class UnmetSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    member = serializers.IntegerField(allow_null=True)


class BulkApprovalSerializer(serializers.Serializer):
    cases = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=200)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class BulkResultSerializer(serializers.Serializer):
    case = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=["approved", "refused", "not_found", "forbidden", "invalid"])
    status = serializers.CharField(allow_null=True)
    unmet = UnmetSerializer(many=True)
