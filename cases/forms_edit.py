from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.choices import Country
from cases.choices import HowHeard


class CaseEditForm(forms.Form):
    """The case's own fields; the rules are in cases.services.case_update."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    destination_country = forms.ChoiceField(label=_("Country of return"), choices=Country.choices)
    how_heard = forms.ChoiceField(label=_("How they heard of the programme"),
                                  choices=[("", "—"), *HowHeard.choices], required=False)
    intake_date = forms.DateField(label=_("Intake date"), widget=forms.DateInput(attrs={"type": "date"}))
    caseworker_notes = forms.CharField(label=_("Caseworker notes"), widget=forms.Textarea(attrs={"rows": 4}),
                                       required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)
