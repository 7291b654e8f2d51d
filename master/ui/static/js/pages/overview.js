// The cluster at a glance: agents, resources and their use by role,
// frameworks, task states and the latest events.
import { html } from "../html.js";
import { useApi, concerns, useRecentEvents } from "../api.js";
import { Page, Card, Table, Bar, Stat, StateBadge, Loaded, Link, Ago } from "../components.js";
import { cpus, mem, percent, eventName, TASK_STATES } from "../format.js";

export function OverviewPage() {
  const status = useApi("api/v1/status", { when: concerns.any, every: 5 });
  const agents = useApi("api/v1/agents", { when: concerns.agents, every: 5 });
  const frameworks = useApi("api/v1/frameworks", { when: concerns.frameworks, every: 5 });
  return html`
    <${Page} title="Cluster" subtitle=${status.data && masterLine(status.data)}>
      <${Loaded} answer=${status} what="the cluster">
        ${(s) => html`
          <div class="stats">
            <${Stat} label="agents" value=${sum(s.agents)} testid="stat-agents" />
            <${Stat} label="frameworks" value=${sum(s.frameworks)} testid="stat-frameworks" />
            <${Stat} label="tasks running" value=${s.tasks.RUNNING || 0} tone="ok"
              testid="stat-running" />
            <${Stat} label="tasks failed or lost"
              value=${(s.tasks.FAILED || 0) + (s.tasks.LOST || 0) + (s.tasks.ERROR || 0)}
              tone=${s.tasks.FAILED || s.tasks.LOST || s.tasks.ERROR ? "bad" : ""} />
            <${Stat} label="CPUs allocated" value=${percent(s.allocated.cpus, s.total.cpus)} />
            <${Stat} label="memory allocated" value=${percent(s.allocated.mem, s.total.mem)} />
          </div>
          <div class="grid">
            <${Card} title="Resources">${ResourceBars(s)}</${Card}>
            <${Card} title="Task states">${TaskStates(s.tasks)}</${Card}>
          </div>
        `}
      </${Loaded}>
      <div class="grid">
        <${Card} title="Resources by role">
          <${Loaded} answer=${frameworks} what="frameworks">
            ${(d) => RolesTable(d.frameworks, status.data)}
          </${Loaded}>
        </${Card}>
        <${Card} title="Agents">
          <${Loaded} answer=${agents} what="agents">${(d) => AgentsSummary(d.agents)}</${Loaded}>
        </${Card}>
      </div>
      <${Card} title="Latest events" wide><${LatestEvents} /></${Card}>
    </${Page}>
  `;
}

const sum = (counts) => Object.values(counts || {}).reduce((a, b) => a + b, 0);

function masterLine(s) {
  if (s.role === "MASTER_ROLE_STANDBY") {
    return `This master (${s.address}) is a standby; the leader is ${s.leader || "not elected yet"}.`;
  }
  return html`Master ${s.address}, version ${s.version}, up <${Ago} at=${s.started_at} />`;
}

function ResourceBars(s) {
  const used = s.used || {};
  return html`
    <div class="resource-rows">
      <div class="resource-row"><span class="label">CPUs</span>
        <${Bar} used=${s.allocated.cpus} offered=${s.offered.cpus} total=${s.total.cpus} /></div>
      <div class="resource-row"><span class="label">Memory</span>
        <${Bar} used=${s.allocated.mem} offered=${s.offered.mem} total=${s.total.mem} unit="mem" /></div>
      <p class="legend">
        <span class="swatch used"></span> allocated to tasks
        <span class="swatch offered"></span> offered to frameworks
        · measured use: ${cpus(used.cpus_used)} cpus, ${mem(used.mem_used)}
      </p>
    </div>
  `;
}

function TaskStates(tasks) {
  const present = TASK_STATES.filter((state) => tasks[state]);
  if (!present.length) return html`<p class="empty">No tasks yet.</p>`;
  return html`
    <ul class="state-counts" data-testid="task-states">
      ${present.map(
        (state) => html`
          <li><${Link} to="/tasks" query=${{ state }}>
            <${StateBadge} state=${state} /> <strong>${tasks[state]}</strong></${Link}></li>
        `,
      )}
    </ul>
  `;
}

function RolesTable(frameworks, status) {
  const roles = new Map();
  for (const f of frameworks) {
    const role = roles.get(f.info.role) || { role: f.info.role, names: [], cpus: 0, mem: 0, offered: 0 };
    role.names.push(f.info.name);
    role.cpus += f.allocated.cpus;
    role.mem += f.allocated.mem;
    role.offered += f.offered.cpus;
    roles.set(f.info.role, role);
  }
  const total = status ? status.total : { cpus: 0, mem: 0 };
  return html`<${Table}
    testid="roles"
    rows=${[...roles.values()]}
    rowKey=${(r) => r.role}
    empty="No framework has registered yet."
    columns=${[
      ["Role", (r) => html`<strong>${r.role}</strong>`],
      ["Frameworks", (r) => r.names.join(", ")],
      ["CPUs", (r) => html`<${Bar} used=${r.cpus} total=${total.cpus} />`],
      ["Memory", (r) => html`<${Bar} used=${r.mem} total=${total.mem} unit="mem" />`],
    ]}
  />`;
}

function AgentsSummary(agents) {
  return html`<${Table}
    testid="agents-summary"
    rows=${agents}
    rowKey=${(a) => a.agent_id}
    empty="No agent has registered yet."
    columns=${[
      ["Agent", (a) => html`<${Link} to=${"/agents/" + a.agent_id}>${a.hostname}</${Link}>`],
      ["Status", (a) => html`<${StateBadge} state=${a.status} />`],
      ["CPUs", (a) => html`<${Bar} used=${a.allocated.cpus} offered=${a.offered.cpus} total=${a.total.cpus} />`],
      ["Memory", (a) => html`<${Bar} used=${a.allocated.mem} offered=${a.offered.mem} total=${a.total.mem} unit="mem" />`],
    ]}
  />`;
}

function LatestEvents() {
  const events = useRecentEvents().slice(-8).reverse();
  if (!events.length) return html`<p class="empty">Nothing has happened yet.</p>`;
  return html`
    <ul class="event-list">
      ${events.map(
        (e) => html`
          <li key=${e.seq + e.timestamp}>
            <span class="quiet"><${Ago} at=${e.timestamp} /></span>
            <span class="event-type">${eventName(e.type)}</span> ${e.message}
          </li>
        `,
      )}
    </ul>
  `;
}
