"""One pagination shape for every list, HTML and JSON."""
from sqlalchemy import func, select

from core.api import MAX_PAGE
from core.extensions import db


def clamp_page(value):
    """A page number from a query string, whatever it holds: 1 for anything but a positive integer, and no
    more than MAX_PAGE (a number beyond any integer would otherwise reach SQL as an OFFSET it cannot hold)."""
    text = str(value or "").strip()
    if not text.isdigit():
        return 1
    return min(max(int(text), 1), MAX_PAGE)


def paginate(statement, page=1, per_page=50):
    """Run a scoped SELECT of one entity a page at a time; the count runs the same filters."""
    page = clamp_page(page)
    total = db.session.execute(select(func.count()).select_from(statement.order_by(None).subquery())).scalar_one()
    items = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page)).scalars().all()
    return {"items": items, "total": total}
