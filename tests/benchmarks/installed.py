"""The environment a benchmark's child processes run in: the one a user has after installing.

Python keeps each module's compiled bytecode beside it, or under PYTHONPYCACHEPREFIX, and reads
it back on every later start. A machine that sets PYTHONDONTWRITEBYTECODE (as this project's
sandboxes do) would compile every module of an editable install from source on every start,
which no installed user pays (pip compiles what it installs, an import writes the rest once).
So both sides of a comparison run with bytecode written to, and read from, one folder of the
run's own; the warm-up round fills it.
"""

from __future__ import annotations

import os
from pathlib import Path


def installed_env(cache: Path) -> dict[str, str]:
    """os.environ with bytecode written and read under `cache`, for every child alike."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env
