"""The spec: a YAML file becomes a validated, fully named, frozen `Spec`.

The front door is `load_spec` (and `spec_from_text`), in `load.py`. The modules, in the order a
file passes through them: `yaml_source` (safe YAML with line numbers), `schema` (the file's
shape, pydantic), `resolve` and `params` (names, edges and parameter values), `data` and
`csv_data` (examples), `initialization`, `limits` (what is too large to trace or print), and
`model`, the resolved `Spec` every other package reads. `examples` finds the bundled specs.

Imported on first use (PEP 562), so `backprop_tutor.spec.model`, which the engine needs, can be
imported without pydantic and yaml.
"""

from __future__ import annotations

__all__ = ["LayerSpec", "Spec", "SpecError", "load_spec", "spec_from_text"]


def __getattr__(name: str):
    if name in __all__:
        from backprop_tutor.spec import load

        return getattr(load, name)
    raise AttributeError(name)
