"""HTTP Basic authentication with the master's --credentials.

When the master authenticates its gRPC callers, every UI page and API call
asks for the same principal and secret (the browser prompts for them);
/metrics and /health stay open, as scrapers and load balancers carry no
credentials (docs/ui.md). Without --credentials the UI is open, as the
master's gRPC port is.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Middleware

from master.ui.errors import Handler
from offer.security.credentials import Credentials

REALM = "offer-master"
OPEN_PATHS = frozenset({"/metrics", "/health"})


@dataclass(frozen=True)
class User:
    """Who is calling: passed on to the frameworks' control APIs. Empty
    when the master has no credentials."""

    principal: str = ""
    secret: str = ""

    def __repr__(self) -> str:  # never the secret
        return f"User(principal={self.principal!r})"


USER = web.RequestKey("offer_ui_user", User)
_ANONYMOUS = User()


def user_of(request: web.Request) -> User:
    user: User = request.get(USER, _ANONYMOUS)
    return user


def basic_auth(credentials: Credentials | None) -> Middleware:
    """A middleware that admits callers with valid credentials (everyone,
    with None)."""

    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if credentials is None or request.path in OPEN_PATHS:
            return await handler(request)
        user = _parse(request.headers.get("Authorization", ""))
        if user is None or not credentials.check(user.principal, user.secret):
            why = "wrong principal or secret" if user else "this master requires authentication"
            raise web.HTTPUnauthorized(
                text=f"401 Unauthorized: {why}. Log in with a principal and secret of the "
                "master's --credentials file.\n",
                headers={"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'},
            )
        request[USER] = user
        return await handler(request)

    return authenticate


def _parse(header: str) -> User | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    principal, sep, secret = decoded.partition(":")
    return User(principal, secret) if sep and principal else None
