"""Finding 25 of the hostile review: creating a user with an e-mail of another tenant said the account
existed. The answer is one generic refusal, the same for an e-mail of any province, and it is audited."""
from sqlalchemy import select

from core.audit import AuditLog
from core.extensions import db
from core.tenancy import tenant_scope


def _create(client, csrf, world, email):
    return client.post("/app/users", headers={"Accept": "application/json"}, data={
        "email": email, "role": "officer", "unit_code": world["a"].units["commune"].code,
        "password": "mat-khau-du-dai-1", "csrf_token": csrf})


def test_an_email_of_another_province_gets_the_generic_refusal(client, login_as, world):
    csrf = login_as("director")
    elsewhere = _create(client, csrf, world, world["b"].users["director"].email)
    here = _create(client, csrf, world, world["a"].users["officer"].email)
    assert elsewhere.status_code == here.status_code == 409
    assert elsewhere.get_json() == here.get_json()
    text = str(elsewhere.get_json()).lower()
    assert "đã có" not in text and "đã được dùng" not in text and "exist" not in text
    with tenant_scope(world["a"].tenant_id):
        refused = db.session.execute(select(AuditLog.details).where(AuditLog.action == "user.create_refused")
                                     ).scalars().all()
    assert len(refused) == 2 and all(world["b"].users["director"].email not in str(d) for d in refused)
