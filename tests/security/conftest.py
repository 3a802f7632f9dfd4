"""Helpers of the security suite: objects of tenant A made through the services, a session per role, and the
outcome of a request as a user would notice it (a redirect is followed to read its message)."""
import io
import itertools
import re
import uuid

import pytest
from PIL import Image
from sqlalchemy import select

from core.extensions import db
from core.tenancy import load, tenant_scope
from tests.conftest import PASSWORD, login

NEUTRAL_TIP = "Có người lạ lảng vảng trước cổng trường vào buổi tối."
_counter = itertools.count(1)


def png_bytes(color=(30, 120, 200)):
    out = io.BytesIO()
    Image.new("RGB", (16, 12), color).save(out, "PNG")
    return out.getvalue()


def csrf_of(html):
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token"[^>]* value="([^"]+)"', html)
    return match.group(1)


class TenantObjects:
    """Fresh objects of one tenant, at a unit key of `world` ("commune", "department", ...)."""

    def __init__(self, world, tenant="a"):
        self.info = world[tenant]

    def unit(self, key):
        from hierarchy.models import Unit

        return load(Unit, self.info.units[key].id)

    def tip(self, key, files=(), **fields):
        from inbox.intake import submit_tip

        with tenant_scope(self.info.tenant_id):
            new = submit_tip(self.unit(key), fields.pop("category", "security_report"),
                             fields.pop("description", NEUTRAL_TIP), files=list(files), **fields)
            tip_id = new.tip.id
            db.session.commit()
        return tip_id

    def attachment(self, key):
        from inbox.models import TipAttachment

        tip_id = self.tip(key, files=[png_bytes()])
        with tenant_scope(self.info.tenant_id):
            return db.session.execute(select(TipAttachment.id).where(TipAttachment.tip_id == tip_id)).scalar_one()

    def post(self, key, status="draft", title=None):
        from content.lifecycle import mark_published
        from content.services import new_post
        from core.timeutil import utcnow

        with tenant_scope(self.info.tenant_id):
            post = new_post(None, self.unit(key), {"title": title or f"Bài thử {next(_counter)}", "kind": "news",
                                                   "body": "Nội dung bài."})
            db.session.add(post)
            db.session.flush()
            if status == "published":
                mark_published(post, utcnow())
            else:
                post.status = status
            db.session.commit()
            return post.id

    def user(self, key, role="officer"):
        from tenants import services
        from tenants.models import Tenant

        with tenant_scope(self.info.tenant_id):
            tenant = db.session.get(Tenant, self.info.tenant_id)
            user = services.create_user(f"muc-tieu-{uuid.uuid4().hex[:8]}@{self.info.slug}.test", PASSWORD, role,
                                        tenant=tenant, unit_code=self.info.units[key].code)
            db.session.commit()
            return user.id

    def rule(self, key):
        """A routing rule of the tenant (`key` is not used: rules are tenant-wide)."""
        from inbox.policy import RoutingRule

        with tenant_scope(self.info.tenant_id):
            rule = RoutingRule(keywords=f"từ khóa {next(_counter)}", department_code="PC02")
            db.session.add(rule)
            db.session.commit()
            return rule.id

    def reply(self, key):
        """A canned reply of the unit at `key`."""
        from inbox.policy import CannedReply

        with tenant_scope(self.info.tenant_id):
            reply = CannedReply(unit_id=self.info.units[key].id, title="Mẫu", body="Nội dung mẫu.")
            db.session.add(reply)
            db.session.commit()
            return reply.id

    def token_of(self, user_id):
        from tenants import services
        from tenants.models import User

        with tenant_scope(self.info.tenant_id):
            _secret, token = services.create_token(load(User, user_id), "thu")
            db.session.commit()
            return token.id


@pytest.fixture
def objects(app_ctx, world):
    return TenantObjects(world)


class Session:
    """A signed-in browser session: form posts carry the CSRF field, API writes the X-CSRFToken header."""

    def __init__(self, client, token):
        self.client, self.token = client, token

    def request(self, method, url, json=None, form=None, files=None):
        if method in ("GET", "HEAD"):
            return self.client.open(url, method=method)
        if form is not None or files is not None:
            data = {"csrf_token": self.token, **(form or {}), **(files or {})}
            return self.client.open(url, method=method, data=data,
                                    content_type="multipart/form-data" if files else None)
        return self.client.open(url, method=method, json=json if json is not None else {},
                                headers={"X-CSRFToken": self.token})


def sign_in(client, email):
    return Session(client, login(client, email))


def outcome(client, response):
    """"ok", "flash-error" (a form sent back with an error message), or the status code."""
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        if location.startswith("/") or location.startswith("http://localhost/"):
            page = client.get(location)
            if 'class="flash error" role="status"' in page.get_data(as_text=True):
                return "flash-error"
        return "ok"
    return "ok" if 200 <= status < 300 else status


from tests.faults.conftest import app_using  # noqa: E402,F401  (a second app on the test's connection)
from tests.inbox.conftest import limited_client  # noqa: E402,F401  (an app with the rate limits on)
from tests.zalo.conftest import channel, fake  # noqa: E402,F401  (the fake Zalo and a configured channel)
