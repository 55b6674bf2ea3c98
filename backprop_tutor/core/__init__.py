"""The numeric core every other package stands on: numbers and rounding, the activation and
loss registries, notations, the trace (events and ids), errors, and safe file access."""
