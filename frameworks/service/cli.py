"""`offer-service`: the long-running service framework (Marathon-like)."""

from __future__ import annotations

import argparse

import grpc

from frameworks import daemon
from frameworks.service.control import ServiceControlServicer
from frameworks.service.metrics import ServiceGauges, ServiceMetrics
from frameworks.service.scheduler import ServiceScheduler
from frameworks.service.store import ServiceStore
from offer.metrics import new_registry
from offer.v1 import service_pb2_grpc

EPILOG = """\
examples:
  offer-service --master 127.0.0.1:5050
  offerctl app deploy web.yaml && offerctl app show web
"""


def build_parser() -> argparse.ArgumentParser:
    return daemon.framework_parser(
        "offer-service",
        "Keeps long-running apps (N instances of a container) running and "
        "healthy on an offer cluster. Control it with `offerctl app ...`.",
        EPILOG,
        db="sqlite:///offer-state/service.db",
        port=5060,
    )


async def run(args: argparse.Namespace) -> None:
    registry = new_registry()
    scheduler = ServiceScheduler(ServiceStore(args.db), metrics=ServiceMetrics(registry))
    await scheduler.load()
    registry.register(ServiceGauges(scheduler))

    def add_control(server: grpc.aio.Server) -> None:
        service_pb2_grpc.add_ServiceControlServicer_to_server(
            ServiceControlServicer(scheduler), server
        )

    await daemon.serve(
        args,
        scheduler,
        scheduler.framework_id,
        add_control,
        "offer.v1.ServiceControl",
        registry,
    )


def main(argv: list[str] | None = None) -> None:
    daemon.main("offer-service", build_parser(), run, argv)


if __name__ == "__main__":
    main()
