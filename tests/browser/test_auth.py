"""The web UI of a master with --credentials (and TLS): the same principal
and secret asked of every page and API call (a browser prompts for them),
/metrics and /health open, HTTPS on the HTTP port with the master's
certificate; the frameworks' control APIs get the user's credentials, and
one that is down is said so in place."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError

from offer.security.client import ClientSecurity
from tests.browser.browser_host import BrowserHost, ui_address
from tests.browser.support import UiCluster
from tests.support.cluster import Cluster
from tests.support.tls import make_pki

LOGIN = ("ops", "ops-secret")


@pytest.fixture(scope="module")
def secure_ui(
    tmp_path_factory: pytest.TempPathFactory, browser_host: BrowserHost | None
) -> Iterator[UiCluster]:
    """A master with credentials, and offer-batch whose control API takes
    the same credentials; no agent."""
    ui = UiCluster.make(tmp_path_factory.mktemp("secure-ui"), ui_address(browser_host))
    cluster = ui.cluster
    ui.login = LOGIN
    try:
        cluster.use_identity(*LOGIN)
        ui.start_master("--credentials", str(_credentials(cluster)))
        cluster.start_batch("--control-credentials", str(_credentials(cluster)))
        yield ui
    finally:
        cluster.close()


def _credentials(cluster: Cluster) -> Path:
    path = cluster.root / "credentials"
    path.write_text(f"{LOGIN[0]} {LOGIN[1]}\n")
    return path


def test_pages_and_api_ask_for_the_credentials_and_probes_do_not(secure_ui: UiCluster) -> None:
    status, body = secure_ui.get("/api/v1/status")
    assert status == 200 and json.loads(body)["role"] == "MASTER_ROLE_LEADER"
    for path in ("/", "/api/v1/tasks", "/api/v1/events", "/ui/static/js/main.js"):
        status, body = secure_ui.get(path, login=("", ""))
        assert status == 401 and "requires authentication" in body, path
    status, body = secure_ui.get("/api/v1/tasks", login=(LOGIN[0], "wrong"))
    assert status == 401 and "wrong principal or secret" in body
    anonymous = UiCluster(secure_ui.cluster, secure_ui.host, secure_ui.http_port)
    assert anonymous.get("/health")[0] == 200
    assert anonymous.get("/metrics")[0] == 200


def test_https_with_the_masters_certificate(tmp_path: Path) -> None:
    ui = UiCluster(Cluster(tmp_path, engine=False), scheme="https", login=LOGIN)
    pki = make_pki(tmp_path)
    ui.cluster.security = ClientSecurity(*LOGIN, tls_ca=pki.ca.read_bytes())
    ui.tls = ssl.create_default_context(cafile=pki.ca)
    try:
        tls = ["--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key)]
        ui.start_master("--credentials", str(_credentials(ui.cluster)), *tls)
        status, body = ui.get("/api/v1/status")
        assert status == 200 and json.loads(body)["role"] == "MASTER_ROLE_LEADER"
        assert ui.get("/api/v1/status", login=("", ""))[0] == 401
        in_clear = UiCluster(ui.cluster, ui.host, ui.http_port, login=LOGIN)
        with pytest.raises(OSError):  # TLS only: a request in clear is cut off
            in_clear.get("/api/v1/status")
    finally:
        ui.cluster.close()


def test_the_browser_is_refused_without_credentials(browser: Browser, secure_ui: UiCluster) -> None:
    for login in (None, {"username": LOGIN[0], "password": "wrong"}):
        context = browser.new_context(http_credentials=login)
        try:
            assert _refused(context.new_page(), secure_ui.url + "/#/tasks"), login
            answer = context.request.get(secure_ui.url + "/api/v1/tasks")
            assert answer.status == 401
            assert answer.headers["www-authenticate"].startswith('Basic realm="offer-master"')
            assert "Log in with a principal and secret" in answer.text()
        finally:
            context.close()


def _refused(page: Page, url: str) -> bool:
    """Whether the master refused the page: chromium shows the 401, or
    gives up on the credentials (headless, it has no prompt to show)."""
    try:
        answer = page.goto(url)
    except PlaywrightError as err:
        return "ERR_INVALID_AUTH_CREDENTIALS" in str(err)
    return answer is not None and answer.status == 401


def test_a_user_with_the_credentials_gets_in(browser: Browser, secure_ui: UiCluster) -> None:
    context = browser.new_context(http_credentials={"username": LOGIN[0], "password": LOGIN[1]})
    try:
        page = context.new_page()
        page.goto(secure_ui.url + "/#/jobs")
        expect(page.get_by_test_id("live")).to_have_text("live")  # the event stream too
        # offer-batch's control API took the user's principal and secret.
        expect(page.get_by_test_id("jobs")).to_contain_text("No jobs")
        secure_ui.cluster.batch.stop()
        page.reload()
        expect(page.get_by_test_id("error")).to_contain_text(
            f"cannot reach offer-batch's control API at {secure_ui.cluster.batch_address}"
        )
    finally:
        context.close()
