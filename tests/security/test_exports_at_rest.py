"""Findings 9 and 19 of the hostile review: a demoted auditor kept downloading the audit export for 7 days,
and finished exports were stored in plaintext, readable by anyone on the host (mode 0644)."""
import hashlib
import io
import os
import stat

import pytest
from cryptography.fernet import Fernet, MultiFernet

from core.extensions import db
from core.storage import LocalStorage, StreamingEncryptedStorage
from core.tenancy import load, tenant_scope
from hierarchy.models import Unit
from metrics.exports.models import Export
from tenants import services
from tenants.models import User


def _finished_export(client, headers, run_jobs, unit_id, report="audit", fmt="csv"):
    created = client.post("/api/v1/exports", headers=headers, json={"report": report, "format": fmt,
                                                                     "unit_id": unit_id})
    assert created.status_code == 202, created.get_json()
    run_jobs()
    state = client.get(f"/api/v1/exports/{created.get_json()['id']}", headers=headers).get_json()
    assert state["status"] == "done", state
    return state


def test_a_demoted_auditor_can_no_longer_download_their_export(app_ctx, client, world, bearer, run_jobs):
    a = world["a"]
    state = _finished_export(client, bearer("auditor"), run_jobs, a.units["root"].id)
    with tenant_scope(a.tenant_id):
        services.set_membership(load(User, a.users["auditor"].id), "officer", load(Unit, a.units["root"].id))
        db.session.commit()
    refused = client.get(state["download_url"], headers=bearer("auditor"))
    assert refused.status_code == 403, refused.status_code
    assert refused.get_json()["error"]["code"] == "forbidden"


def test_a_finished_export_is_encrypted_at_rest_and_private_to_the_app(app_ctx, client, world, bearer, run_jobs):
    a = world["a"]
    headers = bearer("director")
    state = _finished_export(client, headers, run_jobs, a.units["root"].id, report="posts")
    with tenant_scope(a.tenant_id):
        key = load(Export, state["id"]).file_key
    path = os.path.join(app_ctx.config["PRIVATE_ROOT"], key)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, "rb") as stored:
        on_disk = stored.read()
    downloaded = client.get(state["download_url"], headers=headers)
    assert downloaded.status_code == 200
    plain = downloaded.data
    assert hashlib.sha256(plain).hexdigest() == state["sha256"] == downloaded.headers["X-Content-SHA256"]
    header_line = plain.decode("utf-8-sig").splitlines()[0]
    assert header_line and header_line.encode() not in on_disk and plain[:64] not in on_disk


@pytest.fixture
def sealed(tmp_path):
    fernet = MultiFernet([Fernet(Fernet.generate_key())])
    return StreamingEncryptedStorage(LocalStorage(tmp_path, file_mode=0o600), fernet.encrypt, fernet.decrypt,
                                     chunk_size=64)


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 64 * 3, 64 * 3 + 7])
def test_any_size_round_trips_in_constant_memory(sealed, size):
    data = os.urandom(size)
    sealed.save("exports/1/a.csv", io.BytesIO(data))
    assert sealed.read("exports/1/a.csv") == data and sealed.size("exports/1/a.csv") == size
    # The plaintext is not on disk (checked from 8 bytes: a shorter random string may occur in any ciphertext).
    assert data[:32] not in sealed.inner.read("exports/1/a.csv") or size < 8


def _records(raw):
    """(header, [length + token, ...]) of a stored object."""
    header, offset, records = raw[:8], 8, []
    while offset < len(raw):
        length = int.from_bytes(raw[offset:offset + 4], "big")
        records.append(raw[offset:offset + 4 + length])
        offset += 4 + length
    return header, records


@pytest.mark.parametrize("tamper", ["cut", "swap", "repeat", "flip"])
def test_a_tampered_file_fails_to_read(sealed, tamper):
    sealed.save("x.csv", os.urandom(64 * 3 + 10))
    header, records = _records(sealed.inner.read("x.csv"))
    if tamper == "cut":
        records = records[:-1]
    elif tamper == "swap":
        records[0], records[1] = records[1], records[0]
    elif tamper == "repeat":
        records = [*records, records[-1]]
    else:
        records[1] = records[1][:20] + bytes([records[1][20] ^ 1]) + records[1][21:]
    sealed.inner.save("x.csv", header + b"".join(records))
    with pytest.raises(ValueError):
        sealed.read("x.csv")
