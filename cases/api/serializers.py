from rest_framework import serializers

from cases.models import Case, CaseEvent, Member
from cases.permissions import FieldGroup


class FieldGroupMixin:
    """Leaves out every field whose group the reader may not see (the rule is in cases.permissions)."""

    field_groups: dict[str, str] = {}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        allowed = self.allowed_groups(instance)
        for name, group in self.field_groups.items():
            if group not in allowed:
                data.pop(name, None)
        return data

    def allowed_groups(self, instance) -> frozenset:
        access = self.context["access"]
        case_id = instance.case_id if isinstance(instance, Member) else instance.pk
        return access[case_id].field_groups


IDENTITY_FIELDS = ["relationship", "given_names", "family_names", "sex", "date_of_birth", "date_of_birth_estimated",
                   "nationality", "document_type", "document_number", "phone"]


class MemberSerializer(FieldGroupMixin, serializers.ModelSerializer):
    field_groups = {**{f: FieldGroup.IDENTITY for f in IDENTITY_FIELDS},
                    "needs_medical_attention": FieldGroup.MEDICAL_FLAG}

    class Meta:
        model = Member
        fields = ["id", *IDENTITY_FIELDS, "needs_medical_attention"]


class CaseSerializer(FieldGroupMixin, serializers.ModelSerializer):
    field_groups = {"destination_country": FieldGroup.TRAVEL, "reception_centre": FieldGroup.TRAVEL,
                    "caseworker_notes": FieldGroup.CASE_NOTES}
    programme = serializers.SlugRelatedField(slug_field="code", read_only=True)
    office = serializers.SlugRelatedField(source="registering_office", slug_field="code", read_only=True)
    reception_centre = serializers.SlugRelatedField(slug_field="code", read_only=True)
    members = MemberSerializer(many=True, read_only=True)

    class Meta:
        model = Case
        fields = ["id", "reference", "status", "programme", "office", "registration_country", "destination_country",
                  "reception_centre", "intake_date", "caseworker_notes", "version", "created_at", "updated_at",
                  "members"]


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=Case._meta.get_field("status").choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class CaseEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CaseEvent
        fields = ["id", "at", "actor", "from_status", "to_status", "note"]
