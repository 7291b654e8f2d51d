// One task: what it is, its status history, and its output (the last
// lines, then followed as it comes while the task runs).
import { html, useEffect, useRef, useState } from "../html.js";
import { useApi, concerns } from "../api.js";
import { Page, Card, Table, StateBadge, Loaded, Link, Facts, Mono, ErrorBox } from "../components.js";
import { NotFoundPage } from "./notfound.js";
import { useNames } from "../names.js";
import { useRoute } from "../router.js";
import { resources, time, command, isLive, stateName } from "../format.js";

export function TaskPage({ id }) {
  const { query } = useRoute();
  const framework = query.get("framework_id") || "";
  const path = `api/v1/tasks/${encodeURIComponent(id)}` +
    (framework ? `?framework_id=${encodeURIComponent(framework)}` : "");
  const answer = useApi(path, { when: concerns.task(id) });
  const names = useNames();
  if (answer.error && answer.error.status === 404) {
    return html`<${NotFoundPage} message=${answer.error.message}
      back=${html`<${Link} to="/tasks">All tasks</${Link}>`} />`;
  }
  return html`
    <${Page} title=${html`Task <span class="id">${id}</span>`}>
      <${Loaded} answer=${answer} what="the task">
        ${(d) => html`
          <div class="grid">
            <${Card} title="Task">${TaskFacts(d.task, names)}</${Card}>
            <${Card} title="History">${History(d.history)}</${Card}>
          </div>
          <${Card} title="Logs" wide>
            <${LogView} task=${d.task} live=${isLive(d.task.status.state)} />
          </${Card}>
        `}
      </${Loaded}>
    </${Page}>
  `;
}

function TaskFacts(task, names) {
  const s = task.status;
  return Facts({
    items: [
      ["State", html`<span data-testid="task-state"><${StateBadge} state=${s.state} /></span>`],
      ["Message", s.message],
      ["Exit code", s.exit_code],
      ["Name", task.name],
      ["Framework", names.framework(task.framework_id)],
      ["Agent", html`<${Link} to=${"/agents/" + task.agent_id}>${names.agent(task.agent_id)}</${Link}>
        ${task.agent_address && html` <span class="quiet">${task.agent_address}</span>`}`],
      ["Image", html`<${Mono}>${task.container.image}</${Mono}>`],
      ["Command", command(task.container) && html`<${Mono}>${command(task.container)}</${Mono}>`],
      ["Resources", resources(task.resources)],
      ["Created", time(task.created_at)],
    ],
  });
}

function History(history) {
  return html`<${Table}
    testid="history"
    rows=${[...history].reverse()}
    rowKey=${(s) => s.uuid || s.timestamp + s.state}
    columns=${[
      ["Time", (s) => html`<span class="nowrap">${time(s.timestamp)}</span>`],
      ["State", (s) => html`<${StateBadge} state=${s.state} />`],
      ["Reason", (s) => (s.reason === "REASON_UNSPECIFIED" ? "" : s.reason.replace(/^REASON_/, ""))],
      ["Message", (s) => html`<span class="message">${s.message}</span>`],
    ]}
  />`;
}

const TAILS = [100, 1000, 0];

/** The task's output: the last `tail` lines, then (follow) what it writes. */
function LogView({ task, live }) {
  const [tail, setTail] = useState(100);
  const [follow, setFollow] = useState(true);
  const [text, setText] = useState("");
  const [state, setState] = useState({ error: null, done: false });
  const box = useRef(null);
  const following = follow && live;
  useEffect(() => {
    const abort = new AbortController();
    setText("");
    setState({ error: null, done: false });
    readLogs(task, tail, following, abort.signal, (chunk) => setText((t) => t + chunk))
      .then(() => setState({ error: null, done: true }))
      .catch((error) => error.name !== "AbortError" && setState({ error, done: true }));
    return () => abort.abort();
  }, [task.task_id, task.framework_id, tail, following]);
  useEffect(() => {
    const el = box.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [text]);
  return html`
    <div class="log-controls">
      <label>Last
        <select value=${tail} onChange=${(e) => setTail(Number(e.target.value))}>
          ${TAILS.map((n) => html`<option value=${n}>${n ? n + " lines" : "everything kept"}</option>`)}
        </select>
      </label>
      <label><input type="checkbox" checked=${follow} disabled=${!live}
        onChange=${(e) => setFollow(e.target.checked)} /> follow</label>
      <span class="quiet">${following && !state.done ? "following…" : ended(task, state)}</span>
    </div>
    ${state.error && html`<${ErrorBox} title="Cannot read the logs" error=${state.error} />`}
    <pre class="logs" ref=${box} data-testid="logs">${text || (state.done && !state.error ? "(no output)" : "")}</pre>
  `;
}

function ended(task, state) {
  if (!state.done) return "loading…";
  return isLive(task.status.state) ? "" : `the task is ${stateName(task.status.state)}: its output is complete`;
}

async function readLogs(task, tail, follow, signal, onText) {
  const query = new URLSearchParams({ tail, follow: follow ? 1 : 0, framework_id: task.framework_id });
  const response = await fetch(`api/v1/tasks/${encodeURIComponent(task.task_id)}/logs?${query}`, { signal });
  if (!response.ok) {
    let message = response.statusText;
    try {
      message = (await response.json()).error || message;
    } catch {}
    throw new Error(message);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    onText(value);
  }
}
