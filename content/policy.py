"""The tenant's review policy: which units' posts need approval, and who approves them.

Stored in `Tenant.settings["review_policy"]`; any key left out takes the default:
- `review_kinds`: unit kinds whose posts need approval before publishing (default commune and district);
- `approver_roles`: roles that approve (default unit_admin and director);
- `approver_level`: `ancestor` (an admin of a unit above the post's unit) or `self_or_ancestor`.
Units of other kinds (province HQ, departments) publish directly.
"""
from sqlalchemy import select

from core.extensions import db
from core.permissions import ROLE_ACTIONS, memberships_of
from core.tenancy import current_tenant_id, platform_scope

DEFAULT_POLICY = {
    "review_kinds": ["commune", "district"],
    "approver_roles": ["unit_admin", "director"],
    "approver_level": "ancestor",
}


def review_policy(tenant_id=None):
    """The policy in force for the tenant (the current one by default), defaults filled in."""
    from tenants.models import Tenant

    tenant_id = tenant_id or current_tenant_id()
    with platform_scope():
        settings = db.session.execute(select(Tenant.settings).where(Tenant.id == tenant_id)).scalar_one_or_none()
    configured = (settings or {}).get("review_policy") or {}
    return {key: configured.get(key, default) for key, default in DEFAULT_POLICY.items()}


def needs_review(unit, policy=None):
    policy = policy or review_policy(unit.tenant_id)
    return unit.kind in policy["review_kinds"]


def may_approve(user, post, policy=None):
    """Whether `user` may approve `post` under the policy (on top of holding `post.approve`)."""
    policy = policy or review_policy(post.tenant_id)
    path = post.unit.path
    strict = needs_review(post.unit, policy) and policy["approver_level"] == "ancestor"
    for role, anchor in memberships_of(user):
        if role not in policy["approver_roles"] or "post.approve" not in ROLE_ACTIONS.get(role, ()):
            continue
        if anchor and path.startswith(anchor) and not (strict and anchor == path):
            return True
    return False


def approver_anchors(user, policy=None):
    """Unit paths under which `user` approves posts: the review queue is every in-review post below them."""
    policy = policy or review_policy()
    return [anchor for role, anchor in memberships_of(user)
            if anchor and role in policy["approver_roles"] and "post.approve" in ROLE_ACTIONS.get(role, ())]
