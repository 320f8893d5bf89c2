"""A real browser for the pages that must work on a phone and by keyboard: Debian's Chromium
driven by Playwright (browsers are never downloaded). Without Chromium these tests are skipped,
except in CI (CI=true), where they fail."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Playwright's synchronous API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + ": CI requires the browser tests")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized page that records every request to another origin."""
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, device_scale_factor=2, has_touch=True
    )
    page = context.new_page()
    page.foreign = []
    page.on(
        "request",
        lambda r: None if r.url.startswith(live_server.url) else page.foreign.append(r.url),
    )
    yield page
    context.close()
