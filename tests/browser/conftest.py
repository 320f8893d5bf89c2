"""A real browser for the pages that must work on a phone and by keyboard: Debian's Chromium
driven by Playwright (browsers are never downloaded). Without Chromium these tests are skipped,
except in CI (CI=true), where they fail."""

import os
import shutil
from pathlib import Path

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


def watched_page(context, live_server):
    """A new page that records in `page.foreign` every request to another origin."""
    page = context.new_page()
    page.foreign = []
    page.on(
        "request",
        lambda r: None if r.url.startswith(live_server.url) else page.foreign.append(r.url),
    )
    return page


def phone_context(browser):
    return browser.new_context(
        viewport={"width": 375, "height": 740}, device_scale_factor=2, has_touch=True
    )


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized page that records every request to another origin."""
    context = phone_context(browser)
    yield watched_page(context, live_server)
    context.close()


AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA, as axe-core tags its rules.
AXE_RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
  });
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({
      rule: v.id, impact: v.impact, where: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
    }));
}"""


@pytest.fixture
def audited(browser, live_server):
    """A phone-sized page with axe-core in every document, counting the bytes of scripts, styles
    and fonts each page loads and recording every request to another origin."""
    if not AXE.exists():
        message = (
            f"axe-core not found at {AXE} (make test installs it: npm ci in tests/browser/axe)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message + ": CI requires the accessibility checks")
        pytest.skip(message)
    context = phone_context(browser)
    # An init script goes in through the browser's debugging protocol, not the page's network,
    # so the Content-Security-Policy (scripts from our own origin only) stays as it is.
    context.add_init_script(path=str(AXE))
    page = watched_page(context, live_server)
    # Every page's assets counted as a first visit loads them: no cache.
    devtools = context.new_cdp_session(page)
    devtools.send("Network.enable")
    devtools.send("Network.setCacheDisabled", {"cacheDisabled": True})
    page.asset_bytes = 0

    def seen(response):
        if response.url.startswith(live_server.url) and response.request.resource_type in (
            "script",
            "stylesheet",
            "font",
        ):
            page.asset_bytes += len(response.body())

    page.on("response", seen)
    yield page
    context.close()


def open_audited(page, url: str) -> None:
    """Go to `url`, counting its assets afresh."""
    page.asset_bytes = 0
    page.goto(url)


def audit_page(page) -> list[dict]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it is now."""
    page.wait_for_load_state()
    return page.evaluate(AXE_RUN)


def looks_right(page, label: str) -> None:
    """What a patient sees passes axe-core (WCAG 2.1 A/AA, nothing serious or critical), fits
    a phone's width and loads nothing from another site."""
    from tests.browser.test_forms_in_a_browser import fits_the_screen

    problems = audit_page(page)
    assert problems == [], f"{label}: {problems}"
    fits_the_screen(page)
    assert page.foreign == [], f"{label}: {page.foreign}"


def pass_the_second_step(page, email: str) -> None:
    """After the password: the second-factor step, answered with the code the person's
    authenticator app shows now (computed from the app's key, as the app itself does)."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from tests.conftest import totp_code_now

    if reverse("core:second-factor") not in page.url:
        return  # this person is not asked (no second factor set up, none required)
    page.fill("input[name=code]", totp_code_now(get_user_model().objects.get(username=email)))
    with page.expect_navigation():
        page.click("main button[type=submit]")
