"""The webhook signature, checked against the worked example and sample files of zalo/README.md."""

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from zalo.signature import (
    SIGNATURE_HEADER,
    body_timestamp,
    compute_signature,
    signature_header_value,
    verify_signature,
)

EVENTS = Path(__file__).parent / "events"
APP_ID = "1730512954321987654"
OA_SECRET_KEY = "Xk9pQ2vL7mR4tY8wZ1aB"
E1_MAC = "2de17c221724d4ee338259c45ba07f469be99ac6fd2505a47658a6769adb04cd"
E1_HEADER = "mac=" + E1_MAC

# The README prints these digests shortened as first…last characters.
SAMPLE_MACS = {
    "e11_anonymous_send_text.json": ("58ad6699", "083332"),
    "e12_oa_send_text_by_admin.json": ("6304d524", "b202c"),
    "e13_oa_send_text_by_api.json": ("0fdcf903", "30d0"),
    "e14_unfollow.json": ("a8b1298b", "d03b"),
    "e15_user_received_message.json": ("ee474a87", "510e"),
    "e16_user_withdraw.json": ("316dd2ed", "2caf0"),
    "e17_unknown_event.json": ("4fe6d61a", "cbbd"),
}


@pytest.fixture(scope="module")
def e1_body() -> bytes:
    return (EVENTS / "e1_user_send_text.json").read_bytes()


def verify(body: bytes, header: str | None, *, app_id: str = APP_ID, secret: str = OA_SECRET_KEY) -> bool:
    return verify_signature(body, header, app_id=app_id, oa_secret_key=secret)


def test_header_name_is_zaloes():
    assert SIGNATURE_HEADER == "X-ZEvent-Signature"


def test_worked_example_matches_the_readme(e1_body):
    assert len(e1_body) == 323
    assert compute_signature(APP_ID, e1_body, "1732345200123", OA_SECRET_KEY) == E1_MAC
    assert signature_header_value(APP_ID, e1_body, OA_SECRET_KEY) == E1_HEADER


@pytest.mark.parametrize("header", [E1_HEADER, E1_MAC, E1_MAC.upper(), "MAC=" + E1_MAC, f"  {E1_HEADER} "])
def test_worked_example_verifies_with_or_without_prefix_and_in_any_case(e1_body, header):
    assert verify(e1_body, header)


@pytest.mark.parametrize("name, shortened", SAMPLE_MACS.items())
def test_sample_files_give_the_digests_in_the_readme(name, shortened):
    body = (EVENTS / name).read_bytes()
    header = signature_header_value(APP_ID, body, OA_SECRET_KEY)
    first, last = shortened
    assert header.startswith("mac=" + first) and header.endswith(last)
    assert verify(body, header)


def test_every_sample_file_verifies_against_its_own_signature():
    for path in sorted(EVENTS.glob("*.json")):
        body = path.read_bytes()
        assert verify(body, signature_header_value(APP_ID, body, OA_SECRET_KEY)), path.name


def test_one_changed_byte_in_the_body_fails(e1_body):
    position = e1_body.index(b"msg_id") + 10
    tampered = e1_body[:position] + bytes([e1_body[position] ^ 1]) + e1_body[position + 1 :]
    assert len(tampered) == len(e1_body) and tampered != e1_body
    assert not verify(tampered, E1_HEADER)


def test_a_trailing_newline_fails(e1_body):
    assert not verify(e1_body + b"\n", E1_HEADER)


def test_one_changed_character_in_the_key_fails(e1_body):
    assert not verify(e1_body, E1_HEADER, secret=OA_SECRET_KEY[:-1] + "C")


def test_a_different_app_id_fails(e1_body):
    assert not verify(e1_body, E1_HEADER, app_id="1730512954321987655")


def test_reserialised_json_is_not_what_was_signed(e1_body):
    escaped = json.dumps(json.loads(e1_body), separators=(",", ":")).encode()
    expected_escaped_mac = "40f4a1be05df78cb2a7537aacfb84d79a180a2b5535826fc2dc94b91bd22bcd2"
    assert compute_signature(APP_ID, escaped, "1732345200123", OA_SECRET_KEY) == expected_escaped_mac
    assert not verify(escaped, E1_HEADER)


def test_hmac_keyed_with_the_secret_is_the_wrong_scheme(e1_body):
    signed = APP_ID.encode() + e1_body + b"1732345200123" + OA_SECRET_KEY.encode()
    wrong = hmac.new(OA_SECRET_KEY.encode(), signed, hashlib.sha256).hexdigest()
    assert wrong.startswith("639534d4")  # the README abbreviates it as 639534d4…de1ddd
    assert not verify(e1_body, "mac=" + wrong)


@pytest.mark.parametrize(
    "header",
    [None, "", "mac=", "mac=" + E1_MAC[:-1], E1_HEADER + "0", "mac=" + "g" * 64, "sha256=" + E1_MAC,
     "mac=" + "é" * 64, "mac=" + E1_MAC[::-1]],
)
def test_missing_or_garbled_header_fails(e1_body, header):
    assert not verify(e1_body, header)


@pytest.mark.parametrize("body", [b"", b"not json", b"[1,2]", b'{"timestamp":null}', b"\xff\xfe"])
def test_a_body_without_a_timestamp_never_verifies(body):
    header = "mac=" + compute_signature(APP_ID, body, "", OA_SECRET_KEY)
    assert body_timestamp(body) is None
    assert not verify(body, header)


def test_an_integer_timestamp_is_signed_as_its_digits():
    body = b'{"app_id":"1","timestamp":1732345200123}'
    assert body_timestamp(body) == "1732345200123"
    assert verify(body, signature_header_value(APP_ID, body, OA_SECRET_KEY))


def test_signature_header_value_needs_a_timestamp():
    with pytest.raises(ValueError):
        signature_header_value(APP_ID, b"{}", OA_SECRET_KEY)
