// offer-batch's jobs, their runs and each run's tasks, through its
// control API (found via the master).
import { html } from "../html.js";
import { useApi, concerns } from "../api.js";
import { Page, Card, Table, StateBadge, Loaded, Link, Ago, Facts } from "../components.js";
import { Framework } from "./apps.js";
import { NotFoundPage } from "./notfound.js";
import { time } from "../format.js";

const FROM = "Through offer-batch's control API.";

export function JobsPage() {
  const jobs = useApi("api/v1/jobs", { when: concerns.tasks, every: 5 });
  return html`
    <${Page} title="Jobs" subtitle=${FROM}>
      <${Framework} answer=${jobs}>
        ${(d) => html`<${Table}
          testid="jobs"
          rows=${d.jobs}
          rowKey=${(j) => j.name}
          empty="No jobs: submit one with offerctl job submit FILE."
          columns=${[
            ["Job", (j) => html`<${Link} to=${"/jobs/" + j.name}><strong>${j.name}</strong></${Link}>`],
            ["Schedule", (j) => (j.schedule ? `${j.schedule} (${j.timezone || "UTC"})` : "–")],
            ["Last run", (j) => LastRun(j.last_run)],
            ["Progress", (j) => (j.last_run ? Progress(j.last_run) : "")],
            ["Running", (j) => j.active_runs],
            ["Next run", (j) => (j.next_run_at ? time(j.next_run_at) : "–")],
            ["After", (j) => j.depends_on.join(", ") || "–"],
          ]}
        />`}
      </${Framework}>
    </${Page}>
  `;
}

export function JobPage({ name }) {
  const job = useApi(`api/v1/jobs/${encodeURIComponent(name)}`, { when: concerns.tasks, every: 5 });
  const runs = useApi(`api/v1/jobs/${encodeURIComponent(name)}/runs`, { when: concerns.tasks, every: 5 });
  if (job.error && job.error.status === 404) {
    return html`<${NotFoundPage} message=${job.error.message}
      back=${html`<${Link} to="/jobs">All jobs</${Link}>`} />`;
  }
  return html`
    <${Page} title=${html`Job <span class="id">${name}</span>`} subtitle=${FROM}>
      <${Framework} answer=${job}>
        ${(j) => html`
          <div class="grid">
            <${Card} title="Job">
              ${Facts({
                items: [
                  ["Schedule", j.schedule && `${j.schedule} (${j.timezone || "UTC"})`],
                  ["Next run", j.next_run_at ? time(j.next_run_at) : ""],
                  ["After", j.depends_on.join(", ")],
                  ["Running runs", j.active_runs],
                  ["Submitted", time(j.submitted_at)],
                ],
              })}
            </${Card}>
            <${Card} title="Spec"><pre class="spec">${j.spec_yaml}</pre></${Card}>
          </div>
        `}
      </${Framework}>
      <${Card} title="Runs" wide>
        <${Framework} answer=${runs}>
          ${(d) => html`<${RunTable} runs=${d.runs} />`}
        </${Framework}>
      </${Card}>
    </${Page}>
  `;
}

export function RunPage({ id }) {
  const run = useApi(`api/v1/runs/${encodeURIComponent(id)}`, { when: concerns.tasks, every: 5 });
  if (run.error && run.error.status === 404) {
    return html`<${NotFoundPage} message=${run.error.message}
      back=${html`<${Link} to="/jobs">All jobs</${Link}>`} />`;
  }
  return html`
    <${Page} title=${html`Run <span class="id">${id}</span>`} subtitle=${FROM}>
      <${Framework} answer=${run}>
        ${(r) => html`
          <${Card} title="Run">
            ${Facts({
              items: [
                ["Job", html`<${Link} to=${"/jobs/" + r.job}>${r.job}</${Link}>`],
                ["State", html`<${StateBadge} state=${r.state} />`],
                ["Progress", Progress(r)],
                ["Started by", r.trigger],
                ["Created", time(r.created_at)],
                ["Ended", r.ended_at ? time(r.ended_at) : ""],
                ["Message", r.message],
                ["Exit code", r.exit_code],
              ],
            })}
          </${Card}>
          <${Card} title="Tasks" wide>
            <${Table}
              testid="run-tasks"
              rows=${r.tasks}
              rowKey=${(t) => t.task_id}
              empty="No task launched yet."
              columns=${[
                ["Task", (t) => html`<${Link} to=${"/tasks/" + t.task_id}
                  query=${{ framework_id: r.framework_id }}>${t.task_id}</${Link}>`],
                ["Index", (t) => t.index],
                ["Attempt", (t) => t.attempt],
                ["State", (t) => html`<${StateBadge} state=${t.state} />${t.timed_out ? " timed out" : ""}`],
                ["Exit", (t) => t.exit_code ?? ""],
                ["Host", (t) => t.hostname],
                ["Message", (t) => html`<span class="message">${t.message}</span>`],
              ]}
            />
          </${Card}>
        `}
      </${Framework}>
    </${Page}>
  `;
}

function RunTable({ runs }) {
  return html`<${Table}
    testid="runs"
    rows=${runs}
    rowKey=${(r) => r.run_id}
    empty="No runs yet: offerctl job run NAME starts one."
    columns=${[
      ["Run", (r) => html`<${Link} to=${"/runs/" + r.run_id}>${r.run_id}</${Link}>`],
      ["State", (r) => html`<${StateBadge} state=${r.state} />`],
      ["Progress", (r) => Progress(r)],
      ["Started by", (r) => r.trigger],
      ["Created", (r) => html`<${Ago} at=${r.created_at} />`],
      ["Ended", (r) => (r.ended_at ? html`<${Ago} at=${r.ended_at} />` : "–")],
      ["Message", (r) => html`<span class="message">${r.message}</span>`],
    ]}
  />`;
}

function LastRun(run) {
  if (!run) return html`<span class="quiet">never run</span>`;
  return html`<${StateBadge} state=${run.state} />
    <${Link} to=${"/runs/" + run.run_id}> ${run.run_id}</${Link}>`;
}

function Progress(r) {
  const failed = r.failed_attempts ? `, ${r.failed_attempts} failed attempts` : "";
  const running = r.running ? `, ${r.running} running` : "";
  return `${r.succeeded} of ${r.completions} done${running}${failed}`;
}
