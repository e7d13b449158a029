"""Browser forms for movements and travel documents: they parse what was typed; the rules live in travel.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.choices import OfficeKind
from accounts.models import Office
from cases.forms import BootstrapBoundField
from screening.forms import control, date_field
from travel.choices import EscortKind, MovementMode, SupportKind, TravelDocumentStatus, TravelDocumentType


def datetime_field(label, required=True):
    # <input type="datetime-local"> only takes ISO values without seconds: anything else would show as empty.
    return forms.DateTimeField(label=label, required=required, widget=forms.DateTimeInput(
        format="%Y-%m-%dT%H:%M", attrs={"class": "form-control", "type": "datetime-local"}))


class OfficeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class TravelForm(forms.Form):
    bound_field_class = BootstrapBoundField


class MovementForm(TravelForm):
    """Planning (all fields) or editing (what may change once planned: not the offices)."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    mode = forms.ChoiceField(label=_("Mode"), choices=MovementMode.choices, widget=control(forms.Select))
    carrier = forms.CharField(label=_("Carrier"), max_length=120, widget=control(
        placeholder=_("e.g. Transportes del Pacífico")))
    vehicle = forms.CharField(label=_("Vehicle or flight number"), max_length=60, required=False, widget=control())
    departure_office = OfficeChoiceField(label=_("Departure office"), queryset=Office.objects.none(),
                                         widget=control(forms.Select))
    departure_place = forms.CharField(label=_("Departure place"), max_length=160, required=False, widget=control(
        placeholder=_("e.g. the bus station, the airport")))
    departure_at = datetime_field(_("Departure"))
    reception_centre = OfficeChoiceField(label=_("Reception centre"), widget=control(forms.Select),
                                         queryset=Office.objects.filter(kind=OfficeKind.RECEPTION_CENTRE)
                                         .order_by("country", "name"))
    capacity = forms.IntegerField(label=_("Seats"), min_value=1, max_value=1000, widget=control(forms.NumberInput))
    notes = forms.CharField(label=_("Notes"), required=False, widget=control(forms.Textarea, rows=3))

    def __init__(self, *args, countries=(), editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["departure_office"]
            del self.fields["reception_centre"]
        else:
            del self.fields["version"]
            self.fields["departure_office"].queryset = Office.objects.filter(country__in=countries).exclude(
                kind__in=[OfficeKind.RECEPTION_CENTRE, OfficeKind.HEADQUARTERS]).order_by("name")


class LegForm(TravelForm):
    """One row of the legs table; a blank row is ignored."""

    crossing_point = forms.CharField(label=_("Border crossing or stop"), max_length=160, required=False,
                                     widget=control(placeholder=_("e.g. Tecún Umán")))
    expected_at = datetime_field(_("Expected at"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("crossing_point", "").strip() and not data.get("expected_at") and "expected_at" not in self.errors:
            self.add_error("expected_at", _("Give the expected time."))
        if data.get("expected_at") and not data.get("crossing_point", "").strip():
            self.add_error("crossing_point", _("Name the crossing point or stop."))
        return data


def leg_formset(data=None, *, legs=(), blank_rows: int = 3):
    """The legs already planned, then blank rows to add more (at least three rows in all)."""
    initial = [{"crossing_point": leg.crossing_point, "expected_at": leg.expected_at.replace(second=0, microsecond=0)}
               for leg in legs]
    formset = forms.formset_factory(LegForm, extra=max(blank_rows, 3 - len(initial)))
    return formset(data, initial=initial or None, prefix="legs")


def legs_from(formset) -> list[dict]:
    return [{"crossing_point": row.cleaned_data["crossing_point"].strip(),
             "expected_at": row.cleaned_data["expected_at"]}
            for row in formset.forms if row.cleaned_data.get("crossing_point", "").strip()]


class BookingForm(TravelForm):
    case = forms.IntegerField(label=_("Approved case"), widget=control(forms.Select))


class EscortForm(TravelForm):
    name = forms.CharField(label=_("Name"), max_length=160, widget=control())
    kind = forms.ChoiceField(label=_("Kind"), choices=EscortKind.choices, widget=control(forms.Select))
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False, widget=control(type="tel"))
    members = forms.TypedMultipleChoiceField(label=_("Escorts these passengers"), coerce=int, required=False,
                                             widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))

    def __init__(self, *args, passengers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = [(b.member_id, f"{b.seat}. {b.member.full_name}") for b in passengers]


class BorderSupportForm(TravelForm):
    crossing_point = forms.CharField(label=_("Border crossing or stop"), max_length=160, widget=control(
        list="crossing-points"))
    kind = forms.ChoiceField(label=_("Kind of support"), choices=SupportKind.choices, widget=control(forms.Select))
    count = forms.IntegerField(label=_("People"), min_value=1, max_value=1000, widget=control(forms.NumberInput))
    given_at = datetime_field(_("Given at"))


class TravelDocumentForm(TravelForm):
    type = forms.ChoiceField(label=_("Type"), choices=TravelDocumentType.choices, widget=control(forms.Select))
    number = forms.CharField(label=_("Number"), max_length=40, required=False, widget=control())
    issuing_consulate = forms.CharField(label=_("Issuing consulate"), max_length=160, required=False, widget=control(
        placeholder=_("e.g. Consulate of Honduras in Tijuana")))
    requested_on = date_field(_("Requested on"), required=False)
    issued_on = date_field(_("Issued on"), required=False)
    expires_on = date_field(_("Expires on"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=TravelDocumentStatus.choices, widget=control(forms.Select))
