"""What the Zalo channel does when content publishes or hides a post (`content.signals`) and when the tree is
re-organised (`hierarchy.signals`)."""
from sqlalchemy import select

from content.signals import post_hidden, post_published
from core.errors import Conflict
from core.extensions import db
from core.transaction import after_commit
from hierarchy.signals import tenant_carry_check, tenant_carrying, unit_merged, unit_merging
from zalo.articles import publish_article, remove_article
from zalo.models import OaConnection, ZaloApp
from zalo.webhook import forget_keys


@post_published.connect
def _publish_article(post, **_kwargs):
    if post.zalo_publish:
        publish_article(post.id)


@post_hidden.connect
def _remove_article(post, **_kwargs):
    if post.zalo_state not in (None, "removed"):
        remove_article(post.id)


def _connection(unit):
    return db.session.execute(select(OaConnection).where(OaConnection.unit_id == unit.id)).scalar_one_or_none()


def _has_oa(unit):
    return bool(unit.zalo_oa_id) or _connection(unit) is not None


@unit_merging.connect
def _one_oa_per_page(_sender, pairs, **_kwargs):
    """A page has one Official Account: two units that both have one cannot become one page."""
    for source, target in pairs:
        if _has_oa(source) and _has_oa(target):
            message = (f"Cả hai đơn vị đều có Zalo OA: hãy ngắt kết nối OA của {source.name} hoặc {target.name} "
                       "trước.")
            raise Conflict(message, fields={"target_id": [message]})


@unit_merged.connect
def _move_oa(_sender, pairs, **_kwargs):
    """The OA goes with the page it serves (`unit_merging` made sure the target has none)."""
    for source, target in pairs:
        connection = _connection(source)
        if connection is not None:
            connection.unit_id, connection.unit = target.id, target
        if source.zalo_oa_id:
            target.zalo_oa_id, source.zalo_oa_id = source.zalo_oa_id, None


@tenant_carry_check.connect
def _one_app_and_one_oa_per_page(_sender, old_tenant_id, new_tenant_id=None, continuing=(), **_kwargs):
    """A tenant has one Zalo app (every OA of the province authorises it), and a page one OA: a reform that
    would give the new tenant two apps, or a continuing unit two OAs, is refused until one is disconnected."""
    refusals = []
    apps = db.session.execute(select(ZaloApp.tenant_id).where(ZaloApp.tenant_id.in_((old_tenant_id,
                                                                                     new_tenant_id)))).scalars()
    if new_tenant_id is not None and len(set(apps)) == 2:
        refusals.append("Cả hai tỉnh đều có ứng dụng Zalo: gỡ ứng dụng của một bên (Zalo OA → Ứng dụng) trước.")
    for old_unit, new_unit in continuing:
        if _has_oa(old_unit) and _has_oa(new_unit):
            refusals.append(f"{old_unit.name} và {new_unit.name} đều có Zalo OA: ngắt kết nối một OA trước.")
    return {"refusals": refusals}


@tenant_carrying.connect
def _read_keys_again(_sender, **_kwargs):
    """The carried app changes tenant in a bulk UPDATE, which the ORM events that forget the webhook keys do not
    see: this process reads them again once the reform is committed (other processes within `KEY_TTL`)."""
    after_commit(forget_keys)
