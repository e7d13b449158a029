from django import template

from screening.choices import CounsellingTopic, FitnessOutcome, Severity, VulnerabilityKind

register = template.Library()


@register.filter
def vulnerability_label(kind: str) -> str:
    return VulnerabilityKind(kind).label if kind in VulnerabilityKind.values else kind


@register.filter
def topic_label(topic: str) -> str:
    return CounsellingTopic(topic).label if topic in CounsellingTopic.values else topic


@register.filter
def severity_label(value: str) -> str:
    return Severity(value).label if value in Severity.values else value


@register.filter
def fitness_label(value: str) -> str:
    return FitnessOutcome(value).label if value in FitnessOutcome.values else value
