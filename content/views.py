"""Staff pages: the post list (filters, review queue, scheduled calendar), the editor, revisions, and the
unit profile. Thin: they parse the form, call the same services as the API, commit, redirect."""
from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError
from sqlalchemy import select

from content import lifecycle, services
from content.media import attach_media
from content.models import EDITABLE, KINDS, STATUSES, Post, PostRevision
from content.profile import PROFILE_LIMITS, update_unit_profile
from content.schemas import PostCreateSchema, PostUpdateSchema
from core.errors import AppError, Invalid
from core.extensions import db
from core.markdown import render_markdown
from core.pagination import clamp_page
from core.permissions import can, require, scope_clause
from core.tenancy import load
from core.timeutil import LOCAL_TZ, to_local
from hierarchy.models import Unit
from hierarchy.services import merged_from

bp = Blueprint("content", __name__, template_folder="templates", url_prefix="/app")
TABS = ("all", "review", "scheduled")


def _post_or_404(post_id):
    post = load(Post, post_id)
    if post is None:
        abort(404)
    return require(current_user, "post.view", post)


def _editable_units():
    statement = select(Unit).where(scope_clause(current_user, "post.edit", Unit.path)).order_by(Unit.path)
    return db.session.execute(statement).scalars().all()


@bp.get("/posts")
@login_required
def posts():
    if not can(current_user, "post.view"):
        abort(403)
    tab = request.args.get("tab") if request.args.get("tab") in TABS else "all"
    page = clamp_page(request.args.get("page"))
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    kind = request.args.get("kind") if request.args.get("kind") in KINDS else None
    unit = load(Unit, request.args.get("unit_id")) if request.args.get("unit_id") else None
    if unit is not None and not can(current_user, "post.view", unit):
        unit = None
    query = (request.args.get("q") or "").strip()[:100]
    if tab == "review":
        statement = services.review_queue(current_user)
    elif tab == "scheduled":
        statement = services.scheduled_posts(current_user)
    else:
        statement = services.posts_in_scope(current_user, unit=unit, status=status, kind=kind, subtree=True,
                                            query=query)
    result = services.paginate_posts(statement, page, 50)
    units = db.session.execute(select(Unit).where(scope_clause(current_user, "post.view", Unit.path))
                               .order_by(Unit.path)).scalars().all()
    queue_size = services.paginate_posts(services.review_queue(current_user), 1, 1)["total"]
    return render_template("content/staff/list.html", tab=tab, result=result, page=page, status=status,
                           kind=kind, unit=unit, units=units, query=query, statuses=STATUSES, kinds=KINDS,
                           queue_size=queue_size)


def _form_data(schema, zalo_field=False):
    """`zalo_field`: the form showed the "Đăng cả lên Zalo OA" checkbox (an unchecked box sends nothing)."""
    raw = {key: request.form[key] for key in ("title", "body", "kind") if key in request.form}
    raw["pinned"] = request.form.get("pinned") == "on"
    if zalo_field:
        raw["zalo_publish"] = request.form.get("zalo_publish") == "on"
    return schema.load(raw)


@bp.route("/posts/new", methods=["GET", "POST"])
@login_required
def new_post():
    units = _editable_units()
    if not units:
        abort(403)
    unit = load(Unit, request.values.get("unit_id")) or units[0]
    zalo_field = any(item.zalo_oa_id for item in units)
    errors = {}
    if request.method == "POST":
        try:
            post = services.create_post(current_user, unit, _form_data(PostCreateSchema(), zalo_field))
            db.session.commit()
            return _after_save(post, _("Đã lưu bản nháp."))
        except ValidationError as error:
            errors = error.messages
        except Invalid as error:  # raised before anything changed
            errors = error.fields
    return render_template("content/staff/edit.html", post=None, unit=unit, units=units, kinds=KINDS,
                           errors=errors, form=request.form, actions=[], zalo_field=zalo_field,
                           ), 422 if errors else 200


def _after_save(post, message):
    """The text is committed; an attached file is handled after, so a refused file never loses it."""
    upload = request.files.get("file")
    if upload and upload.filename:
        try:
            attach_media(current_user, post, upload.stream, make_cover=request.form.get("cover") == "on")
            db.session.commit()
        except AppError as error:
            db.session.rollback()
            flash(_("Đã lưu nội dung, nhưng tệp không được nhận: %(why)s", why=error.message), "error")
            return redirect(url_for("content.edit_post", post_id=post.id))
    flash(message, "success")
    return redirect(url_for("content.edit_post", post_id=post.id))


