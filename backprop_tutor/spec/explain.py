"""A spec file's format error as one line: the first pydantic error with its place in the
file (line and column), what is wrong in the user's words, and a fix that names what belongs
there or the bundled config that shows it. The models themselves are schema.py's."""

from __future__ import annotations

import difflib
import typing

from pydantic import BaseModel, ValidationError

from backprop_tutor.core.errors import SpecError, shortened
from backprop_tutor.spec.schema import BELONGS, UNION_TAGS, SpecFile
from backprop_tutor.spec.yaml_source import YamlPath, YamlSource

_TAG_WORDS = {
    "<mapping>": "a mapping of name: value",
    "<list>": "a list",
    "<number>": "a number",
    "<init>": "init",
}


def explain(source: YamlSource, exc: ValidationError) -> SpecError:
    """The first pydantic error as one line with its place, and a fix; every other one the
    same way, in file order, in its `others` (which `validate` lists and the line counts)."""
    errors = _distinct(exc.errors(include_url=False))
    # A misspelled key is both unknown and missing; the unknown one carries the "did you mean".
    errors.sort(key=lambda e: e["type"] != "extra_forbidden")
    first, *rest = (_one(source, error) for error in errors)
    first.others = tuple(sorted(rest, key=lambda e: (e.line or 0, e.column or 0)))
    return first


def _distinct(errors: list) -> list:
    """The errors without a key missing only because it is misspelled: `rat:` for `rate:` is
    one mistake, which the unknown key's "did you mean 'rate'?" already mends."""
    meant = set()
    for error in errors:
        if error["type"] == "extra_forbidden":
            path = _path(error)
            close = difflib.get_close_matches(str(path[-1]), _keys_at(path[:-1]), 1, 0.5)
            meant.update((*path[:-1], c) for c in close)
    return [e for e in errors if not (e["type"] == "missing" and _path(e) in meant)] or errors


def _path(error: dict) -> YamlPath:
    return tuple(p for p in error["loc"] if p not in UNION_TAGS)


def _one(source: YamlSource, error: dict) -> SpecError:
    """One pydantic error as one line with its place, in the spec's words, and a fix."""
    path = _path(error)
    kind = error["type"]
    if kind == "extra_forbidden":
        unknown = f"unknown key '{shortened(str(path[-1]))}'"
        return source.error(path, unknown, _keys(path), at_key=True)
    if kind == "missing":
        return source.error(
            path,
            f"missing key '{path[-1]}'",
            f"add '{path[-1]}:' here; see {_example(path)}",
        )
    if kind == "value_error":
        return source.error(path, str(error["ctx"]["error"]), "")
    if kind == "union_tag_invalid":  # pydantic's own words name our discriminator function
        return source.error(path, f"got {_described(error['input'])}", _forms(path, error))
    if kind == "literal_error":
        return source.error(
            path,
            f"got {shortened(repr(error['input']))}",
            f"use one of {error['ctx']['expected']}",
        )
    if kind == "too_short":  # pydantic's words: "list should have at least 1 item after
        # validation, not 0"
        need = error["ctx"]["min_length"]
        return source.error(
            path,
            "is empty" if not error["ctx"]["actual_length"] else "too short",
            f"give at least {need} item{'s' * (need != 1)}; see {_example(path)}",
        )
    got = error.get("input")
    shown = shortened(repr(got)) if not isinstance(got, dict | list) else type(got).__name__
    if kind == "model_type":  # pydantic names the model's class: say what belongs here
        belongs = next((BELONGS[p] for p in path if p in BELONGS), "a mapping of key: value")
        return source.error(path, f"got {shown}, where {belongs} belongs", f"see {_example(path)}")
    fix = _FIXES.get(kind, "").format(**error.get("ctx", {}))
    return source.error(path, f"{error['msg'].lower()}, got {shown}", fix)


# a key whose value may take several forms: every form, with an example of each
_FORMS = {
    "weights": "a mapping of name: {from, to, value} (as configs/dawood.yaml), or a list of "
    "rows, a row per unit of this layer (as configs/layered.yaml)",
    "inputs": "a mapping of name: number such as {i1: 0.1, i2: 0.5}, or a list of numbers",
    "targets": "a mapping of output unit: number, or a list of numbers, one per output unit",
}


def _forms(path: YamlPath, error: dict) -> str:
    """The fix for a value of none of a key's forms: every form the key takes (a list of
    weights is as valid as a mapping, so naming one of them misled)."""
    key = next((p for p in reversed(path) if isinstance(p, str)), "")
    if key in _FORMS:
        return f"write {_FORMS[key]}"
    expected = str(error["ctx"]["expected_tags"])
    return "write " + " or ".join(_TAG_WORDS[t] for t in sorted(UNION_TAGS) if t in expected)


def _described(value: object) -> str:
    """A value as the user wrote it, by kind: text is not "a number" because a discriminator
    sorts it with them; text that YAML would have read as a list or a mapping had it not been
    quoted is said to be quoted."""
    if isinstance(value, dict):
        return "a mapping of name: value"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"{str(value).lower()}, a true/false value"
    if isinstance(value, str):
        quoted = " (quoted, so YAML reads it as text)" if value.strip()[:1] in ("[", "{") else ""
        return f"the text '{shortened(value)}'{quoted}"
    return f"the number {shortened(value)}"


_FIXES = {  # pydantic's type errors: what to write instead
    "string_type": "write a name",
    "string_too_long": "use a shorter one",
    "int_type": "write a whole number",
    "bool_type": "write true or false",
    "list_type": "write a list",
    "dict_type": "write a mapping of name: value",
    "greater_than": "use a number above {gt:g}",
    "greater_than_equal": "use {ge:g} or more",
    "less_than": "use a number below {lt:g}",
    "less_than_equal": "use {le:g} or less",
}


def _keys(path: YamlPath) -> str:
    """An unknown key's fix: the valid key it is closest to, and every valid key there."""
    valid = _keys_at(path[:-1])
    close = difflib.get_close_matches(str(path[-1]), valid, n=1, cutoff=0.5)
    fix = f"did you mean '{close[0]}'? " if close else ""
    return fix + f"valid keys here: {', '.join(valid)}"


# the bundled config that shows a part of the format, by the key it sits under
_EXAMPLES = {
    "optimizer": "configs/adam.yaml",
    "regularization": "configs/weight-decay.yaml",
    "dropout": "configs/dropout.yaml",
    "batch_norm": "configs/batch-norm.yaml",
    "data": "configs/xu-stochastic.yaml",
    "training": "configs/xor.yaml",
}


def _example(path: YamlPath) -> str:
    """The bundled config to copy the part at `path` from (configs/dawood.yaml by default)."""
    return next((_EXAMPLES[p] for p in path if p in _EXAMPLES), "configs/dawood.yaml")


def _keys_at(path: YamlPath) -> list[str]:
    """The valid keys of the model found at `path` of the file."""
    model: type[BaseModel] = SpecFile
    for part in path:
        fields = {f.alias or n: f for n, f in model.model_fields.items()}
        if isinstance(part, str) and part in fields:
            model = _inner_model(fields[part].annotation) or model
    return [f.alias or n for n, f in model.model_fields.items()]


def _inner_model(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found:
            return found
    return None
