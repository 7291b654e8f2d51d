"""`python -m bench.load --agents N`: one load run, printed."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.load.run import LoadSpec, run

parser = argparse.ArgumentParser(prog="python -m bench.load")
parser.add_argument("--agents", type=int, default=1000)
parser.add_argument("--frameworks", type=int, default=8)
parser.add_argument(
    "--seconds", type=float, default=15.0, help="of churn; 0: a placement run of --fill tasks"
)
parser.add_argument("--task-seconds", type=float, default=1.0)
parser.add_argument("--fill", type=int, default=0, help="then launch this many endless tasks")
parser.add_argument("--profile", type=Path, help="write a py-spy profile of the master here")
args = parser.parse_args()
result = run(
    LoadSpec(
        args.agents,
        args.frameworks,
        args.seconds,
        args.task_seconds,
        fill_tasks=args.fill,
        profile=args.profile,
    )
)
for name, value in vars(result).items():
    print(f"{name:>20}: {value}")
