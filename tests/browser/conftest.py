"""Browser fixtures: a live server over the session's app (real commits, no rolled-back transaction) and
Playwright pages in Debian's chromium at the two sizes every page must look right at.

- `live_server`: the base URL (`http://127.0.0.1:<port>`) of a werkzeug server running the session `app`
  in a thread. Data a test writes through it is committed: clean up what you create.
- `browser_page(size="desktop"|"phone")`: a factory returning a new page in its own browser context
  (its own cookies, so two users can be signed in side by side); contexts close after the test.
- `artifacts`: the `test-artifacts/` directory for screenshots (gitignored).
"""
import os
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def live_server(app):
    from core.extensions import db

    # The `app_ctx` fixture leaves the session configured with an invalid join mode after a test
    # ("conservative_savepoint"); the live server needs SQLAlchemy's default back.
    with app.app_context():
        db.session.remove()
        db.session.configure(join_transaction_mode="conditional_savepoint")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    base_url, configured = f"http://127.0.0.1:{server.server_port}", app.config["PUBLIC_BASE_URL"]
    app.config["PUBLIC_BASE_URL"] = base_url  # as an operator sets it for the address the site is served at
    try:
        yield base_url
    finally:
        app.config["PUBLIC_BASE_URL"] = configured
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium):
    contexts = []

    def _new_page(size="desktop"):
        is_phone = size == "phone"
        context = chromium.new_context(viewport=VIEWPORTS[size], locale="vi-VN", is_mobile=is_phone,
                                       has_touch=is_phone, device_scale_factor=1)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield _new_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def sign_in(page, base_url, email, password):
    """Sign in through the real form and land on the staff home."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture
def marker(app, world, request):
    """A unique tip text from the test module's `MARKER_TEXT`; tips holding it are removed afterwards (with what
    cascades from them), since a browser test's server commits for real."""
    from core.extensions import db

    monkey = pytest.MonkeyPatch()
    monkey.setitem(db.session.session_factory.kw, "join_transaction_mode", "conditional_savepoint")
    text = f"{request.module.MARKER_TEXT}, mã {uuid.uuid4().hex[:8]}"
    yield text
    from core.tenancy import tenant_scope
    from inbox.models import Tip
    from metrics.models import Event
    from metrics.services import rebuild_counters

    with app.app_context(), tenant_scope(world["a"].tenant_id):
        ids = db.session.execute(select(Tip.id).where(Tip.description.contains(text[-8:]))).scalars().all()
        db.session.execute(delete(Event).where(Event.subject_type == "tip", Event.subject_id.in_(ids)))
        db.session.execute(delete(Tip).where(Tip.id.in_(ids)))
        rebuild_counters()
        db.session.commit()
    monkey.undo()
