"""A Trace in Jupyter: the same tables as the terminal, as HTML from Rich's recording."""

from __future__ import annotations

import io

from rich.console import Console

from backprop_tutor.core.trace import Trace
from backprop_tutor.render.rich_tables import WorkedExample


def trace_html(trace: Trace) -> str:
    console = Console(
        record=True,
        file=io.StringIO(),
        width=100,
        force_terminal=True,
        color_system="truecolor",
        highlight=False,
        emoji=False,
    )
    console.print(WorkedExample(trace))
    return console.export_html(inline_styles=True, code_format="<pre>{code}</pre>")
