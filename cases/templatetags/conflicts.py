from django import template

from avr.conflicts import TOKEN_FIELD, form_token

register = template.Library()


@register.inclusion_tag("conflict.html")
def conflict(form):
    """The loaded values a versioned form carries and, after a refused stale save, the comparison to decide on."""
    return {"name": TOKEN_FIELD, "token": form_token(form), "conflict": getattr(form, "conflict", None)}
