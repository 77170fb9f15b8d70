"""YAML files the office edits by hand (catalog, campaign, narrative), read strictly.

PyYAML's safe loader keeps the last of two equal keys (a second `target:` silently wins),
reads `.nan`/`.inf` as numbers, and expands aliases: a 23 KiB file of nested aliases
becomes billions of nodes for whatever walks the result. None of that is ever meant in a
plan, so each is refused here, with its line, before anything uses the document:
duplicate keys, anchors/aliases (no catalog needs them), non-finite numbers. The node tree
is composed once (aliases are shared there, so composing stays linear) and the line of
every key is kept, so later checks can name lines too.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from .errors import KpiError, Problem, ValidationFailed

# libyaml when present: ten times faster than pure Python, and catalogs load often.
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FLOAT_TAG = "tag:yaml.org,2002:float"

Lines = dict[tuple, int]  # (key, index, …) path in the document -> 1-based line


def read_yaml(path: Path, what: str, loader: type = FAST_LOADER) -> tuple[Any, Lines]:
    """The document in `path` and the line of each of its keys; every duplicate key,
    alias and non-finite number is refused at once, each with its line. `what` names the
    file in messages ("catalog", "campaign file")."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise KpiError(f"{what} is not UTF-8 text", file=str(path),
                       fix="save it as UTF-8") from None
    reader = loader(text)
    try:
        try:
            node = reader.get_single_node()
        except yaml.YAMLError as exc:
            raise KpiError(f"{what} is not valid YAML: {exc}", file=str(path),
                           fix="fix the YAML syntax") from None
        check = _Checker(path, text, loader)
        if node is not None:
            try:
                check.walk(node, ())
            except _AliasFound:
                pass  # recorded; walking on would expand it
        if check.problems:
            raise ValidationFailed(check.problems, head=f"{len(check.problems)} problem(s) "
                                   f"in {what} {path}; nothing was read")
        try:
            doc = reader.construct_document(node) if node is not None else None
        except yaml.YAMLError as exc:
            raise KpiError(f"{what} is not valid YAML: {exc}", file=str(path),
                           fix="fix the YAML syntax") from None
    finally:
        reader.dispose()
    return doc, check.lines


class _AliasFound(Exception):
    """An alias was met: the walk ends there (its problem is recorded)."""


class _Checker:
    """One pass over the node tree: lines of keys, duplicate keys, non-finite numbers, and
    the first alias (the same node object met twice)."""

    def __init__(self, path: Path, text: str, loader: type) -> None:
        self.path, self.text, self.loader = path, text, loader
        self.lines: Lines = {}
        self.problems: list[Problem] = []
        self.seen: set[int] = set()

    def walk(self, node: yaml.Node, here: tuple) -> None:
        if id(node) in self.seen:
            self.problems.append(_alias_problem(self.path, self.text, self.loader))
            raise _AliasFound
        self.seen.add(id(node))
        self.lines.setdefault(here, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            if node.tag == FLOAT_TAG and not _finite(node.value):
                self.problems.append(Problem(
                    f"{_name(here)}: {node.value!r} is not a finite number",
                    file=f"{self.path}:{node.start_mark.line + 1}",
                    fix="write a plain number (no .nan or .inf)"))
        elif isinstance(node, yaml.SequenceNode):
            for n, child in enumerate(node.value):
                self.walk(child, (*here, n))
        else:
            self._mapping(node, here)

    def _mapping(self, node: yaml.MappingNode, here: tuple) -> None:
        first: dict[str, int] = {}
        for key, value in node.value:
            name, line = str(key.value), key.start_mark.line + 1
            if name in first:
                self.problems.append(Problem(
                    f"{_name((*here, name))}: key '{name}' appears twice (first on line "
                    f"{first[name]})", file=f"{self.path}:{line}",
                    fix="keep one of them; YAML would silently use the last"))
                continue
            first[name] = line
            self.lines[(*here, name)] = line
            self.walk(value, (*here, name))


def _alias_problem(path: Path, text: str, loader: type) -> Problem:
    """Where the first alias is: the events (a linear pass) carry the line the shared node
    lost."""
    line = None
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            line = event.start_mark.line + 1
            break
    return Problem("an alias (*name) repeats an anchored part (&name); catalog and campaign "
                   "files do not use them (nested aliases can expand to billions of entries)",
                   file=f"{path}:{line}" if line else str(path),
                   fix="write the repeated part out in full")


def _finite(value: str) -> bool:
    try:
        return math.isfinite(float(value.replace("_", "")))
    except ValueError:  # a float the resolver accepts but float() does not (60-base): fine
        return not value.lower().lstrip("+-").startswith((".inf", ".nan"))


def _name(here: tuple) -> str:
    out = ""
    for part in here:
        out += f"[{part + 1}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out or "top level"


def locate(path: Path | str, lines: Lines, loc: tuple) -> str:
    """'file:line' of the deepest part of `loc` present in the file."""
    loc = tuple(str(p) if not isinstance(p, int) else p for p in loc)
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            return f"{path}:{lines[loc[:cut]]}"
    return str(path)
