"""The benchmark scenarios; each `run(ctx)` returns a dict of figures with its baselines and ratios."""
