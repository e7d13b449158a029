from rest_framework import serializers

from reception.choices import (
    AssistanceKind,
    AttemptOutcome,
    ChildAuthority,
    ContactChannel,
    Currency,
    HandoverTo,
    ReferralStatus,
    Service,
)
from reception.models import (
    Assistance,
    CheckIn,
    FollowUp,
    FollowUpAttempt,
    Handover,
    Institution,
    Referral,
)


class CheckInRequestSerializer(serializers.Serializer):
    member = serializers.IntegerField(required=False)
    qr = serializers.CharField(required=False, allow_blank=True, max_length=500,
                               help_text="the text of the manifest's boarding code, as scanned")
    arrived = serializers.BooleanField(default=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)

    def validate(self, data):
        if not data.get("member") and not data.get("qr", "").strip():
            raise serializers.ValidationError({"member": ["Send `member` or `qr`."]})
        return data


class CheckInSerializer(serializers.ModelSerializer):
    by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CheckIn
        fields = ["id", "member", "arrived", "at", "by", "reason"]


class CheckInResultSerializer(serializers.Serializer):
    check_in = CheckInSerializer()
    replayed = serializers.BooleanField()
    case_status = serializers.CharField()
    missing = serializers.ListField(child=serializers.DictField(), help_text="what the household's arrival waits for")


class HandoverSerializer(serializers.ModelSerializer):
    authority = serializers.ChoiceField(choices=ChildAuthority.choices)
    goes_to = serializers.ChoiceField(choices=HandoverTo.choices)

    class Meta:
        model = Handover
        fields = ["id", "authority", "authority_other", "official_name", "official_position", "handed_over_at",
                  "goes_to", "goes_to_name", "recorded_at"]
        read_only_fields = ["id", "recorded_at"]
        extra_kwargs = {"official_name": {"allow_blank": True}, "official_position": {"allow_blank": True},
                        "goes_to_name": {"allow_blank": True}}


class AssistanceSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=AssistanceKind.choices)
    currency = serializers.ChoiceField(choices=Currency.choices, required=False, allow_blank=True, default="")
    given_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Assistance
        fields = ["id", "member", "kind", "amount", "currency", "note", "given_at", "given_by"]
        read_only_fields = ["id", "member", "given_at", "given_by"]


class InstitutionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Institution
        fields = ["id", "name", "country", "municipality", "services", "address", "phone", "email",
                  "contact_person"]


class ReferralSerializer(serializers.ModelSerializer):
    service = serializers.ChoiceField(choices=Service.choices)
    status = serializers.ChoiceField(choices=ReferralStatus.choices, read_only=True)
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = ["id", "member", "institution", "service", "status", "sent_on", "due_on", "answered_on",
                  "completed_on", "note", "is_overdue", "version"]
        read_only_fields = ["id", "member", "institution", "status", "sent_on", "answered_on", "completed_on",
                            "version"]

    def get_is_overdue(self, obj) -> bool:
        from django.utils import timezone

        return obj.status in (ReferralStatus.SENT, ReferralStatus.ACCEPTED) and obj.due_on < timezone.localdate()


class ReferralCreateSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    institution = serializers.IntegerField()
    service = serializers.ChoiceField(choices=Service.choices)
    due_on = serializers.DateField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReferralUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False)
    status = serializers.ChoiceField(choices=ReferralStatus.choices, required=False)
    due_on = serializers.DateField(required=False)
    answered_on = serializers.DateField(required=False)
    completed_on = serializers.DateField(required=False)
    note = serializers.CharField(required=False, allow_blank=True)


class FollowUpSerializer(serializers.ModelSerializer):
    stop_contact = serializers.BooleanField(
        write_only=True, required=False, default=False,
        help_text="the person asked not to be called again: their follow-up consent is withdrawn with this call")

    class Meta:
        model = FollowUp
        fields = ["id", "due_on", "done_on", "reached", "safe", "working", "needs", "intends_to_migrate_again",
                  "stop_contact"]
        read_only_fields = ["id", "due_on", "done_on"]


class FollowUpQueueSerializer(serializers.ModelSerializer):
    """A follow-up in the centre's work queue (the questionnaire by its version's id)."""

    case_reference = serializers.CharField(source="member.case.reference", read_only=True)
    step_name = serializers.CharField(source="step.name", read_only=True, default=None, allow_null=True)

    class Meta:
        model = FollowUp
        fields = ["id", "member", "case_reference", "step_name", "status", "opens_on", "closes_on", "due_on",
                  "call_back_on", "instrument_version", "version"]
        read_only_fields = fields


class FollowUpAttemptInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=ContactChannel.choices)
    outcome = serializers.ChoiceField(choices=AttemptOutcome.choices)
    call_back_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    version = serializers.IntegerField(help_text="the follow-up's `version` as read: a newer save answers 409")
    answers = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=1000), required=False, default=dict,
        help_text="with outcome `completed`: each question's code and its answer (yes/no, 1-5, an option's code, "
                  "a number, a text); a wrong answer is a 400 with the field `q_<code>`")


class FollowUpAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = FollowUpAttempt
        fields = ["id", "at", "channel", "outcome", "call_back_on", "note"]
        read_only_fields = fields


class FollowUpAttemptResultSerializer(serializers.Serializer):
    attempt = FollowUpAttemptSerializer()
    follow_up = FollowUpQueueSerializer()
    replayed = serializers.BooleanField()
