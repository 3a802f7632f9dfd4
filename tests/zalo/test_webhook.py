"""`POST /webhooks/zalo` at the HTTP level: what is refused, what is stored, what a duplicate does."""
import json

from sqlalchemy import select, update

from core.crypto import decrypt, encrypt
from core.extensions import db
from zalo.models import WebhookDelivery, ZaloApp

from .conftest import APP_ID, APP_SECRET, count, event, zalo_tips


def test_a_signed_delivery_is_stored_encrypted_and_processed(channel):
    raw = event(1)
    response = channel.post(raw)
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "duplicate": False}
    with channel.scope():
        delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
        assert delivery.app_id == APP_ID and delivery.event_name == "user_send_text"
        assert delivery.dedup_key == f"{APP_ID}|user_send_text|m:7c41e09a5bd2f3068e1a"
        # processed: the identifying body is gone, the key stays
        assert delivery.processed_at is not None and delivery.body_enc is None and delivery.outcome == "message"
        assert len(zalo_tips()) == 1


def test_the_body_is_kept_encrypted_until_processed(channel, monkeypatch):
    monkeypatch.setattr("zalo.webhook.enqueue", lambda *args, **kwargs: None)
    raw = event(1)
    assert channel.post(raw).status_code == 200
    with channel.scope():
        delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
        assert delivery.processed_at is None
        assert "Tôi muốn".encode() not in delivery.body_enc and decrypt(delivery.body_enc) == raw


def test_a_duplicate_answers_200_and_changes_nothing(channel):
    raw = event(1)
    assert channel.post(raw).status_code == 200
    again = channel.post(raw)
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    with channel.scope():
        assert count(WebhookDelivery) == 1
        tip = zalo_tips()[0]
        assert len([m for m in tip.messages if m.direction == "in"]) == 1


def test_bad_or_missing_signature_is_401_and_nothing_is_stored(channel):
    raw = event(1)
    tampered = raw.replace("lừa đảo".encode(), b"lua dao")
    good_signature_other_body = channel.post(tampered, signature=None)
    assert good_signature_other_body.status_code == 401
    from zalo.signature import signature_header_value

    wrong = channel.post(tampered, signature=signature_header_value(APP_ID, raw, channel.secret))
    assert wrong.status_code == 401
    assert wrong.get_json()["error"]["code"] == "unauthorized"
    wrong_key = channel.post(raw, signature=signature_header_value(APP_ID, raw, "not-the-oa-secret-key"))
    assert wrong_key.status_code == 401
    with channel.scope():
        assert count(WebhookDelivery) == 0 and zalo_tips() == []


def test_malformed_json_is_400(channel):
    assert channel.post(b'{"app_id": "1730512954321987654", ', signature=None).status_code == 400
    assert channel.post(b"[1, 2, 3]", signature=None).status_code == 400
    assert channel.post("không phải JSON".encode(), signature=None).status_code == 400


def test_unknown_app_is_401_like_a_bad_signature(channel):
    raw = event(1).replace(APP_ID.encode(), b"999999999999")
    response = channel.post(raw, app_id="999999999999")
    assert response.status_code == 401  # the same answer as a forgery: app ids are not confirmed to anyone
    no_app = channel.post(json.dumps({"event_name": "follow", "timestamp": "1"}).encode(), signature=None)
    assert no_app.status_code == 401


def test_a_body_over_1_mb_is_413(channel):
    padding = "x" * (1024 * 1024)
    raw = json.dumps({"app_id": APP_ID, "event_name": "user_send_text", "timestamp": "1", "pad": padding}).encode()
    assert channel.post(raw).status_code == 413
    with channel.scope():
        assert count(WebhookDelivery) == 0


def test_the_webhook_needs_no_csrf_token_and_no_session(channel, login_as):
    login_as("director")
    assert channel.post(event(8)).status_code == 200


def test_an_unlinked_oa_is_stored_answered_200_and_processed_once_linked(channel):
    raw = event(1).replace(channel.oa_id.encode(), b"2871465093512270000")
    assert channel.post(raw).status_code == 200
    with channel.scope():
        delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
        assert delivery.processed_at is None and delivery.error == "oa_not_linked" and delivery.body_enc
        assert zalo_tips() == []
    runner = channel.client.application.test_cli_runner()
    result = runner.invoke(args=["zalo", "link", channel.tenant.units["sibling"].code, "--tenant",
                                 channel.tenant.slug, "--oa-id", "2871465093512270000"])
    assert result.exit_code == 0, result.output
    channel.run_jobs()
    with channel.scope():
        tips = zalo_tips()
        assert len(tips) == 1 and tips[0].first_unit_id == channel.tenant.units["sibling"].id
        assert db.session.execute(select(WebhookDelivery)).scalar_one().body_enc is None


def test_an_unknown_event_is_stored_and_answered_200(channel):
    assert channel.post(event(17)).status_code == 200
    with channel.scope():
        delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
        assert delivery.outcome == "ignored" and delivery.processed_at is not None and delivery.body_enc is None


NEW_OA_SECRET_KEY = "a-new-oa-secret-key-after-rotation"


def test_a_key_changed_with_flask_zalo_config_is_used_at_once_and_the_old_one_is_refused(channel, app_ctx):
    assert channel.post(event(1)).status_code == 200  # this process now keeps the app's key
    result = app_ctx.test_cli_runner().invoke(args=["zalo", "config", "tra-vinh", "--app-id", APP_ID,
                                                    "--app-secret", APP_SECRET, "--oa-secret-key", NEW_OA_SECRET_KEY])
    assert result.exit_code == 0, result.output
    assert channel.post(event(2)).status_code == 401
    channel.secret = NEW_OA_SECRET_KEY
    assert channel.post(event(2)).status_code == 200
    with channel.scope():
        assert count(WebhookDelivery) == 2


def _change_key_as_another_process_would(channel):
    """A bulk UPDATE fires no ORM event, like a key changed by another process: this one is not told."""
    with channel.scope():
        db.session.execute(update(ZaloApp).values(oa_secret_key_enc=encrypt(NEW_OA_SECRET_KEY)))
        db.session.commit()


def test_a_key_changed_by_another_process_is_read_again_for_the_first_delivery_signed_with_it(channel, monkeypatch):
    assert channel.post(event(1)).status_code == 200
    _change_key_as_another_process_would(channel)
    monkeypatch.setattr("zalo.webhook.KEY_RETRY", 0.0)  # as KEY_RETRY seconds after the key was last read
    channel.secret = NEW_OA_SECRET_KEY
    assert channel.post(event(2)).status_code == 200


def test_a_key_changed_by_another_process_stops_working_once_the_kept_copy_expires(channel, monkeypatch):
    assert channel.post(event(1)).status_code == 200
    _change_key_as_another_process_would(channel)
    monkeypatch.setattr("zalo.webhook.KEY_TTL", 0.0)
    assert channel.post(event(2)).status_code == 401
