"""The bundled examples: the lectures' configs, installed with the package as
`backprop_tutor.examples`, so `backprop-tutor run dawood` works from any folder."""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path

import yaml


def _folder() -> Path:
    """Where the bundled configs are: the installed package, or a source checkout's configs/."""
    # a namespace package (configs/ has no __init__.py): its one real folder
    spec = find_spec("backprop_tutor.examples")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parents[2] / "configs"  # a source checkout


def example_path(name: str) -> Path | None:
    """The bundled config called `name` (dawood, xor, ...), if there is one."""
    candidate = _folder() / f"{name}.yaml"
    return candidate if os.path.isfile(candidate) else None  # False, not OSError, past 255


def list_examples() -> list[tuple[str, str]]:
    """(name, title) of every bundled config, by name."""
    folder = _folder()
    found = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        found.append((path.stem, str(data.get("title", ""))))
    return found


def resolve(spec: Path) -> Path:
    """A spec path as given, or the bundled example it names (no such file, no suffix); a
    bare name that is neither is refused with the bundled name it is closest to."""
    if os.path.exists(spec) or spec.suffix:  # a name too long to look up: read, and refused
        return spec
    found = example_path(spec.name)
    # `run dawod`: no folder, no suffix, a name a folder could hold (a longer one is said so)
    if found is None and str(spec) == spec.name and len(os.fsencode(spec.name)) <= 255:
        import difflib

        from backprop_tutor.core.errors import FileRefused

        names = sorted(path.stem for path in _folder().glob("*.yaml"))
        close = difflib.get_close_matches(spec.name, names, n=1, cutoff=0.5)
        raise FileRefused(
            str(spec),
            "no such file, and no bundled example of that name",
            (f"did you mean '{close[0]}'? " if close else "")
            + "`backprop-tutor examples` lists the bundled ones",
        )
    return found or spec
