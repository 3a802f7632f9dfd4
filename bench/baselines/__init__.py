"""Baselines: the least a server can do for the same request, measured in the same run as the product."""
