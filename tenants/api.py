"""`GET /api/v1/me`: who the token or session belongs to (integrators check their token with it)."""
from flask_login import current_user, login_required

from core.api import Blueprint
from tenants.schemas import MeSchema

blp = Blueprint("tenants_api", __name__, url_prefix="/api/v1", description="Tài khoản")


@blp.route("/me")
@blp.response(200, MeSchema)
@login_required
def me():
    return current_user
