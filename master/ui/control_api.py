"""The frameworks' apps and jobs, through their control APIs.

offer-service and offer-batch each register the address of their control
API with the master (FrameworkInfo.control_address). The UI finds it there,
as `offerctl app` and `offerctl job` do, and dials it over gRPC with the
principal and secret the UI's user logged in with (a control API with
--control-credentials accepts a principal its file holds) and, given
--control-tls-ca, over TLS. One channel per call: the UI is read by people,
not by machines in a loop.

    GET /api/v1/apps                 ServiceControl.ListApps
    GET /api/v1/apps/{app_id}        ServiceControl.GetApp
    GET /api/v1/jobs                 BatchControl.ListJobs
    GET /api/v1/jobs/{name}          BatchControl.GetJob
    GET /api/v1/jobs/{name}/runs     BatchControl.ListRuns
    GET /api/v1/runs/{run_id}        BatchControl.GetRun

A framework that is not registered, or whose control API cannot be
reached or refuses the call, is an error whose message says which and what
to do; the page shows it where the list would be.
"""

from __future__ import annotations

from typing import Any

import grpc
from aiohttp import web
from google.protobuf.message import Message

from master.servicers.operator import OperatorServicer
from master.ui.auth import user_of
from master.ui.errors import AbortAsHttp, ApiError
from master.ui.operator_api import check_leading, to_json
from offer.security.client import ClientSecurity
from offer.v1 import batch_pb2, batch_pb2_grpc, service_pb2, service_pb2_grpc
from offer.v1 import operator_pb2 as operator_pb

CALL_TIMEOUT_SECONDS = 5.0
SERVICE, BATCH = "offer-service", "offer-batch"
_STUBS: dict[str, Any] = {
    SERVICE: service_pb2_grpc.ServiceControlStub,
    BATCH: batch_pb2_grpc.BatchControlStub,
}


class ControlApi:
    def __init__(self, operator: OperatorServicer, tls_ca: bytes | None) -> None:
        self._operator = operator
        self._tls_ca = tls_ca

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/api/v1/apps", self.apps)
        router.add_get("/api/v1/apps/{app_id}", self.app)
        router.add_get("/api/v1/jobs", self.jobs)
        router.add_get("/api/v1/jobs/{name}", self.job)
        router.add_get("/api/v1/jobs/{name}/runs", self.runs)
        router.add_get("/api/v1/runs/{run_id}", self.run)

    async def apps(self, request: web.Request) -> web.Response:
        return await self._call(request, SERVICE, "ListApps", service_pb2.ListAppsRequest())

    async def app(self, request: web.Request) -> web.Response:
        asked = service_pb2.GetAppRequest(app_id=request.match_info["app_id"])
        return await self._call(request, SERVICE, "GetApp", asked)

    async def jobs(self, request: web.Request) -> web.Response:
        return await self._call(request, BATCH, "ListJobs", batch_pb2.ListJobsRequest())

    async def job(self, request: web.Request) -> web.Response:
        asked = batch_pb2.GetJobRequest(name=request.match_info["name"])
        return await self._call(request, BATCH, "GetJob", asked)

    async def runs(self, request: web.Request) -> web.Response:
        asked = batch_pb2.ListRunsRequest(name=request.match_info["name"])
        return await self._call(request, BATCH, "ListRuns", asked)

    async def run(self, request: web.Request) -> web.Response:
        asked = batch_pb2.GetRunRequest(run_id=request.match_info["run_id"])
        return await self._call(request, BATCH, "GetRun", asked)

    async def _call(
        self, request: web.Request, framework: str, method: str, asked: Message
    ) -> web.Response:
        address = await self._control_address(framework)
        user = user_of(request)
        security = ClientSecurity(user.principal, user.secret, tls_ca=self._tls_ca)
        try:
            async with security.aio_channel(address) as channel:
                call = getattr(_STUBS[framework](channel), method)
                answer = await call(asked, timeout=CALL_TIMEOUT_SECONDS)
        except grpc.aio.AioRpcError as err:
            raise self._explain(err, framework, address, user.principal) from None
        return web.json_response(to_json(answer))

    async def _control_address(self, framework: str) -> str:
        """Where the framework's control API is, as it registered it (the
        connected one first, as offerctl picks it)."""
        check_leading(self._operator)
        listed = await self._operator.ListFrameworks(
            operator_pb.ListFrameworksRequest(), AbortAsHttp()
        )
        found = sorted(
            (
                f
                for f in listed.frameworks
                if f.info.name == framework and f.info.control_address and not f.removed
            ),
            key=lambda f: not f.connected,
        )
        if not found:
            raise ApiError(
                503,
                "UNAVAILABLE",
                f"no {framework} is registered with this master: start {framework} "
                "(with --master naming this master) to see its "
                f"{'apps' if framework == SERVICE else 'jobs'} here",
            )
        return str(found[0].info.control_address)

    def _explain(
        self, err: grpc.aio.AioRpcError, framework: str, address: str, principal: str
    ) -> ApiError:
        code, details = err.code(), err.details() or ""
        where = f"{framework}'s control API at {address}"
        if code == grpc.StatusCode.UNAVAILABLE:
            hint = f"is {framework} running there?"
            if self._tls_ca is None:
                hint += (
                    " If it serves TLS (--control-tls-cert), start the master with "
                    "--control-tls-ca naming the CA that signed it."
                )
            return ApiError(502, code.name, f"cannot reach {where} ({details}); {hint}")
        if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
            who = f"principal {principal!r}" if principal else "a caller without credentials"
            return ApiError(
                403,
                code.name,
                f"{where} refused {who} ({details}); its --control-credentials must hold "
                "the principal you logged in to this UI with",
            )
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            return ApiError(504, code.name, f"{where} did not answer in time")
        return ApiError.from_grpc(code, details or f"{where} failed: {code.name}")
