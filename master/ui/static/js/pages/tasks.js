// Tasks, newest first, with filters (state, framework, agent, text) kept
// in the address so that a filtered list is a link. TaskTable is also the
// task list of the agent and framework pages.
import { html } from "../html.js";
import { useApi, concerns } from "../api.js";
import { Page, Table, StateBadge, Loaded, Link, Ago, Mono } from "../components.js";
import { useNames } from "../names.js";
import { useRoute, replaceQuery } from "../router.js";
import { stateName, resources, command, TASK_STATES } from "../format.js";

// Rows drawn at most: past this, the page asks for a narrower filter.
const MOST_ROWS = 500;

export function TasksPage() {
  const { query } = useRoute();
  const filters = {
    state: query.get("state") || "",
    framework: query.get("framework") || "",
    agent: query.get("agent") || "",
    q: query.get("q") || "",
  };
  const tasks = useApi("api/v1/tasks", { when: concerns.tasks });
  const names = useNames();
  const set = (key) => (event) => replaceQuery({ ...filters, [key]: event.target.value });
  return html`
    <${Page} title="Tasks" subtitle="Every task the master knows, newest first.">
      <form class="filters" onSubmit=${(e) => e.preventDefault()} role="search">
        <input type="search" placeholder="Search id, name, image, message…" value=${filters.q}
          onInput=${set("q")} aria-label="Search tasks" data-testid="filter-text" />
        <select value=${filters.state} onChange=${set("state")} aria-label="State"
          data-testid="filter-state">
          <option value="">All states</option>
          ${TASK_STATES.map((s) => html`<option value=${s}>${s}</option>`)}
        </select>
        <select value=${filters.framework} onChange=${set("framework")} aria-label="Framework"
          data-testid="filter-framework">
          <option value="">All frameworks</option>
          ${names.frameworks.map(
            (f) => html`<option value=${f.info.framework_id}>${f.info.name}</option>`,
          )}
        </select>
        <select value=${filters.agent} onChange=${set("agent")} aria-label="Agent"
          data-testid="filter-agent">
          <option value="">All agents</option>
          ${names.agents.map((a) => html`<option value=${a.agent_id}>${a.hostname}</option>`)}
        </select>
        ${(filters.q || filters.state || filters.framework || filters.agent) &&
        html`<button type="button" onClick=${() => replaceQuery({})}>Clear</button>`}
      </form>
      <${Loaded} answer=${tasks} what="tasks">
        ${(d) => html`<${FilteredTasks} tasks=${d.tasks} filters=${filters} names=${names} />`}
      </${Loaded}>
    </${Page}>
  `;
}

function FilteredTasks({ tasks, filters, names }) {
  const shown = tasks.filter((t) => matches(t, filters, names));
  return html`
    <p class="count" data-testid="task-count">
      ${shown.length} of ${tasks.length} tasks
      ${shown.length > MOST_ROWS && html` (the first ${MOST_ROWS} shown: narrow the filter)`}
    </p>
    <${TaskTable} tasks=${shown.slice(0, MOST_ROWS)} names=${names}
      empty=${tasks.length ? "No task matches these filters." : "No tasks yet."} />
  `;
}

function matches(task, { state, framework, agent, q }, names) {
  if (state && stateName(task.status.state) !== state) return false;
  if (framework && task.framework_id !== framework) return false;
  if (agent && task.agent_id !== agent) return false;
  if (!q) return true;
  const text = [
    task.task_id, task.name, task.container.image, command(task.container), task.status.message,
    names.agent(task.agent_id), names.framework(task.framework_id),
  ].join(" ").toLowerCase();
  return q.toLowerCase().split(/\s+/).every((word) => text.includes(word));
}

/** Tasks as rows: id (a link to its page), framework, agent, state... */
export function TaskTable({ tasks, names, empty = "No tasks." }) {
  return html`<${Table}
    testid="tasks"
    rows=${tasks}
    rowKey=${(t) => t.framework_id + "/" + t.task_id}
    empty=${empty}
    columns=${[
      ["Task", (t) => html`<${Link} to=${"/tasks/" + t.task_id}
        query=${{ framework_id: t.framework_id }}>${t.task_id}</${Link}>`],
      ["Framework", (t) => names.framework(t.framework_id)],
      ["Agent", (t) => html`<${Link} to=${"/agents/" + t.agent_id}>${names.agent(t.agent_id)}</${Link}>`],
      ["State", (t) => html`<${StateBadge} state=${t.status.state} />${health(t.status)}`],
      ["Image", (t) => html`<${Mono}>${t.container.image}</${Mono}>`],
      ["Resources", (t) => resources(t.resources)],
      ["Age", (t) => html`<${Ago} at=${t.created_at} />`],
      ["Message", (t) => html`<span class="message">${t.status.message}</span>`],
    ]}
  />`;
}

function health(status) {
  if (status.healthy === undefined) return "";
  return html` <${StateBadge} state=${status.healthy ? "healthy" : "unhealthy"} />`;
}
