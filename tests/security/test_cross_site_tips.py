"""Finding 16 of the hostile review: the public tips API accepted form-encoded bodies without a CSRF token, so
any website could file tips from its visitors' browsers. A browser POST from another site (its `Origin`, or
`Sec-Fetch-Site: cross-site`) is refused; API clients (no Origin) and multipart uploads keep working; the HTML
form keeps its CSRF token."""
import io

from sqlalchemy import func, select

from core.extensions import db
from core.tenancy import tenant_scope
from tests.security.conftest import png_bytes

FORM = {"category": "other", "description": "Tin gửi từ trang khác."}


def _count(tenant):
    from inbox.models import Tip

    with tenant_scope(tenant.tenant_id):
        return db.session.execute(select(func.count()).select_from(Tip)).scalar_one()


def _url(tenant):
    return f"/api/v1/public/units/{tenant.units['commune'].id}/tips"


def test_a_post_from_another_site_is_refused(client, tenant_a):
    before = _count(tenant_a)
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Origin": "null"}):
        form = client.post(_url(tenant_a), data=FORM, headers=headers)  # what a hostile page's form sends
        assert form.status_code == 403, (headers, form.status_code)
        assert client.post(_url(tenant_a), json=FORM, headers=headers).status_code == 403
    assert _count(tenant_a) == before


def test_api_clients_and_our_own_pages_keep_working(app_ctx, client, tenant_a):
    assert client.post(_url(tenant_a), json=FORM).status_code == 201
    assert client.post(_url(tenant_a), data=FORM).status_code == 201  # a script without a browser
    upload = client.post(_url(tenant_a), content_type="multipart/form-data",
                         data={**FORM, "files": [(io.BytesIO(png_bytes()), "anh.png")]})
    assert upload.status_code == 201
    own = app_ctx.config["PUBLIC_BASE_URL"].rstrip("/")
    assert client.post(_url(tenant_a), json=FORM, headers={"Origin": own, "Sec-Fetch-Site": "same-origin"}
                       ).status_code == 201


def test_the_html_form_still_needs_its_csrf_token(client, tenant_a):
    url = f"/p/{tenant_a.slug}/{tenant_a.units['commune'].code}/gui-tin-bao"
    assert client.post(url, data=FORM).status_code == 403
