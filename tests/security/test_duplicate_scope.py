"""Finding 21 of the hostile review: `duplicate_of` accepted a tip outside the caller's scope, and its answer
told whether an id or a tracking code existed. It is loaded like the tip itself: out of scope is "no such tip"."""
import re

from sqlalchemy import select

from core.extensions import db
from core.tenancy import tenant_scope


def _close_as_duplicate(client, headers, tip_id, original_id):
    return client.patch(f"/api/v1/tips/{tip_id}", headers=headers, json={
        "status": "closed", "resolution": "duplicate", "duplicate_of_id": original_id})


def test_an_original_outside_the_callers_scope_is_no_such_tip(client, world, bearer, objects):
    from inbox.models import Tip

    officer = bearer("officer")  # anchored at the commune
    mine = objects.tip("commune")
    outside = objects.tip("department")  # same province, another subtree
    missing = _close_as_duplicate(client, officer, mine, 2_000_000_000)
    refused = _close_as_duplicate(client, officer, mine, outside)
    assert refused.status_code == missing.status_code == 422
    assert refused.get_json() == missing.get_json()
    with tenant_scope(world["a"].tenant_id):
        assert db.session.execute(select(Tip.status).where(Tip.id == mine)).scalar_one() == "new"
    allowed = _close_as_duplicate(client, officer, mine, objects.tip("commune"))
    assert allowed.status_code == 200 and allowed.get_json()["duplicate_of_id"]


def test_the_page_form_by_tracking_code_answers_alike(client, world, login_as, objects):
    from inbox.models import Tip

    csrf = login_as("officer")
    mine, outside = objects.tip("commune"), objects.tip("department")
    with tenant_scope(world["a"].tenant_id):
        code = db.session.execute(select(Tip.tracking_code).where(Tip.id == outside)).scalar_one()

    def message(original_code):
        page = client.post(f"/app/inbox/{mine}/update", follow_redirects=True, data={
            "csrf_token": csrf, "status": "closed", "resolution": "duplicate", "duplicate_of": original_code})
        return re.search(r'class="flash error"[^>]*>([^<]*)<', page.get_data(as_text=True)).group(1)

    assert message(code) == message("TV-ZZZZ-ZZZZ")
