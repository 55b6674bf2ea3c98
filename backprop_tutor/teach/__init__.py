"""The teaching tools: check (claims judged against the trace), formula claims, gradcheck and
the exercise generator."""
