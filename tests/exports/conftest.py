"""Fixtures of the export tests: tips with a planted identity, and a download helper."""
from datetime import timedelta

import pytest

from core.extensions import db
from core.timeutil import utcnow

REPORTER_NAME = "Nguyễn Thị Bí Mật"
REPORTER_PHONE = "0912345678"
SECRET_TEXT = "Nhà số 7 hẻm 3 có người buôn bán ma túy"
SECRET_PLACE = "Ấp Chợ, gần cây xăng"


@pytest.fixture
def make_tip(app_ctx):
    """`make_tip(unit_id, **fields)` → a committed Tip of the current tenant with a reporter in the vault."""
    from inbox.models import Tip
    from inbox.vault import create_reporter

    counter = {"n": 0}

    def _make(unit_id, category="crime_report", status="new", created_at=None, **fields):
        counter["n"] += 1
        created_at = created_at or utcnow() - timedelta(hours=1)
        reporter = create_reporter(name=REPORTER_NAME, phone=REPORTER_PHONE)
        tip = Tip(tracking_code=fields.pop("tracking_code", f"TV-TEST-{counter['n']:04d}"), secret_hash="x" * 64,
                  unit_id=unit_id, first_unit_id=fields.pop("first_unit_id", unit_id),
                  channel=fields.pop("channel", "web"), category=category,
                  severity=fields.pop("severity", "normal"), status=status, description=SECRET_TEXT,
                  place=SECRET_PLACE, reporter_id=reporter.id, created_at=created_at, updated_at=created_at,
                  **fields)
        db.session.add(tip)
        db.session.commit()
        return tip

    return _make


@pytest.fixture
def export_file(client, run_jobs):
    """`export_file(headers, **body)` → (export JSON once finished, file bytes)."""

    def _export(headers, **body):
        response = client.post("/api/v1/exports", json=body, headers=headers)
        assert response.status_code == 202, response.get_data(as_text=True)
        assert set(response.json) >= {"id", "status"}
        run_jobs()
        state = client.get(f"/api/v1/exports/{response.json['id']}", headers=headers).json
        assert state["status"] == "done", state
        assert state["progress"] == 100
        download = client.get(state["download_url"], headers=headers)
        assert download.status_code == 200
        assert download.headers["Content-Disposition"].startswith("attachment")
        return state, download.data

    return _export
