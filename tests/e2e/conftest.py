"""Real-browser tests: Playwright driving Debian's Chromium against a live server.

- ``browser_type_launch_args`` points pytest-playwright at the system Chromium
  (never ``playwright install``). No Chromium: the tests skip, unless
  ``CASEWORK_REQUIRE_BROWSER=1`` (CI), where they fail.
- ``live_server`` runs the app in a background thread (werkzeug, threaded) on its own
  database cloned from the session's migrated template, with its own app object.
  It yields a :class:`tests.e2e.helpers.LiveServer` (``.url``, ``.app``, ``.seed()``).
- ``browser_context_args`` adds ``base_url``, so tests call ``page.goto("/login")``.
- Every console message is collected; a Content Security Policy violation, an
  uncaught page error or a 5xx response fails the test. Actions time out after 10 s.
- Everything in this folder is marked ``e2e`` automatically (``pytest -m "not e2e"``
  leaves it out).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from werkzeug.serving import make_server

from casework.extensions import db
from tests.conftest import make_app

from .helpers import LiveServer, csp_violations, page_errors, server_errors

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
E2E_DIR = Path(__file__).parent
ACTION_TIMEOUT_MS = 10_000
CONSOLE_KEY = pytest.StashKey[list]()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items) -> None:
    """Mark every test in tests/e2e as e2e before ``-m`` selection runs."""
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(executable):
        message = (
            "Chromium not found (looked for 'chromium' on PATH and /usr/bin/chromium). "
            "Install it with 'apt-get install chromium'; do not run 'playwright install'."
        )
        if os.environ.get("CASEWORK_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " CASEWORK_REQUIRE_BROWSER=1 is set, so this is an error.", pytrace=False)
        pytest.skip(message)
    return {
        "headless": True,
        **browser_type_launch_args,  # keeps --headed / --slowmo for local debugging
        "executable_path": executable,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture
def live_server(database_url, keyring_json):
    """The app served on 127.0.0.1 (a free port) from a background thread."""
    app = make_app(database_url, keyring_json)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def base_url():
    """Replaces pytest-playwright's fallback ``base_url`` fixture, an instance method that
    pytest 9 deprecates (a warning, so an error here); each test's live server sets it instead."""
    return None


@pytest.fixture
def browser_context_args(browser_context_args, live_server):
    return {**browser_context_args, "base_url": live_server.url}


@pytest.fixture
def console_messages(request) -> list[str]:
    """Everything the pages printed to the console, plus uncaught errors."""
    messages: list[str] = []
    request.node.stash[CONSOLE_KEY] = messages
    return messages


@pytest.fixture
def context(context, console_messages):
    context.set_default_timeout(ACTION_TIMEOUT_MS)  # fail in seconds, not half a minute
    context.on("console", lambda msg: console_messages.append(f"console.{msg.type}: {msg.text} ({msg.location})"))
    context.on("weberror", lambda err: console_messages.append(f"uncaught error: {err.error}"))
    context.on("response", lambda resp: _note_server_error(resp, console_messages))
    return context


def _note_server_error(response, messages: list[str]) -> None:
    if response.status >= 500:
        messages.append(f"server error: HTTP {response.status} for {response.request.method} {response.url}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail a passing test on a CSP violation, an uncaught page error or a 5xx response;
    on a failing test, add what the browser reported to the failure report."""
    try:
        result = yield
    except BaseException:
        problems = _browser_problems(item)
        if problems:
            item.add_report_section("call", "browser", "\n".join(problems))
        raise
    problems = _browser_problems(item)
    if problems:
        pytest.fail("The browser reported:\n  " + "\n  ".join(problems), pytrace=False)
    return result


def _browser_problems(item) -> list[str]:
    messages = item.stash.get(CONSOLE_KEY, None)
    if messages is None:
        return []
    context = item.funcargs.get("context")
    for page in context.pages if context else []:
        if not page.is_closed():
            with contextlib.suppress(PlaywrightError):
                page.evaluate("0")  # a round trip delivers any console events still in flight
    return csp_violations(messages) + page_errors(messages) + server_errors(messages)
