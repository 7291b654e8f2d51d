"""`offer-batch`: the batch job framework (Chronos-like)."""

from __future__ import annotations

import argparse

import grpc

from frameworks import daemon
from frameworks.batch.control import BatchControlServicer
from frameworks.batch.metrics import BatchGauges, BatchMetrics
from frameworks.batch.scheduler import BatchScheduler
from frameworks.batch.store import BatchStore
from offer.metrics import new_registry
from offer.v1 import batch_pb2_grpc

EPILOG = """\
examples:
  offer-batch --master 127.0.0.1:5050
  offerctl job submit examples/jobs.yaml && offerctl job run etl && offerctl job runs etl
"""


def build_parser() -> argparse.ArgumentParser:
    return daemon.framework_parser(
        "offer-batch",
        "Runs jobs to completion on an offer cluster: N tasks, P at once, with "
        "retries, timeouts, cron schedules and dependencies between jobs. "
        "Control it with `offerctl job ...`.",
        EPILOG,
        db="sqlite:///offer-state/batch.db",
        port=5070,
    )


async def run(args: argparse.Namespace) -> None:
    registry = new_registry()
    scheduler = BatchScheduler(BatchStore(args.db), metrics=BatchMetrics(registry))
    await scheduler.load()
    registry.register(BatchGauges(scheduler))

    def add_control(server: grpc.aio.Server) -> None:
        batch_pb2_grpc.add_BatchControlServicer_to_server(BatchControlServicer(scheduler), server)

    await daemon.serve(
        args, scheduler, scheduler.framework_id, add_control, "offer.v1.BatchControl", registry
    )


def main(argv: list[str] | None = None) -> None:
    daemon.main("offer-batch", build_parser(), run, argv)


if __name__ == "__main__":
    main()
