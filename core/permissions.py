"""Who may do what, decided by one function: `can(user, action, obj)`.

A membership gives a role anchored at a unit, valid for that unit's subtree (a director sits at the province
HQ, so the whole tenant). `obj` is anything with a unit: a Unit, or an object with `.unit`/`.unit_path`, or
None for tenant-wide actions (then any membership whose role allows the action is enough).

Views, the API, CLI commands and jobs all ask `can()`; lists are narrowed in SQL with `scope_clause()`, which
reads the same role table. Outside the caller's subtree an object is treated as not found (404); inside it,
a role that lacks the action gets 403.
"""
from flask import g, has_request_context
from sqlalchemy import false, or_

from core.errors import Forbidden, NotFound

ROLES = ("director", "unit_admin", "officer", "auditor", "platform_admin")
TENANT_ROLES = ROLES[:-1]

_READ = {"unit.view", "post.view", "tip.view", "metrics.view"}
_INBOX = {"tip.handle", "tip.forward", "tip.escalate"}
_PAGES = {"unit.edit", "post.edit", "post.approve", "post.publish", "user.manage"}

ROLE_ACTIONS = {
    "director": _READ | _INBOX | _PAGES
    | {"tip.reveal", "export.create", "audit.view", "tenant.settings", "zalo.configure", "zalo.connect",
       "user.manage_directors"},
    "unit_admin": _READ | _INBOX | _PAGES | {"zalo.connect"},
    "officer": _READ | _INBOX,
    "auditor": _READ | {"export.create", "audit.view"},
    "platform_admin": {"tenant.create"},
}

# Actions that change data: an auditor holds none of them, and the role matrix test checks that.
MUTATING_ACTIONS = _INBOX | _PAGES | {"tip.reveal", "tenant.settings", "zalo.configure", "zalo.connect",
                                      "user.manage_directors"}


def unit_path_of(obj):
    if obj is None:
        return None
    path = getattr(obj, "unit_path", None)
    if path:
        return path
    if getattr(obj, "path", None) and hasattr(obj, "kind"):
        return obj.path
    unit = getattr(obj, "unit", None)
    return unit.path if unit is not None else None


def memberships_of(user):
    """The user's active memberships with their unit paths, cached for the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return []
    cache = g.setdefault("_memberships", {}) if has_request_context() else {}
    if user.id not in cache:
        cache[user.id] = [(m.role, m.unit.path if m.unit is not None else None) for m in user.memberships]
    return cache[user.id]


def can(user, action, obj=None):
    path = unit_path_of(obj)
    for role, anchor in memberships_of(user):
        if action not in ROLE_ACTIONS.get(role, ()):
            continue
        if obj is None or (anchor is not None and path is not None and path.startswith(anchor)):
            return True
    return False


def in_scope(user, obj):
    """Whether the object is inside any of the user's subtrees at all (else it is a 404 to them)."""
    path = unit_path_of(obj)
    return any(anchor and path and path.startswith(anchor) for _role, anchor in memberships_of(user))


def require(user, action, obj=None):
    """The request pipeline's check: out of scope → 404, in scope but not allowed → 403."""
    if obj is not None and not in_scope(user, obj):
        raise NotFound()
    if not can(user, action, obj):
        raise Forbidden()
    return obj


def may_grant(user, role, unit):
    """Whether `user` may give `role` at `unit`: only if they hold every right of that role there themselves,
    so nobody hands out more than they have (a unit admin cannot make an auditor, who reads the audit log)."""
    return role in ROLE_ACTIONS and all(can(user, action, unit) for action in ROLE_ACTIONS[role])


def scope_clause(user, action, path_column):
    """SQL condition: rows whose unit path lies in a subtree where the user's role allows `action`."""
    anchors = [anchor for role, anchor in memberships_of(user)
               if anchor and action in ROLE_ACTIONS.get(role, ())]
    if not anchors:
        return false()
    return or_(*[path_column.startswith(anchor, autoescape=True) for anchor in _outermost(anchors)])


def _outermost(paths):
    """Drop anchors inside another anchor: the outer one already covers them."""
    paths = sorted(set(paths), key=len)
    kept = []
    for path in paths:
        if not any(path.startswith(outer) for outer in kept):
            kept.append(path)
    return kept

