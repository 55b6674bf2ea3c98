"""The network with its givens as a standalone SVG, for a question bank's questions: the
explore page's layout (units in columns by layer, each weight on its edge, inputs, targets and
biases beside their units), drawn without a script."""

from __future__ import annotations

from html import escape

from backprop_tutor.core.trace import Trace
from backprop_tutor.render.explore import network_picture

# white round the letters, over the edges: the label's own edge and any crossing it hidden
# under it (the explore page's CSS does the same; draw gives a label a white box)
HALO = ' paint-order="stroke" stroke="white" stroke-width="7" stroke-linejoin="round"'
EDGE_LABEL_AT = 0.3  # where the picture found no place clear of the rest for every label
# (explore.py's lx, ly: its centre), a weight's label sits this far along its edge


def network_svg(trace: Trace) -> str:
    p = network_picture(trace)
    r = p["r"]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{p["width"]}" height="{p["height"]}" '
        f'viewBox="0 0 {p["width"]} {p["height"]}" font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    for e in p["edges"]:
        parts.append(
            f'<line x1="{e["x1"]}" y1="{e["y1"]}" x2="{e["x2"]}" y2="{e["y2"]}" stroke="#888"/>'
        )
        # the label's centre as the picture placed it, clear of the rest; its baseline 4 lower
        x = e.get("lx", e["x1"] + EDGE_LABEL_AT * (e["x2"] - e["x1"]))
        y = e["ly"] + 4 if "ly" in e else e["y1"] + EDGE_LABEL_AT * (e["y2"] - e["y1"]) - 4
        parts.append(
            f'<text class="label" x="{x:.1f}" y="{y:.1f}" text-anchor="middle"{HALO}>'
            f"{escape(e['label'])}</text>"
        )
    for u in p["units"]:
        x, y = u["x"], u["y"]
        parts.append(f'<circle cx="{x}" cy="{y}" r="{r}" fill="#eef" stroke="#335"/>')
        parts.append(
            f'<text x="{x}" y="{y + 4}" text-anchor="middle" font-weight="bold">'
            f"{escape(u['name'])}</text>"
        )
        notes = [text for text in (u["note"], u["bias"]) if text]
        for k, text in enumerate(notes):
            parts.append(_text(x, y + r + 14 + 13 * k, text))  # as the page spaces them
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _text(x: float, y: float, text: str) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle">{escape(text)}</text>'
