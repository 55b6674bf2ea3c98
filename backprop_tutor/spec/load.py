"""`load_spec(path)`: a YAML file becomes a validated, fully named, frozen `Spec`.

Three passes, each with the file's own line numbers in its errors: YAML (`yaml_source`), shape
and types (`spec_file`, pydantic), then the network's meaning (`spec_resolve`): every unit and
parameter named, every edge present once, names unique, targets matching the outputs.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from backprop_tutor.core.errors import SpecError
from backprop_tutor.spec.explain import explain
from backprop_tutor.spec.model import LayerSpec, Spec
from backprop_tutor.spec.resolve import NamesNotProved, Resolver
from backprop_tutor.spec.schema import SpecFile
from backprop_tutor.spec.yaml_source import YamlSource, parse_yaml, read_yaml

__all__ = ["LayerSpec", "Spec", "SpecError", "load_spec", "spec_from_source", "spec_from_text"]


def load_spec(path: str | Path, *, data_anywhere: bool = False) -> Spec:
    """Read, check and resolve a spec file; every problem is a SpecError with a place.

    A spec may name a CSV file; it is read only from inside the spec's folder unless
    `data_anywhere` (the command line's --allow-data-anywhere): specs can be untrusted."""
    return _resolve(read_yaml(Path(path)), data_anywhere)


def spec_from_text(text: str, name: str = "<text>", *, data_anywhere: bool = False) -> Spec:
    """The same as `load_spec`, for YAML already in memory (tests, generated exercises); a
    CSV it names is relative to the folder of `name`."""
    return _resolve(parse_yaml(text, name), data_anywhere)


def spec_from_source(source: YamlSource, *, data_anywhere: bool = False) -> Spec:
    """The same as `load_spec`, for data already read: `bank`'s redraws judge each draw of a
    file's numbers so, where writing its YAML and parsing it again took nine tenths of the
    time. Errors name the places `source.marks` gives."""
    return _resolve(source, data_anywhere)


def _resolve(source: YamlSource, data_anywhere: bool) -> Spec:
    if not isinstance(source.data, dict):
        raise source.error(
            (),
            "the file must be a mapping of keys such as inputs, layers, loss",
            "see configs/dawood.yaml for the format",
        )
    try:
        raw = SpecFile.model_validate(source.data)
    except ValidationError as exc:
        error = explain(source, exc)
    else:
        try:
            return Resolver(source, raw, data_anywhere).spec()
        except (SpecError, NamesNotProved):
            pass
        # every name made and claimed in the file's order: a problem is then found, and said,
        # exactly where it always was (patterns prove names unique only at the end); outside
        # the except block, so the error does not keep the first pass (its CSV) alive
        return Resolver(source, raw, data_anywhere, by_pattern=False).spec()
    # Raised outside the except block, so the SpecError does not carry the ValidationError as
    # its context: pydantic-core keeps our validators' exceptions, and their frames, in a
    # Rust object the garbage collector cannot see into, so that chain was never freed.
    raise error
