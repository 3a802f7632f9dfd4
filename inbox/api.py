"""The staff JSON API over tips: list, read, triage, reply, forward, escalate, reveal (`/api/v1/tips`)."""
from flask_login import current_user, login_required

from core.api import Blueprint, page_schema
from core.errors import Invalid
from core.extensions import db
from core.pagination import paginate
from core.permissions import can
from core.tenancy import load
from hierarchy.models import Unit
from inbox import services
from inbox.models import Tip
from inbox.queries import tip_for, tips_in_scope
from inbox.schemas import (
    ForwardIn,
    IdentityOut,
    ReasonIn,
    StaffMessageIn,
    StaffMessageOut,
    TipDetail,
    TipListArgs,
    TipListItem,
    TipPatch,
)

blp = Blueprint("inbox_api", __name__, url_prefix="/api/v1", description="Tin báo (cán bộ)")


@blp.route("/tips")
@login_required
@blp.arguments(TipListArgs, location="query")
@blp.response(200, page_schema(TipListItem, "TipPage"))
def list_tips(args):
    """Tips in the caller's scope; `unit_id` narrows to that unit's subtree, `overdue` to missed deadlines."""
    page, per_page = args.pop("page"), args.pop("per_page")
    return paginate(tips_in_scope(current_user, **args), page, per_page)


@blp.route("/tips/<int:tip_id>")
@login_required
@blp.response(200, TipDetail)
def get_tip(tip_id):
    """One tip with its thread (internal notes included), attachments and escalations. Recorded as a view."""
    tip = tip_for(current_user, tip_id)
    services.record_view(tip, current_user)
    db.session.commit()
    return tip


@blp.route("/tips/<int:tip_id>", methods=["PATCH"])
@login_required
@blp.arguments(TipPatch)
@blp.response(200, TipDetail)
def patch_tip(changes, tip_id):
    """Change `status` (closing takes `resolution`; `duplicate` takes `duplicate_of_id`), `severity`,
    `assignee_id` (null unassigns)."""
    tip = tip_for(current_user, tip_id, "tip.handle")
    apply_changes(tip, changes)
    db.session.commit()
    return tip


def apply_changes(tip, changes):
    """Shared with the staff pages."""
    from tenants.models import User

    if "severity" in changes:
        services.set_severity(tip, current_user, changes["severity"])
    if "assignee_id" in changes:
        assignee = None
        if changes["assignee_id"] is not None:
            assignee = load(User, changes["assignee_id"])
            if assignee is None:
                raise Invalid(fields={"assignee_id": ["Không có người dùng này."]})
        services.assign(tip, current_user, assignee)
    if "status" in changes:
        duplicate_of = None
        if changes.get("duplicate_of_id") is not None:
            # Loaded like the tip itself: one outside the caller's scope is "no such tip" too, so the answer
            # never tells whether an id exists.
            duplicate_of = load(Tip, changes["duplicate_of_id"])
            if duplicate_of is None or not can(current_user, "tip.view", duplicate_of):
                raise Invalid(fields={"duplicate_of_id": ["Không có tin báo này."]})
        services.change_status(tip, current_user, changes["status"], resolution=changes.get("resolution"),
                               duplicate_of=duplicate_of)
    elif changes.get("resolution") is not None:
        raise Invalid(fields={"resolution": ["Chỉ ghi kết quả khi đóng tin báo (status=closed)."]})


@blp.route("/tips/<int:tip_id>/messages", methods=["POST"])
@login_required
@blp.arguments(StaffMessageIn)
@blp.response(201, StaffMessageOut)
def add_message(data, tip_id):
    """A reply to the reporter (`body`), or an internal note (`internal: true`) only staff see."""
    tip = tip_for(current_user, tip_id, "tip.handle")
    message = services.add_staff_message(tip, current_user, data["body"], internal=data["internal"])
    db.session.commit()
    return message


@blp.route("/tips/<int:tip_id>/escalate", methods=["POST"])
@login_required
@blp.arguments(ReasonIn)
@blp.response(200, TipDetail)
def escalate(data, tip_id):
    """To the parent unit; `reason` required."""
    tip = tip_for(current_user, tip_id, "tip.escalate")
    services.escalate(tip, current_user, data["reason"])
    db.session.commit()
    return tip


@blp.route("/tips/<int:tip_id>/forward", methods=["POST"])
@login_required
@blp.arguments(ForwardIn)
@blp.response(200, TipDetail)
def forward(data, tip_id):
    """To any unit of the tenant (`unit_id`); `reason` required."""
    tip = tip_for(current_user, tip_id, "tip.forward")
    services.forward(tip, current_user, load(Unit, data["unit_id"]), data["reason"])
    db.session.commit()
    return tip


@blp.route("/tips/<int:tip_id>/reveal", methods=["POST"])
@login_required
@blp.arguments(ReasonIn)
@blp.response(200, IdentityOut)
def reveal(data, tip_id):
    """The reporter's identity; `reason` required; only roles allowed `tip.reveal` (directors); audited."""
    tip = tip_for(current_user, tip_id, "tip.reveal")
    identity = services.reveal_identity(tip, current_user, data["reason"])
    db.session.commit()
    return identity
