"""Findings 7, 12 and 13 of the hostile review: the second factor had no per-account limit and accepted a used
code, sign-in time told known e-mails from unknown ones, and five wrong passwords from anywhere locked the real
user out for 15 minutes, again and again."""
from datetime import timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from core.crypto import encrypt
from core.extensions import db
from core.tenancy import platform_scope
from core.timeutil import utcnow
from tenants.models import User
from tests.conftest import PASSWORD, _csrf_from

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _client(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _sign_in(client, email, password):
    page = client.get("/login")
    if page.status_code == 302:
        return page
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": _csrf_from(page.get_data(as_text=True))})


# --- finding 13: growing delays, never a lock-out an attacker controls -------------------------------------


def test_an_attacker_elsewhere_cannot_lock_the_real_user_out(app_ctx, world):
    email = world["a"].users["officer"].email
    office = _client(app_ctx, "10.0.0.7")
    assert _sign_in(office, email, PASSWORD).status_code == 302  # the officer's own browser, known from now on
    office.post("/logout", data={"csrf_token": _csrf_from(office.get("/app/account").get_data(as_text=True))})
    for number in range(8):
        _sign_in(_client(app_ctx, f"203.0.113.{number}"), email, "doan-mo-mat-khau")  # wrong, from many places
    assert _sign_in(office, email, PASSWORD).status_code == 302  # the known browser is not held back


def test_a_new_browser_waits_seconds_that_grow_never_fifteen_minutes(app_ctx, world):
    email = world["a"].users["auditor"].email
    start = utcnow()
    waits = []
    with time_machine.travel(start, tick=False) as clock:
        for number in range(6):
            attacker = _client(app_ctx, f"198.51.100.{number}")
            answer = _sign_in(attacker, email, "doan-mo-mat-khau")
            if answer.status_code == 429:
                waits.append(int(answer.headers["Retry-After"]))
                clock.shift(timedelta(seconds=waits[-1]))
                _sign_in(attacker, email, "doan-mo-mat-khau")  # the attempt it waited for, wrong again
        assert waits and waits == sorted(waits) and waits[-1] > waits[0]  # growing ...
        newcomer = _client(app_ctx, "10.0.0.8")
        held = _sign_in(newcomer, email, PASSWORD)
        assert held.status_code == 429 and int(held.headers["Retry-After"]) <= 60  # ... but seconds, not 15 min
        clock.shift(timedelta(seconds=int(held.headers["Retry-After"])))
        assert _sign_in(newcomer, email, PASSWORD).status_code == 302


def test_one_client_guessing_many_accounts_is_slowed_down(app_ctx, world):
    guesser = _client(app_ctx, "192.0.2.50")
    answers = [_sign_in(guesser, f"khach-{number}@tra-vinh.test", "doan-mo-mat-khau").status_code
               for number in range(14)]
    assert 429 in answers and answers.index(429) >= 5


# --- finding 12: an unknown e-mail costs the same key derivation ---------------------------------------------


@pytest.mark.parametrize("who", ["known", "unknown", "inactive"])
def test_every_sign_in_attempt_derives_one_password_hash(app_ctx, world, monkeypatch, who):
    import werkzeug.security

    derived = []
    real = werkzeug.security._hash_internal
    monkeypatch.setattr(werkzeug.security, "_hash_internal", lambda *args: derived.append(args[0]) or real(*args))
    email = {"known": world["a"].users["officer"].email, "unknown": "khong-co-ai@tra-vinh.test",
             "inactive": world["a"].users["district_officer"].email}[who]
    if who == "inactive":
        with platform_scope():
            db.session.execute(select(User).where(User.email == email)).scalar_one().active = False
            db.session.commit()
    assert _sign_in(_client(app_ctx, "10.0.0.9"), email, "sai-mat-khau-roi").status_code == 200
    with platform_scope():
        method = db.session.execute(select(User.password_hash).where(User.email == world["a"].users["officer"].email)
                                    ).scalar_one().split("$")[0]
    assert derived == [method]  # one derivation, with the real accounts' parameters


# --- finding 7: the second factor ------------------------------------------------------------------------------


@pytest.fixture
def totp_director(app_ctx, world):
    with platform_scope():
        user = db.session.execute(select(User).where(User.id == world["a"].users["director"].id)).scalar_one()
        user.totp_secret, user.totp_enabled = encrypt(SECRET), True
        db.session.commit()
    return world["a"].users["director"].email


def _second_factor(client, code):
    page = client.get("/login/totp")
    return client.post("/login/totp", data={"code": code, "csrf_token": _csrf_from(page.get_data(as_text=True))})


def test_a_used_code_and_the_step_before_it_are_refused(app_ctx, totp_director):
    totp = pyotp.TOTP(SECRET)
    now = utcnow()
    with time_machine.travel(now, tick=False):
        first = _client(app_ctx, "10.0.0.10")
        _sign_in(first, totp_director, PASSWORD)
        assert _second_factor(first, totp.at(now)).status_code == 302
        for code in (totp.at(now), totp.at(now - timedelta(seconds=30))):
            second = _client(app_ctx, "10.0.0.11")
            _sign_in(second, totp_director, PASSWORD)
            assert _second_factor(second, code).status_code == 200, code  # the form again, not a session
            assert second.get("/app/tree").status_code == 302
    with time_machine.travel(now + timedelta(seconds=30), tick=False):
        later = _client(app_ctx, "10.0.0.12")
        _sign_in(later, totp_director, PASSWORD)
        assert _second_factor(later, totp.at(now + timedelta(seconds=30))).status_code == 302


def test_wrong_codes_are_counted_per_account_across_addresses(app_ctx, totp_director):
    with time_machine.travel(utcnow(), tick=False):
        answers = []
        for number in range(6):
            guesser = _client(app_ctx, f"203.0.113.{100 + number}")
            _sign_in(guesser, totp_director, PASSWORD)
            answers.append(_second_factor(guesser, "000000").status_code)
        assert answers[-1] == 429, answers
