"""The bundled examples: the lectures' configs, installed with the package as
`backprop_tutor.examples`, so `backprop-tutor run dawood` works from any folder."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import yaml


def _folder() -> Path:
    """Where the bundled configs are: the installed package, or a source checkout's configs/."""
    try:
        return Path(str(files("backprop_tutor.examples")))
    except ModuleNotFoundError:  # an install from before the examples were bundled
        return Path(__file__).resolve().parent.parent / "configs"


def example_path(name: str) -> Path | None:
    """The bundled config called `name` (dawood, xor, ...), if there is one."""
    candidate = _folder() / f"{name}.yaml"
    return candidate if candidate.is_file() else None


def list_examples() -> list[tuple[str, str]]:
    """(name, title) of every bundled config, by name."""
    folder = _folder()
    found = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        found.append((path.stem, str(data.get("title", ""))))
    return found


def resolve(spec: Path) -> Path:
    """A spec path as given, or the bundled example it names (no such file, no suffix)."""
    if spec.exists() or spec.suffix:
        return spec
    return example_path(spec.name) or spec
