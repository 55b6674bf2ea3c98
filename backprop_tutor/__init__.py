"""backprop-tutor: a YAML network becomes a complete worked example of backpropagation.

from backprop_tutor import load_spec, run
trace = run(load_spec("configs/dawood.yaml"))   # or run("dawood"), a bundled example
trace.values()["new[w5]"]                        # 0.4518781254...
trace                                            # in Jupyter: the worked example's tables
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["load_spec", "run"]


def __getattr__(name: str):
    """Imported on first use, so `import backprop_tutor` stays light (PEP 562)."""
    if name == "load_spec":
        from backprop_tutor.spec import load_spec

        return load_spec
    if name == "run":
        return _run
    raise AttributeError(name)


def _run(spec):
    """The Trace of a Spec, a spec file's path, or a bundled example's name."""
    from pathlib import Path

    from backprop_tutor.record import run
    from backprop_tutor.spec import load_spec
    from backprop_tutor.spec.examples import resolve
    from backprop_tutor.spec.model import Spec

    _show_in_notebooks()
    return run(spec if isinstance(spec, Spec) else load_spec(resolve(Path(spec))))


def _show_in_notebooks() -> None:
    """In IPython or Jupyter, a Trace shows as the worked example's tables. The view is handed
    to IPython's HTML formatter here, at the top of the package, so the trace (the core) knows
    nothing of rendering; nothing is imported when IPython is not running."""
    import sys

    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return
    from backprop_tutor.core.trace import Trace
    from backprop_tutor.render.notebook import trace_html

    shell.display_formatter.formatters["text/html"].for_type(Trace, trace_html)
