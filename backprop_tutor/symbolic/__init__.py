"""SymPy: symbolic forms, derivations, textbook derivations and their proofs, and the estimate
of what a derivation costs (budget, which imports no SymPy)."""
