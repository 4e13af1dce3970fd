"""Named attendee groups (`_groups.yaml`): nested groups flattened, cycles and unknown members reported."""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.desired.build import not_an_address, parse_attendee
from reconciler.desired.problems import Problem
from reconciler.desired.yamlsource import Document

PREFIX = "group:"


def flatten_groups(doc: Document) -> tuple[dict[str, tuple[str, ...]], list[Problem]]:
    """Each group's members with nested groups expanded; groups on a cycle map to `()` (reported once)."""
    raw: Mapping[str, list[str]] = doc.data.get("groups", {}) if isinstance(doc.data, dict) else {}
    problems: list[Problem] = []
    flat: dict[str, tuple[str, ...]] = {}
    cyclic: set[str] = set()

    def locate(problem: Problem, at_key: bool = False) -> Problem:
        return problem.located(doc.file, *doc.locate(problem.path, at_key=at_key))

    def expand(name: str, trail: tuple[str, ...]) -> tuple[str, ...]:
        if name in flat:
            return flat[name]
        if name in trail:
            cycle = (*trail[trail.index(name) :], name)
            if not cyclic.intersection(cycle):
                problems.append(
                    locate(
                        Problem(
                            ("groups", cycle[0]),
                            "groups include each other in a cycle: "
                            + " → ".join(cycle)
                            + "; remove one of the references",
                        ),
                        True,
                    )
                )
            cyclic.update(cycle)
            return ()
        members: list[str] = []
        for i, entry in enumerate(raw.get(name, [])):
            if not entry.startswith(PREFIX):
                if parse_attendee(entry) is None:  # reported here, once, not at every meeting using the group
                    problems.append(locate(Problem(("groups", name, i), not_an_address(entry))))
                else:
                    members.append(entry)
                continue
            inner = entry[len(PREFIX) :].strip()
            if inner not in raw:
                message = f"unknown group {inner!r}; define it in this file"
                problems.append(locate(Problem(("groups", name, i), message)))
                continue
            members.extend(expand(inner, (*trail, name)))
        result = () if name in cyclic else tuple(dict.fromkeys(members))
        flat[name] = result
        return result

    for name in raw:
        expand(name, ())
    return {name: () if name in cyclic else members for name, members in flat.items()}, problems
