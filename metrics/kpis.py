"""Derived figures: kept as a name for older imports; the definitions live in `metrics.figures`."""
from metrics.figures import DERIVED, DERIVED_INPUTS, change, derive, median_from_buckets

__all__ = ["DERIVED", "DERIVED_INPUTS", "change", "derive", "median_from_buckets"]
