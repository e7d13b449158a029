"""One person, one return: placeholder until the people branch lands (returns no conflicts)."""


def same_person_active_unmet(case) -> list:
    return []
