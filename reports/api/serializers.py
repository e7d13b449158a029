from django.urls import reverse
from rest_framework import serializers

from reports.choices import ReportFormat, ReportKind, ReportStatus
from reports.models import Report


class ReportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReportKind.choices, default=ReportKind.DONOR)
    programme = serializers.CharField(allow_null=True, required=False, default=None,
                                      help_text="programme code, or null for all programmes (admins)")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    format = serializers.ChoiceField(choices=ReportFormat.choices)


class ReportSerializer(serializers.ModelSerializer):
    programme = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status = serializers.ChoiceField(choices=ReportStatus.choices, read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = ["id", "kind", "programme", "period_start", "period_end", "format", "status", "progress",
                  "error", "requested_at", "finished_at", "download_url"]

    def get_download_url(self, obj) -> str | None:
        if obj.status != ReportStatus.READY:
            return None
        path = reverse("api-report-download", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path
