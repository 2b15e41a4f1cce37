"""Reviewers from CODEOWNERS: for each touched file the last matching rule wins (GitHub's rule)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pathspec

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


@dataclass(frozen=True, slots=True)
class Owners:
    """People and teams to ask for review."""

    users: tuple[str, ...]
    teams: tuple[str, ...]  # "team-slug" of "@org/team-slug"


def owners_for(repo: Path, files: list[str]) -> Owners:
    """The owners of `files` according to the repository's CODEOWNERS (none if it has none)."""
    rules = _rules(repo)
    users: dict[str, None] = {}
    teams: dict[str, None] = {}
    for file in files:
        owners: list[str] = []
        for spec, rule_owners in rules:
            if spec.match_file(file):
                owners = rule_owners  # later rules take precedence
        for owner in owners:
            if "/" in owner:
                teams[owner.split("/", 1)[1]] = None
            elif "@" not in owner.lstrip("@"):  # e-mail addresses cannot be requested
                users[owner.lstrip("@")] = None
    return Owners(tuple(users), tuple(teams))


def _rules(repo: Path) -> list[tuple[pathspec.GitIgnoreSpec, list[str]]]:
    for location in LOCATIONS:
        path = repo / location
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            break
    else:
        return []
    rules = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        pattern, *owners = line.split()
        rules.append((pathspec.GitIgnoreSpec.from_lines([pattern]), owners))
    return rules