@bp.route("/posts/<int:post_id>", methods=["GET", "POST"])
@login_required
def edit_post(post_id):
    post = _post_or_404(post_id)
    zalo_field = bool(post.unit.zalo_oa_id)
    errors = {}
    if request.method == "POST":
        try:
            was_in_review = post.status == "in_review"
            services.update_post(current_user, post, _form_data(PostUpdateSchema(), zalo_field))
            db.session.commit()
            if was_in_review and post.status == "draft":
                return _after_save(post, _("Đã lưu. Bài đã sửa trở về bản nháp: hãy gửi duyệt lại."))
            return _after_save(post, _("Đã lưu."))
        except ValidationError as error:
            errors = error.messages
        except Invalid as error:  # raised before anything changed
            errors = error.fields
        except AppError as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for("content.edit_post", post_id=post.id))
    return render_template("content/staff/edit.html", post=post, unit=post.unit, units=[post.unit], kinds=KINDS,
                           errors=errors, form=request.form if errors else None,
                           actions=lifecycle.allowed_actions(current_user, post),
                           editable=post.status in EDITABLE and can(current_user, "post.edit", post),
                           zalo_field=zalo_field), 422 if errors else 200


def _publish_at():
    value = (request.form.get("at") or "").strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=LOCAL_TZ)
    except ValueError:
        raise AppError(_("Thời điểm đăng không hợp lệ."), {"at": [_("Định dạng ngày giờ không hợp lệ.")]},
                       status=422) from None


@bp.post("/posts/<int:post_id>/<any(submit, approve, reject, publish, hide, delete):action>")
@login_required
def post_action(post_id, action):
    post = _post_or_404(post_id)
    try:
        if action == "delete":
            services.delete_post(current_user, post)
        elif action == "reject":
            lifecycle.reject(current_user, post, request.form.get("reason"))
        elif action == "publish":
            lifecycle.publish(current_user, post, _publish_at())
        else:
            getattr(lifecycle, action)(current_user, post)
        db.session.commit()
    except AppError as error:
        db.session.rollback()
        if error.status == 404:
            abort(404)
        flash(error.message or _("Không thực hiện được thao tác."), "error")
        return redirect(url_for("content.edit_post", post_id=post_id))
    if action == "delete":
        flash(_("Đã xoá bản nháp."), "success")
        return redirect(url_for("content.posts"))
    messages = {"submit": _("Đã gửi duyệt."), "approve": _("Đã duyệt. Bài chưa đăng cho đến khi bấm Đăng."),
                "reject": _("Đã trả lại bài kèm lý do."), "hide": _("Đã ẩn bài."),
                "publish": _("Đã lên lịch đăng.") if post.status == "scheduled" else _("Đã đăng bài.")}
    flash(messages[action], "success")
    return redirect(url_for("content.edit_post", post_id=post_id))


@bp.post("/posts/preview")
@login_required
def preview():
    if not can(current_user, "post.edit"):
        abort(403)
    return {"html": str(render_markdown((request.form.get("body") or "")[:100_000]))}


@bp.get("/posts/<int:post_id>/revisions/<int:number>")
@login_required
def revision(post_id, number):
    post = _post_or_404(post_id)
    item = db.session.execute(select(PostRevision).where(PostRevision.post_id == post.id,
                                                         PostRevision.number == number)).scalar_one_or_none()
    if item is None:
        abort(404)
    return render_template("content/staff/revision.html", post=post, revision=item,
                           diff=services.revision_diff(item))


@bp.route("/units/<int:unit_id>/profile", methods=["GET", "POST"])
@login_required
def unit_profile(unit_id):
    unit = load(Unit, unit_id)
    if unit is None:
        abort(404)
    require(current_user, "unit.edit", unit)
    errors = {}
    if request.method == "POST":
        avatar = request.files.get("avatar")
        try:
            update_unit_profile(current_user, unit, {key: request.form.get(key, "") for key in PROFILE_LIMITS},
                                avatar=avatar.stream if avatar and avatar.filename else None)
            db.session.commit()
            flash(_("Đã cập nhật thông tin đơn vị."), "success")
            return redirect(url_for("content.unit_profile", unit_id=unit.id))
        except AppError as error:
            db.session.rollback()
            errors = error.fields or {"_": [error.message]}
    return render_template("content/staff/profile.html", unit=unit, errors=errors, limits=PROFILE_LIMITS,
                           form=request.form if errors else None, merged_from=merged_from(unit)
                           ), 422 if errors else 200


@bp.app_template_filter("local_input")
def local_input(value):
    """A stored time as the value of a datetime-local input."""
    return to_local(value).strftime("%Y-%m-%dT%H:%M") if value else ""
