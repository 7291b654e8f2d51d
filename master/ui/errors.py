"""The UI's errors: one JSON shape for the API, one page for the rest.

Every error a user meets is a sentence that says what is wrong: an API call
answers `{"error": "...", "code": "NOT_FOUND"}` with the matching HTTP
status (the gRPC code's name in `code`), so that the pages show the
message in place and scripts can test the code.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from typing import NoReturn

import grpc
from aiohttp import web

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# gRPC status codes as HTTP statuses (as grpc-gateway maps them).
HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


class ApiError(Exception):
    """An API call that cannot be answered: HTTP status, code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    @classmethod
    def from_grpc(cls, code: grpc.StatusCode, message: str) -> ApiError:
        return cls(HTTP_STATUS.get(code, 500), code.name, message)

    def response(self) -> web.Response:
        return web.json_response({"error": self.message, "code": self.code}, status=self.status)


class AbortAsHttp:
    """The servicer context the Operator servicer's methods are given when
    the UI calls them in-process: they use it only to abort with a code and
    a message, which becomes an ApiError."""

    async def abort(self, code: grpc.StatusCode, details: str = "") -> NoReturn:
        raise ApiError.from_grpc(code, details)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "INVALID_ARGUMENT", message)


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """ApiError as JSON; an unknown path as a page (or JSON under /api/)
    that says so; anything unexpected logged, and told as a 500."""
    api = request.path.startswith("/api/")
    try:
        return await handler(request)
    except ApiError as err:
        return err.response()
    except web.HTTPNotFound:
        if api:
            return ApiError(
                404, "NOT_FOUND", f"no API endpoint {request.path}; docs/ui.md lists them"
            ).response()
        return _page(404, "Not found", f"Nothing is served at {request.path}.")
    except web.HTTPException:
        raise
    except Exception as err:
        log.exception("web UI: %s %s failed", request.method, request.path)
        message = f"the master failed to answer {request.path}: {type(err).__name__}: {err}"
        if api:
            return ApiError(500, "INTERNAL", message).response()
        return _page(500, "Internal error", message)


def _page(status: int, title: str, message: str) -> web.Response:
    body = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>{html.escape(title)} · offer</title>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>"
        '<p><a href="/">The cluster at a glance</a></p></html>'
    )
    return web.Response(status=status, text=body, content_type="text/html")
