"""Absolute addresses of the site, always from the configured `PUBLIC_BASE_URL`.

A request's Host header is the client's to choose: an address built from it and kept in a cache (an Atom feed,
a public page behind a proxy cache) or sent back in a link would carry whatever host an attacker sent. Paths
come from `url_for`; the scheme and host from the setting. The app is served at the root of that address.
"""
from flask import current_app, url_for


def public_base():
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def public_url(endpoint, **values):
    """`url_for(endpoint, **values)` as an absolute address on PUBLIC_BASE_URL."""
    values.pop("_external", None)
    return public_base() + url_for(endpoint, **values)
