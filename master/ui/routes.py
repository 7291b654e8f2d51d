"""Puts the web UI on the master's HTTP application: its pages, its static
files and its JSON API, behind the master's credentials."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from pathlib import Path

from aiohttp import web

from master.servicers.operator import OperatorServicer
from master.ui.auth import basic_auth
from master.ui.control_api import ControlApi
from master.ui.errors import error_pages
from master.ui.flags import UiConfig
from master.ui.operator_api import OperatorApi
from offer.security.credentials import Credentials

STATIC = Path(__file__).parent / "static"
_IMPORT_MAP = re.compile(r'<script type="importmap">(.*?)</script>', re.DOTALL)


def add_ui(
    app: web.Application,
    operator: OperatorServicer,
    credentials: Credentials | None,
    config: UiConfig,
) -> None:
    """Adds the UI's routes to `app` (before it starts): / is the UI,
    /ui/static/ its files, /api/v1/ its JSON API. With `credentials`, all
    of them ask for HTTP Basic authentication; /metrics and /health do not."""
    closing = asyncio.Event()

    async def end_streams(_app: web.Application) -> None:
        closing.set()  # open event streams and followed logs end now

    app.on_shutdown.append(end_streams)
    app.middlewares.extend([error_pages, basic_auth(credentials)])
    index = _Index(STATIC / "index.html")
    app.router.add_get("/", index.serve)
    app.router.add_static("/ui/static", STATIC, append_version=False)
    OperatorApi(operator, closing).add_routes(app.router)
    ControlApi(operator, config.control_tls_ca).add_routes(app.router)


class _Index:
    """The one HTML page; every page of the UI is drawn in it by the scripts."""

    def __init__(self, path: Path) -> None:
        self._body = path.read_bytes()
        found = _IMPORT_MAP.search(self._body.decode())
        assert found, f"{path} has no import map"
        digest = base64.b64encode(hashlib.sha256(found.group(1).encode()).digest()).decode()
        # Scripts from the master only (and the page's import map); no
        # frames, forms or other origins: the UI needs none.
        self._headers = {
            "Content-Security-Policy": (
                f"default-src 'self'; script-src 'self' 'sha256-{digest}'; "
                "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "
                "form-action 'none'"
            ),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        }

    async def serve(self, _request: web.Request) -> web.Response:
        return web.Response(body=self._body, content_type="text/html", headers=self._headers)
