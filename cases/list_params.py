"""The case list's parameters, read the same way by the page and the API: filters, cursor, page size."""

import base64
from datetime import date
from typing import NamedTuple

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from accounts.choices import Country
from accounts.models import Office, Programme
from cases.choices import CaseStatus


def case_filters_from(params, user=None) -> dict:
    """Read the list filters, refusing unknown codes and bad dates with a message that names them."""
    filters, errors = {}, {}
    vulnerability_filter_read(params, user, filters, errors)
    checks = {
        "status": lambda v: v in CaseStatus.values,
        "nationality": lambda v: v in Country.values,
        "office": lambda v: Office.objects.filter(code=v).exists(),
        "programme": lambda v: Programme.objects.filter(code=v).exists(),
    }
    messages = {
        "status": _("“%(value)s” is not a case status."),
        "nationality": _("“%(value)s” is not a known country code."),
        "office": _("No office has the code “%(value)s”."),
        "programme": _("No programme has the code “%(value)s”."),
    }
    for name, valid in checks.items():
        value = params.get(name)
        if value:
            if valid(value):
                filters[name] = value
            else:
                errors[name] = [messages[name] % {"value": value}]
    for name in ("registered_from", "registered_to"):
        if params.get(name):
            try:
                filters[name] = date.fromisoformat(params[name])
            except ValueError:
                errors[name] = [_("Write the date as YYYY-MM-DD.")]
    for name in ("umc", "incomplete"):
        if params.get(name) in ("1", "true", "on"):
            filters[name] = True
    if params.get("q", "").strip():
        filters["q"] = params["q"].strip()[:100]
    if params.get("sort"):
        if params["sort"] in ("newest", "oldest"):
            filters["sort"] = params["sort"]
        else:
            errors["sort"] = [_("Sort by “newest” or “oldest”.")]
    if errors:
        raise ValidationError(errors)
    return filters


def vulnerability_filter_read(params, user, filters: dict, errors: dict) -> None:
    """`vulnerability=<kind>` or `any`: only for the case team, since the filter itself reveals who is vulnerable."""
    from cases.permissions import CASE_TEAM_ROLES, user_roles
    from screening.choices import VulnerabilityKind

    value = params.get("vulnerability")
    if not value:
        return
    if user is None or not (user_roles(user) & CASE_TEAM_ROLES):
        errors["vulnerability"] = [_("Your role cannot filter by vulnerability.")]
    elif value == "any" or value in VulnerabilityKind.values:
        filters["vulnerability"] = value
    else:
        errors["vulnerability"] = [_("“%(value)s” is not a kind of vulnerability.") % {"value": value}]


class RankedKeyset(NamedTuple):
    """Where a name search's page ended: the tier (whole words, beginnings, typos) and the last id shown in it."""

    tier: int
    before_id: int | None


def keyset_from(params) -> "int | RankedKeyset | None":
    """The opaque cursor of the next page (the last id shown, or tier.id for a name search; base64); a bad one
    starts from the top."""
    cursor = params.get("cursor", "")
    try:
        value = base64.urlsafe_b64decode(cursor.encode() + b"==").decode()
        if value.isdigit():
            return int(value)
        tier, _, before_id = value.partition(".")
        if len(tier) == 1 and tier.isdigit() and before_id.isdigit():
            return RankedKeyset(int(tier), int(before_id))
        return None
    except (ValueError, UnicodeDecodeError):  # int() refuses over 4,300 digits
        return None


def keyset_token(before: "int | RankedKeyset") -> str:
    value = f"{before.tier}.{before.before_id}" if isinstance(before, RankedKeyset) else str(before)
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")
