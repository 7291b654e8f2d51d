// Agents with their resources, use and drain state; one agent with its
// tasks and offers.
import { html } from "../html.js";
import { useApi, concerns } from "../api.js";
import { Page, Card, Table, Bar, StateBadge, Loaded, Link, Ago, Facts } from "../components.js";
import { NotFoundPage } from "./notfound.js";
import { TaskTable } from "./tasks.js";
import { OfferTable } from "./offers.js";
import { useNames } from "../names.js";
import { cpus, mem, time, isLive } from "../format.js";

// Only live tasks are shown here: asked of the master, which keeps many ended
// ones and answers a page of at most 1000 (docs/ui.md).
const LIVE = "state=staging,starting,running,killing,unknown";

export function AgentsPage() {
  const agents = useApi("api/v1/agents", { when: concerns.agents, every: 5 });
  const tasks = useApi(`api/v1/tasks?${LIVE}`, { when: concerns.tasks });
  const live = liveTaskCounts((tasks.data && tasks.data.tasks) || []);
  return html`
    <${Page} title="Agents" subtitle="The machines that run tasks, as they registered.">
      <${Loaded} answer=${agents} what="agents">
        ${(d) => html`<${Table}
          testid="agents"
          rows=${d.agents}
          rowKey=${(a) => a.agent_id}
          empty="No agent has registered yet: start offer-agent --master pointing here."
          columns=${[
            ["Agent", (a) => html`<${Link} to=${"/agents/" + a.agent_id}>${a.hostname}</${Link}>
              <div class="quiet">${a.agent_id}</div>`],
            ["Address", (a) => a.address || "–"],
            ["Status", (a) => html`<${StateBadge} state=${a.status} />${drain(a)}`],
            ["Tasks", (a) => live.get(a.agent_id) || 0],
            ["CPUs", (a) => html`<${Bar} used=${a.allocated.cpus} offered=${a.offered.cpus} total=${a.total.cpus} />`],
            ["Memory", (a) => html`<${Bar} used=${a.allocated.mem} offered=${a.offered.mem} total=${a.total.mem} unit="mem" />`],
            ["Measured use", (a) => usage(a.usage)],
            ["Registered", (a) => html`<${Ago} at=${a.registered_at} />`],
          ]}
        />`}
      </${Loaded}>
    </${Page}>
  `;
}

export function AgentPage({ id }) {
  const agents = useApi("api/v1/agents", { when: concerns.agents, every: 5 });
  const tasks = useApi(`api/v1/tasks?agent_id=${encodeURIComponent(id)}&${LIVE}`, { when: concerns.tasks });
  const offers = useApi(`api/v1/offers?agent_id=${encodeURIComponent(id)}`, { every: 2 });
  const names = useNames();
  const agent = agents.data && agents.data.agents.find((a) => a.agent_id === id);
  if (agents.data && !agent) {
    return html`<${NotFoundPage} message=${`No agent '${id}' is known to this master.`}
      back=${html`<${Link} to="/agents">All agents</${Link}>`} />`;
  }
  return html`
    <${Page} title=${html`Agent <span class="id">${agent ? agent.hostname : id}</span>`}>
      <${Loaded} answer=${agents} what="the agent">
        ${() => html`
          <div class="grid">
            <${Card} title="Agent">
              ${Facts({
                items: [
                  ["Id", agent.agent_id],
                  ["Status", html`<${StateBadge} state=${agent.status} />${drain(agent)}`],
                  ["Address", agent.address],
                  ["Registered", time(agent.registered_at)],
                  ["Attributes", Object.entries(agent.attributes).map(([k, v]) => `${k}=${v}`).join(", ")],
                  ["Measured use", usage(agent.usage)],
                ],
              })}
            </${Card}>
            <${Card} title="Resources">
              <div class="resource-rows">
                <div class="resource-row"><span class="label">CPUs</span>
                  <${Bar} used=${agent.allocated.cpus} offered=${agent.offered.cpus} total=${agent.total.cpus} /></div>
                <div class="resource-row"><span class="label">Memory</span>
                  <${Bar} used=${agent.allocated.mem} offered=${agent.offered.mem} total=${agent.total.mem} unit="mem" /></div>
              </div>
            </${Card}>
          </div>
        `}
      </${Loaded}>
      <${Card} title="Tasks" wide>
        <${Loaded} answer=${tasks} what="tasks">
          ${(d) => html`<${TaskTable} tasks=${d.tasks.filter((t) => isLive(t.status.state))}
            names=${names} empty="No task runs here now." />`}
        </${Loaded}>
      </${Card}>
      <${Card} title="Offers" wide>
        <${Loaded} answer=${offers} what="offers">
          ${(d) => html`<${OfferTable} offers=${d.offers} names=${names} />`}
        </${Loaded}>
      </${Card}>
    </${Page}>
  `;
}

function liveTaskCounts(tasks) {
  const counts = new Map();
  for (const t of tasks) {
    if (isLive(t.status.state)) counts.set(t.agent_id, (counts.get(t.agent_id) || 0) + 1);
  }
  return counts;
}

function drain(agent) {
  if (!agent.drain_deadline) return "";
  return html` <span class="quiet" title=${time(agent.drain_deadline)}>tasks killed at ${time(agent.drain_deadline)}</span>`;
}

function usage(u) {
  return u ? `${cpus(u.cpus_used)} cpus, ${mem(u.mem_used)}` : "–";
}
