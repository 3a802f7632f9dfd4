"""Tools for development and the tests, not part of the product (not installed with it): `zalo_fake`, a local
stand-in for Zalo's servers."""
