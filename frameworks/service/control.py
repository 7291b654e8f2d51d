"""The ServiceControl gRPC service: offerctl's `app` commands. Translates only."""

from __future__ import annotations

import contextlib

import grpc

from frameworks.checks import SpecError, check_fits
from frameworks.service.documents import app_schemas, parse_apps
from frameworks.service.rollout import AppVersion
from frameworks.service.scheduler import ServiceScheduler, UnknownAppError, UnknownVersionError
from frameworks.service.spec import check_dependencies
from offer.v1 import service_pb2 as pb
from offer.v1 import service_pb2_grpc


class ServiceControlServicer(service_pb2_grpc.ServiceControlServicer):
    def __init__(self, scheduler: ServiceScheduler) -> None:
        self._scheduler = scheduler

    async def DeployApps(
        self, request: pb.DeployAppsRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeployAppsResponse:
        try:
            specs = parse_apps(request.yaml)
            deployed = {a.spec.id: a.spec for a in self._scheduler.apps.values()}
            check_dependencies({**deployed, **{s.id: s for s in specs}})
            sizes = ((s.id, s.cpus, s.mem) for s in specs)
            check_fits("app", sizes, self._scheduler.largest_offer)
        except SpecError as err:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(err))
        return pb.DeployAppsResponse(app_ids=await self._scheduler.deploy(specs))

    async def ListApps(
        self, request: pb.ListAppsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListAppsResponse:
        return pb.ListAppsResponse(apps=[self._status(a) for a in sorted(self._scheduler.apps)])

    async def GetApp(
        self, request: pb.GetAppRequest, context: grpc.aio.ServicerContext
    ) -> pb.AppStatus:
        await self._known(request.app_id, context)
        return self._status(request.app_id)

    async def ScaleApp(
        self, request: pb.ScaleAppRequest, context: grpc.aio.ServicerContext
    ) -> pb.AppStatus:
        await self._known(request.app_id, context)
        await self._scheduler.scale(request.app_id, request.instances)
        return self._status(request.app_id)

    async def RestartApp(
        self, request: pb.RestartAppRequest, context: grpc.aio.ServicerContext
    ) -> pb.AppStatus:
        await self._known(request.app_id, context)
        await self._scheduler.restart(request.app_id)
        return self._status(request.app_id)

    async def RemoveApp(
        self, request: pb.RemoveAppRequest, context: grpc.aio.ServicerContext
    ) -> pb.RemoveAppResponse:
        await self._known(request.app_id, context)
        with contextlib.suppress(UnknownAppError):  # removed meanwhile
            await self._scheduler.remove(request.app_id)
        return pb.RemoveAppResponse()

    async def GetAppHistory(
        self, request: pb.GetAppHistoryRequest, context: grpc.aio.ServicerContext
    ) -> pb.AppHistory:
        await self._known(request.app_id, context)
        return pb.AppHistory(
            versions=[_version(v) for v in self._scheduler.history(request.app_id)]
        )

    async def RollbackApp(
        self, request: pb.RollbackAppRequest, context: grpc.aio.ServicerContext
    ) -> pb.AppStatus:
        await self._known(request.app_id, context)
        try:
            await self._scheduler.rollback(request.app_id, request.revision)
        except UnknownVersionError as err:
            await context.abort(
                grpc.StatusCode.NOT_FOUND,
                f"{err.args[0]}; `offerctl app history {request.app_id}` lists those kept",
            )
        except UnknownAppError:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no app {request.app_id!r}")
        return self._status(request.app_id)

    async def GetAppSchema(
        self, request: pb.GetAppSchemaRequest, context: grpc.aio.ServicerContext
    ) -> pb.AppSchema:
        spec, document = app_schemas()
        return pb.AppSchema(spec_json_schema=spec, document_json_schema=document)

    async def _known(self, app_id: str, context: grpc.aio.ServicerContext) -> None:
        if app_id not in self._scheduler.apps:
            await context.abort(
                grpc.StatusCode.NOT_FOUND, f"no app {app_id!r}; `offerctl app list` shows the apps"
            )

    def _status(self, app_id: str) -> pb.AppStatus:
        app = self._scheduler.apps[app_id]
        deployment = app.deployment
        has_check = app.spec.health_check is not None
        instances = self._scheduler.instances_of(app_id)
        healthy = sum(
            1 for i in instances if i.state.name == "RUNNING" and (i.healthy or not has_check)
        )
        return pb.AppStatus(
            app_id=app_id,
            spec_yaml=app.spec.to_yaml(),
            instances=app.spec.instances,
            healthy=healthy,
            tasks=[
                pb.Instance(
                    task_id=i.task_id,
                    agent_id=i.agent_id,
                    hostname=i.hostname,
                    address=i.address,
                    state=i.state.name,
                    health={None: "", True: "healthy", False: "unhealthy"}[i.healthy],
                    host_ports=i.host_ports,
                    started_at=i.created_at,
                    message=i.message,
                    revision=self._scheduler.revision_of(i),
                )
                for i in instances
            ],
            waiting_reason=self._scheduler.waiting.get(app_id, ""),
            backoff_until=app.backoff_until,
            deployment=pb.Deployment(
                state=pb.DeploymentState.Value(f"DEPLOYMENT_STATE_{deployment.state.name}"),
                revision=app.revision,
                started_at=deployment.started_at,
                deadline=deployment.deadline(app.spec) or 0.0,
                reason=deployment.reason,
            ),
        )


def _version(v: AppVersion) -> pb.AppVersion:
    return pb.AppVersion(
        revision=v.revision, deployed_at=v.deployed_at, change=v.change, spec_yaml=v.spec.to_yaml()
    )
