"""One pagination shape for every list, HTML and JSON."""
from sqlalchemy import func, select

from core.extensions import db


def paginate(statement, page=1, per_page=50):
    """Run a scoped SELECT of one entity a page at a time; the count runs the same filters."""
    total = db.session.execute(select(func.count()).select_from(statement.order_by(None).subquery())).scalar_one()
    items = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page)).scalars().all()
    return {"items": items, "total": total}
