"""Questionnaires of the follow-up: checking an answer against its question, scoring, and freezing a version in use.

Score of a dimension (economic, social, psychosocial), from 0 to 1:

    score = Σ wᵢ·vᵢ / Σ wᵢ   over the answered questions of that dimension with a weight above 0

where wᵢ is the question's current weight and vᵢ its answer normalised to 0..1: yes = 1, no = 0; a scale answer x
is (x − 1) / 4; a number x is (x − min) / (max − min) (unscored without both bounds); a choice takes its option's
"score"; free text is not scored. A question marked `reverse_scored` counts 1 − vᵢ. A dimension with no scored answer
has no score. The raw answers are kept with their question, so scores are computed again whenever weights change.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from reception.choices import AnswerType
from reception.models import FollowUpAnswer, InstrumentItem, InstrumentVersion

YES, NO = "yes", "no"
SCALE = range(1, 6)
TEXT_LIMIT = 1000


def item_text(item: InstrumentItem) -> str:
    """The question in the reader's language (Spanish unless they read English)."""
    return item.text_en if (get_language() or "es").startswith("en") else item.text_es


def option_text(option: dict) -> str:
    return option.get("en") if (get_language() or "es").startswith("en") else option.get("es")


def number_of(raw) -> Decimal | None:
    try:
        number = Decimal(str(raw).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def answer_clean(item: InstrumentItem, raw) -> str:
    """The answer as stored (a code, a number, a text), or ValidationError with what the question takes."""
    text = "" if raw is None else str(raw).strip()
    if not text:
        if item.required:
            raise ValidationError(_("Answer this question."))
        return ""
    if item.answer_type == AnswerType.YES_NO:
        if text.lower() not in (YES, NO):
            raise ValidationError(_("Answer yes or no."))
        return text.lower()
    if item.answer_type == AnswerType.SCALE:
        if text not in {str(n) for n in SCALE}:
            raise ValidationError(_("Choose a number from 1 to 5."))
        return text
    if item.answer_type == AnswerType.CHOICE:
        if text not in {option.get("code") for option in item.options}:
            raise ValidationError(_("Choose one of the listed options."))
        return text
    if item.answer_type == AnswerType.NUMBER:
        return number_clean(item, text)
    if len(text) > TEXT_LIMIT:
        raise ValidationError(_("This answer is too long (at most %(limit)d characters).") % {"limit": TEXT_LIMIT})
    return text


def plain(number: Decimal) -> str:
    """250, 2.5, -3: never 2.5E+2."""
    return format(number.normalize(), "f")


def number_clean(item: InstrumentItem, text: str) -> str:
    number = number_of(text)
    if number is None:
        raise ValidationError(_("Give a number."))
    low, high = item.min_value, item.max_value
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValidationError(_("Give a number from %(min)s to %(max)s.") % {
            "min": "—" if low is None else plain(low), "max": "—" if high is None else plain(high)})
    return plain(number)


def answer_field(item: InstrumentItem) -> str:
    """The name of the question's field, on the page's form and in the API's errors."""
    return f"q_{item.code}"


def answers_clean(version: InstrumentVersion | None, answers: dict) -> list[tuple[InstrumentItem, str]]:
    """Every question of the version with its answer checked; all the wrong answers at once, each by its field."""
    if version is None:
        return []
    answers = answers or {}
    cleaned, errors = [], {}
    for item in version.items.all():
        try:
            value = answer_clean(item, answers.get(item.code))
        except ValidationError as exc:
            errors[answer_field(item)] = exc.messages
            continue
        if value != "":
            cleaned.append((item, value))
    unknown = set(answers) - {item.code for item in version.items.all()}
    if unknown:
        errors["answers"] = [_("These are not questions of this questionnaire: %(codes)s.") % {
            "codes": ", ".join(sorted(str(code) for code in unknown))}]
    if errors:
        raise ValidationError(errors)
    return cleaned


def item_score(item: InstrumentItem, value: str) -> float | None:
    """The answer on 0..1 (see the module's docstring), or None when the question is not scored."""
    score = None
    if item.answer_type == AnswerType.YES_NO:
        score = 1.0 if value == YES else 0.0
    elif item.answer_type == AnswerType.SCALE:
        score = (int(value) - 1) / 4
    elif item.answer_type == AnswerType.NUMBER and item.min_value is not None and item.max_value is not None \
            and item.max_value > item.min_value:
        score = float((Decimal(value) - item.min_value) / (item.max_value - item.min_value))
    elif item.answer_type == AnswerType.CHOICE:
        option = next((o for o in item.options if o.get("code") == value), {})
        score = float(option["score"]) if isinstance(option.get("score"), (int, float)) else None
    if score is None:
        return None
    return 1 - score if item.reverse_scored else score


def dimension_scores(pairs: list[tuple[InstrumentItem, str]]) -> dict[str, Decimal]:
    """Each dimension's weighted mean of its scored answers, with the questions' current weights."""
    sums: dict[str, list[float]] = {}
    for item, value in pairs:
        score = item_score(item, value)
        if not item.dimension or score is None or item.weight <= 0:
            continue
        weighted, weights = sums.setdefault(item.dimension, [0.0, 0.0])
        sums[item.dimension] = [weighted + float(item.weight) * score, weights + float(item.weight)]
    return {dimension: Decimal(weighted / weights).quantize(Decimal("0.0001"))
            for dimension, (weighted, weights) in sums.items()}


def flags_raised(pairs: list[tuple[InstrumentItem, str]]) -> set[str]:
    """The safeguarding flags the answers raise (a question's `flag` when its answer is one of `flag_when`)."""
    return {item.flag for item, value in pairs
            if item.flag and value.lower() in {str(v).lower() for v in item.flag_when}}


def version_in_use(version: InstrumentVersion) -> bool:
    """An answer recorded against it, or a follow-up made from a step that asks it: its questions are frozen."""
    if version.pk is None:
        return False
    return (FollowUpAnswer.objects.filter(item__version=version).exists()
            or version.follow_ups.exists())


FROZEN_FIELDS = ("code", "text_es", "text_en", "answer_type", "options", "min_value", "max_value", "required",
                 "dimension", "reverse_scored", "flag", "flag_when")


def version_frozen_error() -> ValidationError:
    return ValidationError(_("This questionnaire version is in use: its questions can no longer change. Make a new "
                             "version instead (the action “Make a new version” of the questionnaire versions)."),
                           code="version_frozen")


def item_change_check(item: InstrumentItem, *, deleting: bool = False) -> None:
    """Refuse adding, deleting or rewording a question of a version in use; only its weight may change."""
    if not version_in_use(item.version):
        return
    if deleting or item.pk is None:
        raise version_frozen_error()
    before = InstrumentItem.objects.get(pk=item.pk)
    if any(getattr(before, name) != getattr(item, name) for name in FROZEN_FIELDS):
        raise version_frozen_error()


def instrument_version_copy(version: InstrumentVersion) -> InstrumentVersion:
    """A new, unpublished version with the same questions, to edit instead of a frozen one."""
    from django.db import transaction
    from django.db.models import Max

    with transaction.atomic():
        number = (InstrumentVersion.objects.filter(instrument_id=version.instrument_id)
                  .aggregate(n=Max("number"))["n"] or 0) + 1
        copy = InstrumentVersion.objects.create(instrument_id=version.instrument_id, number=number)
        for item in version.items.all():
            item.pk, item.version = None, copy
            item.save()
    return copy
