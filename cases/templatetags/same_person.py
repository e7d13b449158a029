from django import template

from cases.identity import linked_cases_for_user

register = template.Library()


@register.simple_tag(takes_context=True)
def same_person_links(context, case) -> list[dict]:
    """The other cases of the same person, as the signed-in user may see them (see cases.identity)."""
    return linked_cases_for_user(user=context["request"].user, case=case)


@register.filter
def links_of(links: list[dict], member) -> list[dict]:
    return [link for link in links if link["member_id"] == member.pk]
