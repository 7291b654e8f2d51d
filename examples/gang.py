"""A gang: 4 tasks across agents that start together or not at all, retried
whole if one fails, and never two gangs at once, even across a kill -9.

OFFER_MASTER=127.0.0.1:5050 python examples/gang.py --state gang.json

How: one atomic accept_many launches all 4 (over offers of several agents)
or none. Each attempt is written down (an atomic JSON write) before it is
launched; a restarted process asks the master about the attempt it wrote
down (reconcile) and launches nothing before every one of its tasks has
answered. A new attempt (new task ids) starts only once every task of the
last one has ended or is UNKNOWN to the master (never launched).
Each task gets GANG_ATTEMPT and GANG_RANK in its environment.
If its saved framework was torn down while it was away (the master answers
NOT_FOUND), it says so and starts afresh as a new framework: the master
killed that framework's tasks, so its recorded attempt is forgotten.
"""

import argparse
import asyncio
import json
import os
from pathlib import Path

from frameworks.sdk import (
    CallRefusedError,
    Driver,
    Offer,
    Scheduler,
    SchedulerDriver,
    TaskState,
    TaskStatus,
    make_task,
    pack_offers,
)

SIZE = 4


def gone(state: TaskState | None) -> bool:
    """Not running and never will: ended, or UNKNOWN to the master (never launched)."""
    return state is not None and (state.is_terminal or state == TaskState.UNKNOWN)


def failed(state: TaskState | None) -> bool:
    return gone(state) and state != TaskState.FINISHED


class Gang(Scheduler):
    def __init__(self, state_path: Path, image: str, command: str) -> None:
        self.path, self.image, self.command = state_path, image, command
        saved = json.loads(state_path.read_text()) if state_path.exists() else {}
        self.framework_id: str = saved.get("framework_id", "")
        self.attempt: int = saved.get("attempt", 0)
        self.done: bool = saved.get("done", False)
        # The recorded attempt's tasks and their last known state (None: not
        # answered yet, so nothing may be launched).
        self.states: dict[str, TaskState | None] = {t: None for t in saved.get("tasks", [])}

    def save(self) -> None:
        """Writes the record atomically and durably (rename over the old one)."""
        record = {
            "framework_id": self.framework_id,
            "attempt": self.attempt,
            "tasks": sorted(self.states),
            "done": self.done,
        }
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w") as f:
            json.dump(record, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def forget(self) -> None:
        """A new framework: no id and no live attempt (attempt numbers go on)."""
        self.framework_id, self.states = "", {}
        self.save()

    def idle(self) -> bool:
        """True when no task of the last attempt is (or may be) alive."""
        return all(gone(s) for s in self.states.values())

    async def subscribed(self, driver: SchedulerDriver, framework_id: str) -> None:
        self.framework_id = framework_id
        self.save()
        if self.states:
            # Until each recorded task has answered, it may be running.
            self.states = dict.fromkeys(self.states)
            await driver.reconcile(sorted(self.states))
        await self.next_step(driver)

    async def offers(self, driver: SchedulerDriver, offers: list[Offer]) -> None:
        if self.done or not self.idle():
            await driver.decline([o.offer_id for o in offers], refuse_seconds=30)
            return
        attempt = self.attempt + 1
        tasks = [
            make_task(
                f"gang-{attempt}-{rank}",
                self.image,
                self.command,
                cpus=0.5,
                mem=32,
                env={"GANG_ATTEMPT": str(attempt), "GANG_RANK": str(rank)},
            )
            for rank in range(SIZE)
        ]
        packed = pack_offers(offers, tasks, spread=True)
        if packed.left_out:  # the whole gang does not fit: wait for more offers
            await driver.decline([o.offer_id for o in offers], refuse_seconds=1)
            return
        # Written down before launching: a restart must know these may run.
        self.attempt, self.states = attempt, {t.task_id: None for t in tasks}
        self.save()
        results = await driver.accept_many(packed.acceptances, atomic=True)
        refused = [r for r in results if r is not None]
        print(f"attempt {attempt}: {refused or 'launched'}", flush=True)
        unused = packed.unused
        if refused:  # none launched (the offers stay ours): the next offers get a new attempt
            self.states = dict.fromkeys(self.states, TaskState.UNKNOWN)
            unused = [o.offer_id for o in offers]
        else:
            await driver.suppress()
        if unused:
            await driver.decline(unused, refuse_seconds=1)

    async def update(self, driver: SchedulerDriver, status: TaskStatus) -> None:
        print(f"{status.task_id}: {status.state.name} {status.reason.name}", flush=True)
        if status.task_id not in self.states:
            if not status.state.is_terminal:  # an older attempt's task: never two gangs
                await driver.kill(status.task_id)
            return
        self.states[status.task_id] = status.state
        await self.next_step(driver)

    async def next_step(self, driver: SchedulerDriver) -> None:
        states = list(self.states.values())
        if self.states and all(s == TaskState.FINISHED for s in states):
            self.done = True
            self.save()
            await driver.teardown()
        elif any(failed(s) for s in states):
            # One failed (or never ran): the gang is over; kill the rest.
            for task_id, state in self.states.items():
                if state is not None and not gone(state):
                    await driver.kill(task_id)
            if self.idle():
                await driver.revive()
        elif not self.states:
            await driver.revive()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run a gang of 4 tasks, all or none.")
    parser.add_argument("--state", type=Path, default=Path("gang.json"))
    parser.add_argument("--image", default="offer-test/busybox:latest")
    parser.add_argument("--command", default="sleep 3")
    parser.add_argument("--master", default=None, help="HOST:PORT (default: $OFFER_MASTER)")
    args = parser.parse_args()
    gang = Gang(args.state, args.image, args.command)
    if gang.done:
        return
    while True:
        driver = Driver(
            gang,
            master=args.master,
            name="gang",
            framework_id=gang.framework_id,
            failover_timeout=3600,
        )
        try:
            asyncio.run(driver.run())
            return
        except CallRefusedError as err:
            if err.code != "NOT_FOUND" or not gang.framework_id:
                raise
            print(f"framework {gang.framework_id} is gone (torn down); starting afresh", flush=True)
            gang.forget()


if __name__ == "__main__":
    main()
