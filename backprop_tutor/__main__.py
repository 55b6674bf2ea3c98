"""`python -m backprop_tutor`: the same as the backprop-tutor command."""

from .cli import app

app(prog_name="backprop-tutor")
