"""Content's report (`core.reports`): the posts register."""
from sqlalchemy import func, or_, select

from content.models import Post, PostView
from core.extensions import db
from core.reports import Report, chart, count_of, count_section, grouped_counts, pick, stream, within
from hierarchy.models import Unit

KINDS = {"news": "Tin tức", "warning": "Cảnh báo", "procedure": "Thủ tục", "notice": "Thông báo"}
STATUSES = {"draft": "Nháp", "in_review": "Chờ duyệt", "approved": "Đã duyệt", "scheduled": "Hẹn giờ đăng",
            "published": "Đã đăng", "hidden": "Đã ẩn"}


def posts_report(p):
    views = (select(func.count(PostView.id)).where(PostView.post_id == Post.id, PostView.day >= p.date_from,
                                                   PostView.day <= p.date_to).correlate(Post).scalar_subquery())
    subtree = db.session.execute(Unit.subtree_of(p.unit).with_only_columns(Unit.id)).scalars().all()
    base = (select(Post.id.label("id")).join(Unit, Unit.id == Post.unit_id).where(
        Post.unit_id.in_(subtree), or_(within(Post.created_at, p), within(Post.published_at, p))))
    statement = base.add_columns(Unit.code.label("unit_code"), Unit.name.label("unit_name"), Post.title, Post.kind,
                                 Post.status, Post.created_at, Post.approved_at, Post.published_at,
                                 views.label("views"))
    columns = [("id", "Số", "int"), ("unit_code", "Mã đơn vị", "text"), ("unit_name", "Đơn vị", "text"),
               ("title", "Tiêu đề", "text"), ("kind", "Loại bài", "text"), ("status", "Trạng thái", "text"),
               ("created_at", "Tạo lúc", "datetime"), ("approved_at", "Duyệt lúc", "datetime"),
               ("published_at", "Đăng lúc", "datetime"), ("views", "Lượt xem trong kỳ", "int")]

    kind_of, status_of = KINDS.get, STATUSES.get

    def rows():
        for (post_id, unit_code, unit_name, title, kind, status, created_at, approved_at, published_at,
             view_count) in stream(statement, Post.id):
            yield (post_id, unit_code, unit_name, title, kind_of(kind, kind), status_of(status, status), created_at,
                   approved_at, published_at, view_count)

    with_status = base.add_columns(Post.status, Unit.name.label("unit_name"))
    return Report(
        title="Sổ theo dõi bài viết", columns=columns, total=count_of(base), rows=rows(),
        summary=lambda: [count_section("Bài viết theo trạng thái", "Trạng thái",
                                       grouped_counts(with_status, "status", STATUSES))],
        chart=lambda: chart("Bài viết theo đơn vị", grouped_counts(with_status, "unit_name")),
        pdf_tables=(("Danh sách bài viết", pick(columns, "unit_name", "title", "kind", "status", "published_at",
                                                ("views", "Lượt xem"))),))
