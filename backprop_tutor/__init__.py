"""backprop-tutor: a YAML network becomes a complete worked example of backpropagation."""

__version__ = "0.1.0"
