"""Metric functions, one module per family (SPEC section 3)."""
