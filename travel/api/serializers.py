from django.urls import reverse
from rest_framework import serializers

from accounts.models import Office
from cases.fields import FieldPolicyMixin
from travel.choices import (
    EscortKind,
    ManifestBuildStatus,
    MovementMode,
    MovementStatus,
    SupportKind,
    TravelDocumentStatus,
    TravelDocumentType,
)
from travel.models import BorderSupport, Escort, Movement, MovementLeg, TravelDocument


class LegSerializer(serializers.ModelSerializer):
    class Meta:
        model = MovementLeg
        fields = ["order", "crossing_point", "expected_at"]
        read_only_fields = ["order"]


class EscortSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=EscortKind.choices)
    members = serializers.ListField(child=serializers.IntegerField(), required=False, default=list, write_only=True)
    escorted = serializers.SerializerMethodField()

    class Meta:
        model = Escort
        fields = ["id", "name", "kind", "phone", "user", "members", "escorted"]
        read_only_fields = ["id"]

    def get_escorted(self, obj) -> list[int]:
        return [m.pk for m in obj.members.all()]


class MovementSerializer(serializers.ModelSerializer):
    mode = serializers.ChoiceField(choices=MovementMode.choices)
    departure_office = serializers.SlugRelatedField(slug_field="code", queryset=Office.objects.all())
    reception_centre = serializers.SlugRelatedField(slug_field="code", queryset=Office.objects.all())
    status = serializers.ChoiceField(choices=MovementStatus.choices, read_only=True)
    seats_taken = serializers.IntegerField(read_only=True, default=0)
    legs = LegSerializer(many=True, required=False)
    escorts = EscortSerializer(many=True, read_only=True)

    class Meta:
        model = Movement
        fields = ["id", "reference", "mode", "carrier", "vehicle", "departure_office", "departure_place",
                  "departure_at", "reception_centre", "capacity", "seats_taken", "status", "notes", "legs",
                  "escorts", "version"]
        read_only_fields = ["id", "reference", "status", "version"]


class MovementUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False)
    mode = serializers.ChoiceField(choices=MovementMode.choices, required=False)
    carrier = serializers.CharField(max_length=120, required=False)
    vehicle = serializers.CharField(max_length=60, required=False, allow_blank=True)
    departure_place = serializers.CharField(max_length=160, required=False, allow_blank=True)
    departure_at = serializers.DateTimeField(required=False)
    capacity = serializers.IntegerField(min_value=1, required=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    legs = LegSerializer(many=True, required=False)


class PassengerSerializer(FieldPolicyMixin, serializers.Serializer):
    """A passenger of a household the reader may see (travel.selectors.passengers_for), as the field policy allows."""

    policy_keys = {"case": "travel.Booking.case", "reference": "cases.Case.reference", "member": "travel.Booking.member",
                   "name": "cases.Member.given_names", "seat": "travel.Booking.seat", "status": "travel.Booking.status",
                   "is_child": "cases.Member.date_of_birth",
                   "is_unaccompanied_child": "cases.Member.is_unaccompanied_child",
                   "needs_medical_attention": "cases.Member.needs_medical_attention"}
    case = serializers.IntegerField(source="case_id")
    reference = serializers.CharField(source="case.reference")
    member = serializers.IntegerField(source="member_id")
    name = serializers.CharField(source="member.full_name")
    seat = serializers.IntegerField()
    status = serializers.CharField()
    is_child = serializers.BooleanField()
    is_unaccompanied_child = serializers.BooleanField(source="member.is_unaccompanied_child")
    needs_medical_attention = serializers.BooleanField(source="member.needs_medical_attention")

    def access_for(self, instance):
        return instance.access


class MovementSummarySerializer(serializers.Serializer):
    passengers = serializers.IntegerField()
    children = serializers.IntegerField()
    unaccompanied_children = serializers.IntegerField()
    needs_medical_attention = serializers.IntegerField()


class MovementDetailSerializer(MovementSerializer):
    """One movement as travel.api.views.movement_body answers it: its passengers of households the reader may see."""

    passengers = PassengerSerializer(many=True, read_only=True)
    summary = MovementSummarySerializer(read_only=True, help_text="counts over every passenger")
    passengers_not_shown = serializers.IntegerField(read_only=True,
                                                    help_text="passengers of households the caller may not see")

    class Meta(MovementSerializer.Meta):
        fields = [*MovementSerializer.Meta.fields, "passengers", "summary", "passengers_not_shown"]


class BookingRequestSerializer(serializers.Serializer):
    case = serializers.IntegerField()


class MovementTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=[MovementStatus.CONFIRMED, MovementStatus.DEPARTED, MovementStatus.ARRIVED,
                                          MovementStatus.CANCELLED])
    boarded = serializers.ListField(child=serializers.IntegerField(), required=False, default=list,
                                    help_text="with `to: departed`: the member ids who boarded")


class TravelDocumentSerializer(serializers.ModelSerializer):
    type = serializers.ChoiceField(choices=TravelDocumentType.choices)
    status = serializers.ChoiceField(choices=TravelDocumentStatus.choices)

    class Meta:
        model = TravelDocument
        fields = ["id", "type", "number", "issuing_consulate", "requested_on", "issued_on", "expires_on", "status",
                  "recorded_at"]
        read_only_fields = ["id", "recorded_at"]


class BorderSupportSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=SupportKind.choices)

    class Meta:
        model = BorderSupport
        fields = ["id", "crossing_point", "kind", "count", "given_at"]
        read_only_fields = ["id"]


class ManifestBuildSerializer(serializers.Serializer):
    """A manifest PDF being made for the caller: poll `status_url`; `download_url` answers the PDF once ready."""

    id = serializers.IntegerField(read_only=True)
    status = serializers.ChoiceField(choices=ManifestBuildStatus.choices, read_only=True)
    progress = serializers.IntegerField(read_only=True, help_text="percent")
    error = serializers.CharField(read_only=True)
    requested_at = serializers.DateTimeField(read_only=True)
    finished_at = serializers.DateTimeField(read_only=True, allow_null=True)
    status_url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    def get_status_url(self, build) -> str:
        return self.absolute(reverse("api-movement-manifest-build", args=[build.movement_id, build.pk]))

    def get_download_url(self, build) -> str | None:
        if build.status != ManifestBuildStatus.READY:
            return None
        return self.absolute(reverse("api-movement-manifest-pdf", args=[build.movement_id]))

    def absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path
