"""The browser form to ask for a donor report: it parses what was typed; the rules live in reports.services."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.forms import BootstrapBoundField
from reports.choices import ReportFormat
from screening.forms import control, date_field

# JSON is for the API; people download documents.
PAGE_FORMATS = [(ReportFormat.PDF, "PDF"), (ReportFormat.XLSX, _("XLSX (Excel)")), (ReportFormat.CSV, "CSV")]


class ReportForm(forms.Form):
    bound_field_class = BootstrapBoundField

    # A code, checked by the service (unknown programme, or one the user may not report on).
    programme = forms.CharField(label=_("Programme"), required=False, widget=control(forms.Select))
    period_start = date_field(pgettext_lazy("date range", "From"))
    period_end = date_field(pgettext_lazy("date range", "To"))
    format = forms.ChoiceField(label=_("Format"), choices=PAGE_FORMATS, widget=control(forms.Select))

    def __init__(self, *args, programmes, all_programmes: bool, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(p.code, f"{p.name} ({p.code})") for p in programmes]
        if all_programmes:
            choices.insert(0, ("", _("All programmes")))
        self.fields["programme"].widget.choices = choices
