"""`python -m backprop_tutor`: the same as the backprop-tutor command."""

from backprop_tutor.cli import app

app(prog_name="backprop-tutor")
