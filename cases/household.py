"""What the software derives from a household, never typed: ages, unaccompanied and separated children."""

from datetime import date, timedelta

from cases.choices import Relationship as R
from cases.people import ADULT_AGE, age_on, is_adult  # noqa: F401  (ADULT_AGE, age_on: the household's vocabulary)


def birth_date_from_age(age: int, day: date) -> date:
    """An estimated birth date for someone who says they are `age`: half a year past that birthday."""
    try:
        birthday = day.replace(year=day.year - age)
    except ValueError:  # 29 February
        birthday = day.replace(year=day.year - age, day=28)
    return birthday - timedelta(days=182)


def _parents_of(child, members) -> list:
    """The members who are this child's parents, from relationships stated to the principal."""
    if child.relationship == R.CHILD:
        return [m for m in members if m.relationship in (R.PRINCIPAL, R.SPOUSE)]
    if child.relationship in (R.PRINCIPAL, R.SIBLING):
        return [m for m in members if m.relationship == R.PARENT]
    return []


def child_flags(members, on: date) -> dict[int, tuple[bool, bool]]:
    """Per member (by position): (unaccompanied child, separated child).

    Unaccompanied: under 18 with no adult in the household. Separated: under 18 with adults, none a parent.
    """
    adults = [m for m in members if is_adult(m, on=on)]
    flags = {}
    for index, member in enumerate(members):
        if member.date_of_birth is None or is_adult(member, on=on):
            flags[index] = (False, False)
        elif not adults:
            flags[index] = (True, False)
        else:
            flags[index] = (False, not any(is_adult(p, on=on) for p in _parents_of(member, members)))
    return flags
