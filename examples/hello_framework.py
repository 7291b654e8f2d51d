"""A complete framework in about 50 lines: run N containers to completion.

OFFER_MASTER=127.0.0.1:5050 python examples/hello_framework.py --tasks 5
"""

import argparse
import asyncio

from frameworks.sdk import Driver, Offer, Scheduler, SchedulerDriver, TaskStatus, make_task, pack


class Hello(Scheduler):
    def __init__(self, count: int, image: str) -> None:
        self.waiting = [
            make_task(f"hello-{i}", image, f"echo hello from task {i}; sleep 1", cpus=0.1, mem=32)
            for i in range(count)
        ]
        self.running = count
        self.failed = 0

    async def offers(self, driver: SchedulerDriver, offers: list[Offer]) -> None:
        for offer in offers:
            packed = pack(offer, self.waiting)
            self.waiting = packed.left_out
            if packed.launch:
                await driver.accept([offer.offer_id], packed.launch)
            else:
                await driver.decline([offer.offer_id], refuse_seconds=30)
        if not self.waiting:
            await driver.suppress()  # nothing left to place: no more offers, please

    async def update(self, driver: SchedulerDriver, status: TaskStatus) -> None:
        print(f"{status.task_id}: {status.state.name} {status.message}", flush=True)
        if status.state.is_terminal:
            self.running -= 1
            self.failed += status.state.name != "FINISHED"
            if self.running == 0:
                await driver.teardown()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run N hello containers through offers.")
    parser.add_argument("--tasks", type=int, default=5)
    parser.add_argument("--image", default="offer-test/busybox:latest")
    parser.add_argument(
        "--master", default=None, help="HOST:PORT, or several, comma-separated ($OFFER_MASTER)"
    )
    args = parser.parse_args()
    hello = Hello(args.tasks, args.image)
    asyncio.run(Driver(hello, master=args.master, name="hello").run())
    raise SystemExit(1 if hello.failed else 0)


if __name__ == "__main__":
    main()
