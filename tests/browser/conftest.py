"""The web UI's tests: a real cluster (master, agents with Docker,
offer-service and offer-batch at work) per test module, read over HTTP and
in Debian's chromium driven by Playwright.

Playwright is launched with `executable_path` set to the system chromium
(`apt-get install chromium`, which scripts/docker-engine.sh does as root):
Playwright's own browser downloads are never used. Without chromium the
browser tests are skipped, saying so; the plain-HTTP tests still run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser.browser_host import BrowserHost, browser_host_problem, ui_address
from tests.browser.support import UiCluster, seed_cluster

CHROMIUM = shutil.which("chromium")
# Playwright's waits (expect, locators): pages answer in milliseconds;
# live updates come within the master's allocation interval.
EXPECT_TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser_host() -> Iterator[BrowserHost | None]:
    """The browser's network namespace (tests/browser/browser_host.py), one
    per worker; None where none can be made: the browser then shares this
    host's network, and may see requests dropped as containers come and go."""
    if browser_host_problem():
        yield None
        return
    made = BrowserHost.up()
    try:
        yield made
    finally:
        made.down()


@pytest.fixture(scope="module")
def ui_cluster(
    tmp_path_factory: pytest.TempPathFactory, browser_host: BrowserHost | None
) -> Iterator[UiCluster]:
    """A cluster with a web UI, two agents, an app of two instances
    (offer-service) and a job run to its end (offer-batch), one per module."""
    ui = UiCluster.make(tmp_path_factory.mktemp("ui"), ui_address(browser_host))
    try:
        ui.start_master()
        ui.cluster.start_agent("cpus:2;mem:1024")
        ui.cluster.start_agent("cpus:2;mem:1024")
        seed_cluster(ui)
        yield ui
    finally:
        ui.cluster.close()


# Per module, never per session: Playwright's sync API runs an event loop on
# the test's thread while it is open, and every asyncio test the same worker
# ran after a session-wide browser failed ("cannot be called from a running
# event loop").
@pytest.fixture(scope="module")
def browser(
    browser_host: BrowserHost | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    if CHROMIUM is None:
        pytest.skip(
            "the browser tests need Debian's chromium (apt-get install chromium, which "
            "`make engine` does as root); Playwright's own browser downloads are not used"
        )
    with sync_playwright() as playwright:
        executable = (
            browser_host.launcher(CHROMIUM, tmp_path_factory.mktemp("chromium"))
            if browser_host
            else CHROMIUM
        )
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        expect.set_options(timeout=EXPECT_TIMEOUT_MS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page (its own cookies and cache) as wide as a laptop's screen."""
    context = browser.new_context(viewport={"width": 1360, "height": 720})
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


# Every run photographs the main pages; `make screenshots` (OFFER_SCREENSHOTS
# set to the folder) keeps them for docs/, so that `make test` leaves the
# checkout as it found it.
SCREENSHOTS = Path(
    os.environ.get("OFFER_SCREENSHOTS")
    or Path(tempfile.gettempdir()) / f"offer-screenshots-{os.getpid()}"
)
