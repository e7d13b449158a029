from django import template

from screening.choices import CounsellingTopic, VulnerabilityKind

register = template.Library()


@register.filter
def vulnerability_label(kind: str) -> str:
    return VulnerabilityKind(kind).label if kind in VulnerabilityKind.values else kind


@register.filter
def topic_label(topic: str) -> str:
    return CounsellingTopic(topic).label if topic in CounsellingTopic.values else topic
