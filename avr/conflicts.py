"""Stale saves on pages: show what is saved now beside what the user typed, so the next save is a decision.

A versioned form carries, signed, the values its fields had when the user loaded it (`loaded_values`). When a save
is refused because someone else saved in between, `conflict_form` builds the form again on the new version: a field
the user changed keeps the user's input, a field only the other person changed takes the newly saved value (so it is
never reverted by someone who did not touch it), and every field whose saved value moved is listed in the comparison
the page shows (templates/conflict.html). Only the form's own fields are compared, so a field the user may not see
(removed from the form by the field policy) is never shown.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django import forms
from django.core import signing
from django.utils import formats, timezone
from django.utils.translation import gettext as _

TOKEN_FIELD = "loaded_values"
SALT = "avr.conflicts.loaded"
NOT_COMPARED = {"version"}
EMPTY = "—"


@dataclass(frozen=True)
class Difference:
    name: str
    label: str
    saved: str
    yours: str
    keeps_yours: bool


@dataclass(frozen=True)
class Conflict:
    version: int
    differences: list[Difference]


def compared_fields(form) -> dict:
    return {name: field for name, field in form.fields.items() if name not in NOT_COMPARED}


def canonical(field, value):
    """A value as plain JSON, the same whether it came from the database, the token or what was typed."""
    if isinstance(field, forms.BooleanField):
        return bool(value)
    if value is None or value == "":
        return ""
    if isinstance(field, forms.ModelChoiceField):
        return str(getattr(value, "pk", value))
    if isinstance(value, (list, tuple)):
        return sorted(str(getattr(v, "pk", v)) for v in value)
    if isinstance(value, datetime):
        # Pages show minutes: seconds left in a saved value would make an untouched field look changed.
        return timezone.localtime(value.replace(second=0, microsecond=0)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    # Browsers post a textarea's line breaks as CRLF whatever was saved.
    return str(value).replace("\r\n", "\n").strip() if isinstance(field, forms.CharField) else str(value)


def loaded_token(values: dict) -> str:
    return signing.dumps(values, salt=SALT, compress=True)


def initial_token(form) -> str:
    """The token of an unbound form: the values it shows, as the user loads them."""
    return loaded_token({name: canonical(field, form.get_initial_for_field(field, name))
                         for name, field in compared_fields(form).items()})


def form_token(form) -> str:
    """What the page carries: the values loaded before a conflict, the first load's values, or today's."""
    if getattr(form, "loaded_token", None):
        return form.loaded_token
    if form.is_bound and form.data.get(TOKEN_FIELD):
        return form.data[TOKEN_FIELD]
    return initial_token(form)


def loaded_from(data, name: str = TOKEN_FIELD):
    """The values the user loaded, or None if the page carried none (or a tampered one)."""
    try:
        return signing.loads(data.get(name, ""), salt=SALT)
    except signing.BadSignature:
        return None


def shown(field, value) -> str:
    """A value as the user reads it: choice labels, local dates, yes or no."""
    if isinstance(field, forms.BooleanField):
        return _("Yes") if value else _("No")
    if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
        # The empty choice may have a label of its own ("No", "Not assessed").
        labels = {str(key): label for key, label in field.choices}
        values = value if isinstance(value, (list, tuple)) else ["" if value is None else value]
        return ", ".join(str(labels.get(str(v), v)) for v in values if str(v) in labels or v) or EMPTY
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(field, forms.ModelChoiceField):
        if not hasattr(value, "pk"):
            value = field.queryset.filter(pk=value).first()
        return field.label_from_instance(value) if value is not None else EMPTY
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def decided(before, typed, now) -> tuple[bool, bool]:
    """(keep the user's input, show the difference) for one value, given as `canonical` values.

    `before` is what the user loaded, or None when unknown: then nobody can tell who changed what, so the input is
    kept and every difference shown.
    """
    keeps_yours = before is None or typed != before
    return keeps_yours, now != typed and (before is None or now != before)


def merged(form, saved: dict) -> tuple[dict, list[Difference]]:
    """Field by field: the value the form keeps, and the differences the user must see."""
    loaded = loaded_from(form.data)
    kept, differences = {}, []
    for name, field in compared_fields(form).items():
        typed, now = form.cleaned_data.get(name), saved.get(name)
        typed_c = canonical(field, typed)
        before = loaded.get(name, typed_c) if loaded is not None else None
        keeps_yours, show = decided(before, typed_c, canonical(field, now))
        kept[name] = typed if keeps_yours else now
        if show:
            differences.append(Difference(name=name, label=str(getattr(field, "conflict_label", field.label)),
                                          saved=shown(field, now), yours=shown(field, typed),
                                          keeps_yours=keeps_yours))
    return kept, differences


def conflict_form(form, *, saved: dict, version: int, **form_kwargs):
    """The form again, unbound, on the new version, with the comparison it shows (see the module's docstring).

    `saved` holds the values saved now, by field name; `form_kwargs` are what the form class needs besides them.
    """
    kept, differences = merged(form, saved)
    fresh = type(form)(initial=kept | {"version": version}, **form_kwargs)
    fresh.conflict = Conflict(version=version, differences=differences)
    fresh.loaded_token = loaded_token({name: canonical(field, saved.get(name))
                                       for name, field in compared_fields(fresh).items()})
    return fresh
