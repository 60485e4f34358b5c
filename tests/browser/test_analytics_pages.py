"""The analytics pages in real headless Chromium (Debian's `chromium`, driven by Playwright).

Install the browser with tests/browser/install-chromium.sh (`make test` runs it). A missing
browser or Playwright fails this test with a message saying so; it never skips.
"""
import re
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.factories import DEFAULT_PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
VIEWPORT = {"width": 1440, "height": 900}


@pytest.fixture
def browser_page():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run tests/browser/install-chromium.sh (as root).")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("The `playwright` package is missing: pip install -r requirements-dev.txt.")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(20_000)
            yield page
        finally:
            browser.close()


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def seeded_alice(alice):
    # Before the browser starts: Playwright's sync API runs an event loop that the ORM refuses.
    call_command("seed_usage", records=600, users=[alice.email], days=14, seed=11, stdout=StringIO())
    return alice


def test_log_in_see_charts_filter_the_log_and_create_a_key(live_server, seeded_alice, browser_page):
    page, alice = browser_page, seeded_alice

    page.goto(f"{live_server.url}/analytics/")
    assert "/analytics/login/" in page.url
    _shot(page, "login")
    page.fill("input[name=username]", alice.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#cards")

    assert page.inner_text("[data-stat=requests]") == "600"
    assert page.inner_text("[data-stat=cost]").startswith("$")
    assert page.locator("#chart-cost svg rect.bar").count() > 0
    assert page.locator("#chart-models svg rect.bar").count() > 0
    assert page.locator("#chart-complexity svg circle.slice").count() > 0
    assert page.locator("#chart-latency svg path.line").count() == 2
    _shot(page, "overview")

    page.click("nav >> text=Requests")
    page.wait_for_selector("#request-log")
    page.select_option("select[name=cache]", "hit")
    page.click("#log-filters button[type=submit]")
    page.wait_for_url(re.compile(r".*cache=hit.*"))
    pills = page.locator("#request-log tbody .pill").all_inner_texts()
    assert pills and set(pills) == {"hit"}
    _shot(page, "requests-filtered")

    page.locator("#request-log tbody a").first.click()
    page.wait_for_selector("h1.mono")
    _shot(page, "request-detail")

    page.click("nav >> text=Keys")
    page.fill("#gateway-key-form input[name=name]", "browser-test")
    page.click("#gateway-key-form button[type=submit]")
    raw_key = page.inner_text("#new-key-value")
    assert raw_key.startswith("gw-") and len(raw_key) > 20
    _shot(page, "keys-new-key")
    assert "browser-test" in page.inner_text("#gateway-keys")
    page.select_option("#provider-key-form select[name=provider]", "anthropic")
    page.fill("#provider-key-form input[name=key]", "sk-ant-browser-test-0000-7a1f")
    page.fill("#provider-key-form input[name=label]", "team")
    page.click("#provider-key-form button[type=submit]")
    page.wait_for_selector("#provider-keys >> text=…7a1f")
    assert "sk-ant-browser-test" not in page.content()
    _shot(page, "keys")

    assert raw_key not in page.content()
