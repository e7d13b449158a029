"""What an edit made offline does to a record that may have changed on the server meanwhile: field by field.

Low-risk fields merge (the tablet's value applies: it is what the migrant said last). Every other field is
protection-relevant — consent, fear of return, vulnerabilities, child status (date of birth, age, relationship),
the travel document, who the person is — and a value that changed on both sides differently is never settled by a
machine: it becomes a conflict holding the three values (what the tablet saw, what the server has, what the tablet
wants) for a caseworker to choose.
"""

from dataclasses import dataclass, field
from enum import Enum

# Low-risk: a wrong value costs a phone call, not a person's safety. Anything not named here is protected.
MERGEABLE_MEMBER_FIELDS = frozenset({"phone", "languages", "place_of_origin", "intended_destination"})
MERGEABLE_CASE_FIELDS = frozenset({"how_heard"})


class Outcome(Enum):
    KEEP = "keep"          # nothing to do: the tablet's value is already the server's
    APPLY = "apply"        # the tablet's value goes in
    CONFLICT = "conflict"  # both sides changed it differently: kept aside for a person


def canonical(value) -> str:
    """Values compare as the forms show them: no value and an empty one are the same, dates by their ISO form."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def field_outcome(*, mergeable: bool, base, server, device) -> Outcome:
    base, server, device = canonical(base), canonical(server), canonical(device)
    if device == server:
        return Outcome.KEEP
    if server == base or mergeable:
        return Outcome.APPLY
    return Outcome.CONFLICT


@dataclass
class Merge:
    apply: dict = field(default_factory=dict)
    conflicts: dict = field(default_factory=dict)  # name -> (base, server, device)


def edit_merge(*, mergeable: frozenset, base: dict, server: dict, changes: dict, same_version: bool) -> Merge:
    """Split an offline edit into what applies now and what waits for a person.

    `same_version`: the record has not been saved since the tablet read it, so every change applies as it stands.
    """
    merge = Merge()
    for name, device in changes.items():
        if same_version:
            if canonical(device) != canonical(server.get(name)):
                merge.apply[name] = device
            continue
        outcome = field_outcome(mergeable=name in mergeable, base=base.get(name), server=server.get(name),
                                device=device)
        if outcome is Outcome.APPLY:
            merge.apply[name] = device
        elif outcome is Outcome.CONFLICT:
            merge.conflicts[name] = (base.get(name), server.get(name), device)
    return merge
