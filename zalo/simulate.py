"""Simulated deliveries for the demo and `flask zalo simulate`: an event file made to look as if Zalo sent it
to one unit's OA, signed with the tenant's keys exactly as Zalo signs (`zalo.signature`)."""
import json
import secrets
import time

from zalo import events
from zalo.signature import signature_header_value


def build_body(raw, app_id, oa_id, fresh=False, citizen=None, dated_now=False):
    """The event's bytes with the app id, the OA id and optionally the citizen replaced; `fresh` gives it a
    new msg_id and the current time, so the same file can be delivered again; `dated_now` the current time
    only (the webhook refuses a delivery dated outside its window). Unchanged files keep their exact bytes
    (and so their signature)."""
    payload = json.loads(raw)
    original = json.loads(raw)
    name = str(payload.get("event_name") or "")
    payload["app_id"] = str(app_id)
    oa_side = "sender" if name in events.RECEIPTS or events.is_echo(name) else "recipient"
    if isinstance(payload.get(oa_side), dict) and (name.startswith(("user_", "anonymous_", "oa_"))):
        payload[oa_side]["id"] = str(oa_id)
    if "oa_id" in payload:
        payload["oa_id"] = str(oa_id)
    if citizen:
        _set_citizen(name, payload, str(citizen))
    if fresh:
        message = payload.get("message")
        if isinstance(message, dict) and "msg_id" in message:
            message["msg_id"] = secrets.token_hex(10)
    if fresh or dated_now:
        now = int(time.time() * 1000)
        payload["timestamp"] = str(now) if isinstance(payload.get("timestamp"), str) else now
    if payload == original:
        return raw
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _set_citizen(name, payload, citizen):
    if name in events.FOLLOWS:
        key = "follower"
    elif name in events.RECEIPTS or events.is_echo(name):
        key = "recipient"
    elif "user_id" in payload and "sender" not in payload:
        payload["user_id"] = citizen
        return
    else:
        key = "sender"
    if isinstance(payload.get(key), dict):
        payload[key]["id"] = citizen


def signed(raw, app):
    """(body, signature header value) for a tenant's app."""
    return raw, signature_header_value(app.app_id, raw, app.oa_secret_key)
