"""Read a YAML file safely and remember where every value came from.

PyYAML's safe loader builds plain data but forgets line numbers and silently keeps the last of two
duplicate keys. Here the document is composed into nodes once, the nodes are walked to record
the line of every path (for error messages) and to refuse duplicate keys and alias bombs, and
only then is the data constructed, by the same safe loader.
"""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from backprop_tutor.core.errors import FileRefused, SpecError, format_place, shortened
from backprop_tutor.core.files import read_bytes
from backprop_tutor.core.utf8 import not_utf8

MAX_FILE_BYTES = 1_000_000
# Far more nodes than any hand-written network needs, far fewer than an alias bomb expands to.
MAX_NODES = 200_000
# A float reaches 1.8e308, so no number a spec can use has more digits; Python refuses to read
# integers past 4,300 digits with a ValueError of its own.
MAX_INT_DIGITS = 310
# A spec nests about six levels (layers[0].weights.w1.from); PyYAML composes and constructs by
# recursion, so a kilobyte of brackets would otherwise end in a RecursionError.
MAX_DEPTH = 32

YamlPath = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlRole:
    """What a YAML file is read as, so that a message about the whole file (empty, missing)
    tells the user to write what belongs in it: a claims file is read by the same reader as a
    spec, and "write a network spec" sent its writer to the wrong format."""

    what: str  # the file as a message names it: "spec", "claims file"
    write: str  # the fix for an empty file: what to write in it
    find: str  # the fix for a missing file: where one comes from


SPEC_ROLE = YamlRole(
    "spec file",
    "write a network spec; see configs/dawood.yaml",
    "check the path, or run `backprop-tutor run configs/dawood.yaml` from the project folder",
)


def claims_role(spec: str, path: Path | None = None) -> YamlRole:
    """A claims file at `path` checked against the spec `spec` (as the command was given
    it): where missing, the template command is offered with the very path asked for."""
    make = f"backprop-tutor run {shlex.quote(spec)} --claims-template"
    return YamlRole(
        "claims file",
        "write one claim a line, such as 'new[w5]: 0.45187', or every id to fill in with "
        f"`{make} FILE`",
        f"check the path; `{make} {shlex.quote(str(path or 'FILE'))}` writes one with every id "
        "to fill in",
    )


@dataclass
class YamlSource:
    """The data of one YAML file and the line and column (1-based) of each path in it."""

    file: str
    data: object
    marks: dict[YamlPath, tuple[int, int]] = field(default_factory=dict)
    scalars: dict[YamlPath, str] = field(default_factory=dict)  # each scalar's text as written
    # where each mapping key is written (`marks` holds where its value starts): an unknown
    # key is pointed at by its name, not by the value after it
    keys: dict[YamlPath, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: YamlPath) -> tuple[int | None, int | None]:
        """Line and column of `path`, or of its nearest ancestor that the file has."""
        for end in range(len(path), -1, -1):
            mark = self.marks.get(tuple(path[:end]))
            if mark:
                return mark
        return None, None

    def error(self, path: YamlPath, problem: str, fix: str = "", at_key: bool = False) -> SpecError:
        """A SpecError at `path`, with the line and column the file gives it: its value's,
        or, `at_key`, where its key is written."""
        line, column = self.keys.get(path) if at_key and path in self.keys else self.locate(path)
        return SpecError(self.file, problem, fix, format_place(path), line, column)


def read_yaml(path: Path, role: YamlRole = SPEC_ROLE) -> YamlSource:
    """Load `path` with PyYAML's safe loader; any problem becomes a SpecError.

    Only a regular file of at most MAX_FILE_BYTES is read (files.open_regular): /dev/zero, a
    FIFO or /proc/self/environ named as a spec or claims file is one line, not a hang."""
    name = str(path)
    try:
        data = read_bytes(path, MAX_FILE_BYTES, role.what)
    except FileRefused as refused:
        if refused.problem == "no such file":
            refused.fix = role.find
        raise
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise not_utf8(name, [data]) from None  # its line:column, not only an offset
    return parse_yaml(text, name, role)


