"""The package's layout holds: every package ships, and no module needs itself to be imported.

The layers themselves (cli above render above ... above core) are import-linter's contract in
pyproject.toml, run by .ci/run.
"""

from __future__ import annotations

import grimp
import tomllib
from conftest import ROOT


def test_every_package_folder_is_in_the_wheel() -> None:
    """pyproject lists the packages (the bundled examples need a mapping that discovery cannot
    make), so a new folder under backprop_tutor/ left out of the list would be left out of
    the wheel: this fails instead."""
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "backprop_tutor").rglob("__init__.py")
    }
    assert found - listed == set()
    assert listed - found == {"backprop_tutor.examples"}  # the configs/ folder


def test_no_import_cycles() -> None:
    """No module reaches itself through the modules it imports, function-level imports
    included. An import for type hints alone (proof.py names derivation's classes) runs
    never, so it is left out."""
    graph = grimp.build_graph("backprop_tutor", exclude_type_checking_imports=True)
    cycles = [
        (module, imported)
        for module in sorted(graph.modules)
        for imported in graph.find_modules_directly_imported_by(module)
        if graph.chain_exists(importer=imported, imported=module)
    ]
    assert cycles == []
