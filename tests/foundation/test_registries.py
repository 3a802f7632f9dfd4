"""Registries live on the app, filled by the factory in a fixed order: a second app neither grows nor shares the
first one's navigation, header widgets, URL ids, periodic jobs or reports."""
from core import create_app
from core.registry import NAMES, registry
from tests.conftest import make_config


def test_each_app_has_its_own_registries_filled_the_same_way(app, tmp_root, database_uri):
    before = {name: list(registry(name, app)) for name in NAMES}
    other = create_app(make_config(tmp_root, database_uri))
    for name in NAMES:
        assert list(registry(name, app)) == before[name], name  # the first app's did not grow
        assert list(registry(name, other)) == before[name], name  # the same entries, in the same order
        assert registry(name, other) is not registry(name, app)


def test_the_navigation_is_in_the_declared_order_without_duplicates(app):
    endpoints = [endpoint for _order, endpoint, _label, _action in registry("nav", app)]
    assert len(endpoints) == len(set(endpoints)) == 9
    assert endpoints[:3] == ["metrics.dashboard", "hierarchy.tree", "inbox.index"]
    assert [func.__name__ for func, _seconds in registry("periodic", app)] == [
        "sweep_scheduled_posts", "sweep_deadlines", "sweep_playback", "sweep_zalo", "sweep_exports",
        "anchor_audit_chains"]
