"""The master's links: the stream of each connected agent and subscribed
framework (an `Outbox` of `master.messages`), and the kills waiting for a
disconnected agent to return.

Sending never blocks and never fails: a message for an agent or framework
that is not connected is dropped (frameworks hear of what they missed by
reconcile and by their unacknowledged updates when they subscribe again),
except a kill, which is held until the agent's next registration.
"""

from __future__ import annotations

from master.cluster import Task, TaskKey
from master.messages import AgentCommand, FrameworkEvent, Heartbeat, KillTask, SubscriptionEnded
from offer.clock import Clock
from offer.outbox import Outbox
from offer.tasks import StatusReason, TaskState


class Links:
    def __init__(self) -> None:
        self.agents: dict[str, Outbox[AgentCommand]] = {}
        self.frameworks: dict[str, Outbox[FrameworkEvent]] = {}
        # Kills for tasks whose agent is disconnected, sent when it returns.
        self._pending_kills: dict[TaskKey, StatusReason] = {}

    # ---------------------------------------------------------------- agents

    def attach_agent(self, agent_id: str, link: Outbox[AgentCommand]) -> None:
        """Makes `link` the agent's stream, closing the one it replaces."""
        old = self.agents.pop(agent_id, None)
        if old is not None:
            old.close()
        self.agents[agent_id] = link

    def detach_agent(self, agent_id: str, link: Outbox[AgentCommand]) -> bool:
        """False if `link` is not the agent's stream any more (an older
        stream of an agent that has reconnected since)."""
        if self.agents.get(agent_id) is not link:
            return False
        del self.agents[agent_id]
        return True

    def to_agent(self, agent_id: str, command: AgentCommand) -> bool:
        """Sends a command; False if the agent is not connected."""
        link = self.agents.get(agent_id)
        if link is not None:
            link.send(command)
        return link is not None

    def kill(self, task: Task, reason: StatusReason = StatusReason.KILLED_BY_REQUEST) -> None:
        """Asks the task's agent to kill it, now or when the agent returns."""
        link = self.agents.get(task.agent_id)
        if link is None:
            self._pending_kills[task.key] = reason
        else:
            grace = task.spec.kill_grace_seconds
            link.send(KillTask(task.framework_id, task.task_id, grace, reason))

    def forget_kill(self, key: TaskKey) -> None:
        """The task ended: a kill held for it is not needed any more."""
        self._pending_kills.pop(key, None)

    def send_pending_kills(self, tasks: list[Task]) -> None:
        """Sends the kills held for these tasks (their agent is back), and
        again those of tasks it said it was KILLING: an agent restarted
        within a kill's grace period takes its container back as running
        and knows nothing of the kill."""
        for task in tasks:
            reason = self._pending_kills.pop(task.key, None)
            if reason is None and task.status.state == TaskState.KILLING:
                reason = task.status.reason or StatusReason.KILLED_BY_REQUEST
            if reason is not None:
                self.kill(task, reason)

    # ------------------------------------------------------------ frameworks

    def attach_framework(self, framework_id: str, link: Outbox[FrameworkEvent]) -> None:
        """Makes `link` the framework's stream; the one it replaces is told
        why and closed."""
        old = self.frameworks.pop(framework_id, None)
        if old is not None:
            old.send(SubscriptionEnded("another subscription for this framework replaced this one"))
            old.close()
        self.frameworks[framework_id] = link

    def detach_framework(self, framework_id: str, link: Outbox[FrameworkEvent]) -> bool:
        """False if `link` is not the framework's stream any more."""
        if self.frameworks.get(framework_id) is not link:
            return False
        del self.frameworks[framework_id]
        return True

    def end_framework(self, framework_id: str, why: str) -> None:
        """Tells the framework's stream why it ends, and ends it."""
        link = self.frameworks.pop(framework_id, None)
        if link is not None:
            link.send(SubscriptionEnded(why))
            link.close()

    def tell(self, framework_id: str, event: FrameworkEvent) -> None:
        link = self.frameworks.get(framework_id)
        if link is not None:
            link.send(event)

    def tell_all(self, event: FrameworkEvent) -> None:
        for link in self.frameworks.values():
            link.send(event)

    async def send_heartbeats(self, clock: Clock, interval: float) -> None:
        """Every `interval` seconds, a heartbeat to every framework, so that a
        silent master is told from a broken stream."""
        while True:
            await clock.sleep(interval)
            self.tell_all(Heartbeat())

    def close(self) -> None:
        """Ends every stream after what was already sent."""
        for agent_link in self.agents.values():
            agent_link.close()
        for framework_link in self.frameworks.values():
            framework_link.close()