def parse_yaml(text: str, name: str = "<text>", role: YamlRole = SPEC_ROLE) -> YamlSource:
    """Parse YAML `text`, refusing duplicate keys, alias bombs and non-finite numbers."""
    try:
        loader = _BoundedLoader(text)  # its reader refuses control characters at once
    except yaml.reader.ReaderError as exc:
        raise _unprintable(name, text, exc.position, exc.character) from None
    loader.file = name
    try:
        node = loader.get_single_node()
        if node is None:
            raise SpecError(name, "the file is empty", role.write)
        source = YamlSource(name, None)
        _walk(node, (), source, [0])
        source.data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem, fix = _restated(exc, text)
        raise SpecError(
            name,
            problem,
            fix,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise SpecError(name, f"YAML error: {exc}", "fix the YAML") from None
    finally:
        loader.dispose()
    return source


# PyYAML's words where they point away from the fix: its context mark for a second document
# is where the first began
_RESTATED = {
    "expected a single document in the stream": (
        "a second YAML document starts here (after '---'); a spec is one document",
        "delete this '---' and what follows it, or put each network in its own file",
    ),
}


_TAB = (
    "a tab, which YAML does not allow here",
    "replace the tab with spaces (YAML indents, and separates a key's colon from its value, "
    "with spaces only)",
)


def _restated(exc: yaml.MarkedYAMLError, text: str) -> tuple[str, str]:
    """The problem and its fix in the user's words where PyYAML's would mislead: a tab it
    cannot read is "found character '\\t' that cannot start any token", which does not say
    that spaces would do."""
    if exc.context in _RESTATED:
        return _RESTATED[exc.context]
    mark = exc.problem_mark
    if mark is not None and text[mark.index : mark.index + 1] == "\t":
        return _TAB
    return f"YAML syntax error: {_said(exc)}", "fix the YAML at this line and column"


def _said(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's problem with its context, where it has one ("while scanning a quoted scalar
    on line 3, found unexpected end of stream"): the problem alone can say little ("second
    occurrence", "but found another document")."""
    if not (exc.context and exc.problem):
        return str(exc.problem or exc.context)
    start, end = exc.context_mark, exc.problem_mark
    at = f" on line {start.line + 1}" if start and end and start.line != end.line else ""
    return f"{exc.context}{at}, {exc.problem}"


def _unprintable(name: str, text: str, position: int, character: int | str) -> SpecError:
    """A character YAML does not allow (a NUL, an escape): where it is, by line and column."""
    code = character if isinstance(character, int) else ord(character)
    before = text[:position]
    return SpecError(
        name,
        f"the character U+{code:04X} is not allowed in YAML",
        "delete it (YAML files hold printable text only)",
        line=before.count("\n") + 1,
        column=position - (before.rfind("\n") + 1) + 1,
    )


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing documents nested deeper than MAX_DEPTH while it composes
    them (its composer recurses once per level, so the check must come before the recursion),
    and a value its constructor cannot read (a date with month 13, `!!int abc`) by its place,
    where PyYAML would raise Python's own ValueError or KeyError."""

    file = "<text>"
    depth = 0

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _too_deep(self.file, mark.line + 1, mark.column + 1)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_object(self, node, deep=False):  # type: ignore[no-untyped-def]
        try:
            return super().construct_object(node, deep)
        except (ValueError, KeyError, IndexError, AttributeError, OverflowError):
            raise _unreadable(self.file, node) from None


# what a scalar's tag (written, or read from its form, as 2001-12-14 is a date) promises
_KINDS = {"int": "whole number", "float": "number", "bool": "true/false value", "timestamp": "date"}


def _unreadable(file: str, node: yaml.Node) -> SpecError:
    tag = node.tag.rpartition(":")[2]
    kind = _KINDS.get(tag, f"!!{tag}")
    return SpecError(
        file,
        f"'{shortened(str(node.value))}' is not a valid {kind}",
        f"write a valid {kind}, or quote it (with no tag) to keep it as text",
        line=node.start_mark.line + 1,
        column=node.start_mark.column + 1,
    )


def _too_deep(file: str, line: int | None, column: int | None) -> SpecError:
    return SpecError(
        file,
        f"the document is nested more than {MAX_DEPTH} levels deep",
        "a spec or claims file needs a few levels; remove the extra brackets or indentation",
        line=line,
        column=column,
    )


_STR = "tag:yaml.org,2002:str"


def _not_a_name(file: str, path: YamlPath, key: yaml.Node) -> SpecError:
    """A key YAML reads as a number, true/false, null or a date (or a list): no key of a
    spec is one. Said at the key, which pydantic's error would place at the document's start."""
    kind = key.tag.rpartition(":")[2]
    if not isinstance(key, yaml.ScalarNode):
        problem, fix = "a key is a list or a mapping, not a name", "write a name"
    else:
        read = {"null": "nothing (null)"}.get(kind) or f"a {_KINDS.get(kind, 'value')}"
        problem = f"the key '{shortened(key.value)}' is read as {read}, not a name"
        fix = f"write a name; quote it ('{shortened(key.value)}': ...) if it is one"
    mark = key.start_mark
    return SpecError(file, problem, fix, format_place(path), mark.line + 1, mark.column + 1)


def _duplicate(file: str, path: YamlPath, first: int, key: yaml.Node) -> SpecError:
    """A key written twice in one mapping, said at the second: YAML would keep its last value."""
    line, column = key.start_mark.line + 1, key.start_mark.column + 1
    problem = f"duplicate key '{path[-1]}' (lines {first} and {line})"
    fix = "keep one of them; YAML would silently use the last"
    return SpecError(file, problem, fix, format_place(path), line, column)


def _walk(node: yaml.Node, path: YamlPath, source: YamlSource, count: list[int]) -> None:
    """Record marks, and refuse what the safe loader would accept but a spec must not hold
    (aliases can nest one anchored node inside another, so depth is checked here too)."""
    if len(path) > MAX_DEPTH:
        raise _too_deep(source.file, node.start_mark.line + 1, node.start_mark.column + 1)
    count[0] += 1
    if count[0] > MAX_NODES:
        raise SpecError(
            source.file,
            f"the document expands to more than {MAX_NODES:,} values "
            "(anchors and aliases repeated too often)",
            "write the network out without nested aliases",
        )
    source.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key_node.tag != _STR:  # `1:`, `true:`, `null:`: never a name, wherever it is
                raise _not_a_name(source.file, path, key_node)
            if key in seen:
                raise _duplicate(source.file, (*path, key), seen[key], key_node)
            seen[key] = line
            source.keys.setdefault((*path, key), (line, key_node.start_mark.column + 1))
            _walk(value_node, (*path, key), source, count)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), source, count)
    elif isinstance(node, yaml.ScalarNode):
        source.scalars[path] = node.value
    if node.tag == "tag:yaml.org,2002:float" and not math.isfinite(_yaml_float(node.value)):
        raise source.error(
            path,
            f"'{shortened(node.value)}' is not a finite number",
            "write an ordinary number such as 0.5",
        )
    if node.tag == "tag:yaml.org,2002:int" and len(node.value) > MAX_INT_DIGITS:
        raise source.error(
            path,
            f"'{shortened(node.value)}' is a whole number of {len(node.value):,} digits, "
            "larger than any number a spec can use",
            "write an ordinary number such as 2 or 0.5",
        )


def _yaml_float(text: str) -> float:
    """The float a YAML 1.1 float scalar denotes (.inf, .nan, 1_000.5, 1e3)."""
    lowered = text.lower().replace("_", "")
    if lowered in (".inf", "+.inf"):
        return math.inf
    if lowered == "-.inf":
        return -math.inf
    if lowered == ".nan":
        return math.nan
    try:
        return float(lowered)
    except ValueError:
        return 0.0  # sexagesimal and other rare forms: PyYAML constructs them; they are finite
