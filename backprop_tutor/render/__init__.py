"""Views of a Trace: one module per output format. None of them computes a number."""
