from django.urls import reverse
from django.utils import translation
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reports import labels
from reports.aggregates import CROSS_TABS, cross_tab_name
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


# The JSON report's body (reports.data.report_json), for the schema: the report is a file, these only describe it.


@extend_schema_field({"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": r"^<\d+$"}]})
class ShownCountField(serializers.Field):
    """A count, or "<N" (N the suppression threshold) when it is hidden."""

    def to_representation(self, value):
        return value


def row_serializer():
    """A table row: the dimension values it has (codes), `count` and `percent`; assistance adds `people`, transport
    money `amount`. The dimension keys are those the report's labels name."""
    with translation.override("en"):  # the document is in English
        fields = {dimension: serializers.CharField(required=False, allow_null=True,
                                                   help_text=f"{labels.DIMENSION_TITLES[dimension]} (code)")
                  for dimension in labels.DIMENSION_TITLES}
    fields |= {
        "count": ShownCountField(help_text='how many, or "<N" when hidden'),
        "percent": serializers.IntegerField(allow_null=True, required=False,
                                            help_text="share of the table's total in whole percent; null when the "
                                                      "row or the total is hidden, or rows overlap"),
        "people": ShownCountField(required=False, help_text="assistance: people given it"),
        "amount": serializers.CharField(allow_null=True, required=False,
                                        help_text="transport money: the sum paid, a decimal; null when hidden"),
    }
    return type("ReportRowSerializer", (serializers.Serializer,), fields)


ReportRowSerializer = row_serializer()
CROSS_TAB_NAMES = [cross_tab_name(rows, columns) for rows, columns in CROSS_TABS]


class CrossTabSerializer(serializers.Serializer):
    """Two dimensions crossed: every cell (zeros too), the row totals, the column totals and the grand total, all
    suppressed together so that no hidden number can be worked out from the others."""

    rows = serializers.CharField(help_text="the dimension of the rows")
    columns = serializers.CharField(help_text="the dimension of the columns")
    cells = ReportRowSerializer(many=True, help_text="one per row value and column value; `percent` is null")
    row_totals = ReportRowSerializer(many=True, help_text="one per row value, with its share of the total")
    column_totals = ReportRowSerializer(many=True, help_text="one per column value, with its share of the total")
    total = ShownCountField()


def tables_serializer(names: list[str], field, title: str):
    with translation.override("en"):
        fields = {name: field(help_text=str(labels.TABLE_TITLES[name])) for name in names}
    return type(title, (serializers.Serializer,), fields)


ReportTablesSerializer = tables_serializer(
    [name for name in labels.TABLE_TITLES if name not in CROSS_TAB_NAMES],
    lambda **kwargs: ReportRowSerializer(many=True, required=False, **kwargs), "ReportTablesSerializer")
ReportCrossTabsSerializer = tables_serializer(
    CROSS_TAB_NAMES, lambda **kwargs: CrossTabSerializer(required=False, **kwargs), "ReportCrossTabsSerializer")


class DonorReportSerializer(serializers.Serializer):
    """A JSON donor report: counts only, already suppressed. Returns are counted by when the movement actually left,
    from facts kept at departure, so a past period's return tables do not change when the report is run again; the
    other stages are counted from the records as they stand (a record entered later with a date in the period, or a
    person added later to a household registered in it, counts when it is run again)."""

    programme = serializers.CharField(allow_null=True, help_text="programme code; null for all programmes")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    generated_at = serializers.DateTimeField()
    suppression_threshold = serializers.IntegerField(help_text="counts below it are shown as \"<N\"; 0: none hidden")
    median_days_registration_to_departure = serializers.FloatField(
        allow_null=True, help_text="null when nobody left, or too few to show it")
    tables = ReportTablesSerializer(help_text="each table a list of rows")
    cross_tabs = ReportCrossTabsSerializer(help_text="the cross-tabulations of who returned")
