"""offerctl's `app history` and `app rollback`: the versions offer-service
keeps of an app, and a way back to one of them."""

from __future__ import annotations

import argparse
import datetime
from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from offer.ctl import render
from offer.ctl.apps import CALL_TIMEOUT, Stub, _follow, _get, waits
from offer.ctl.names import ENDED_STATES
from offer.ctl.progress import AppRollout
from offer.v1 import service_pb2 as pb


def history_view(history: pb.AppHistory, current: int) -> list[dict[str, Any]]:
    return [
        {
            "revision": v.revision,
            "deployed_at": v.deployed_at,
            "change": v.change,
            "current": v.revision == current,
            "spec_yaml": v.spec_yaml,
        }
        for v in history.versions
    ]


def history(stub: Stub, args: argparse.Namespace) -> int:
    app = _get(stub, args.app_id)
    found = stub.GetAppHistory(pb.GetAppHistoryRequest(app_id=args.app_id), timeout=CALL_TIMEOUT)
    rows = history_view(found, app.deployment.revision)

    def draw() -> RenderableType:
        if not rows:
            return "No versions kept."
        table = Table(box=None, header_style="bold", pad_edge=False)
        for title in ("REVISION", "DEPLOYED", "CHANGE"):
            table.add_column(title, no_wrap=title != "CHANGE")
        for row in rows:
            when = datetime.datetime.fromtimestamp(row["deployed_at"]).strftime("%Y-%m-%d %H:%M:%S")
            mark = " (current)" if row["current"] else ""
            table.add_row(f"{row['revision']}{mark}", when, Text(row["change"]))
        return table

    render.emit(rows, draw, args.output)
    return 0


def rollback(stub: Stub, args: argparse.Namespace) -> int:
    before = _get(stub, args.app_id) if waits(args) else None
    request = pb.RollbackAppRequest(app_id=args.app_id, revision=args.revision or 0)
    status = stub.RollbackApp(request, timeout=CALL_TIMEOUT)
    print(
        f"app {args.app_id}: rolling back as revision {status.deployment.revision}",
        flush=True,
    )
    if before is None:
        return 0
    # The instances to be replaced: those live before that do not run the
    # version rolled back to (those that do, e.g. after a failed deployment,
    # are kept and count as ready).
    revision = status.deployment.revision
    now_of = {t.task_id: t.revision for t in status.tasks}
    old = frozenset(
        t.task_id
        for t in before.tasks
        if t.state not in ENDED_STATES and now_of.get(t.task_id, 0) != revision
    )
    rollout = AppRollout(args.app_id, frozenset(t.task_id for t in before.tasks), old)
    return _follow(stub, args, [rollout])
