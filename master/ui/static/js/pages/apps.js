// offer-service's apps, through its control API (found via the master):
// instances wanted and running, and why any instance is missing.
import { html } from "../html.js";
import { useApi, concerns } from "../api.js";
import { Page, Card, Table, StateBadge, Loaded, Link, Ago, Facts, ErrorBox } from "../components.js";
import { NotFoundPage } from "./notfound.js";
import { time } from "../format.js";

const FROM = "Through offer-service's control API.";

export function AppsPage() {
  const apps = useApi("api/v1/apps", { when: concerns.tasks, every: 5 });
  return html`
    <${Page} title="Apps" subtitle=${FROM}>
      <${Framework} answer=${apps}>
        ${(d) => html`<${Table}
          testid="apps"
          rows=${d.apps}
          rowKey=${(a) => a.app_id}
          empty="No apps: deploy one with offerctl app deploy FILE."
          columns=${[
            ["App", (a) => html`<${Link} to=${"/apps/" + a.app_id}><strong>${a.app_id}</strong></${Link}>`],
            ["Instances", (a) => Instances(a)],
            ["States", (a) => States(a.tasks)],
            ["Why not all running", (a) => html`<span class="message">${a.waiting_reason || "–"}</span>`],
          ]}
        />`}
      </${Framework}>
    </${Page}>
  `;
}

export function AppPage({ id }) {
  const app = useApi(`api/v1/apps/${encodeURIComponent(id)}`, { when: concerns.tasks, every: 5 });
  if (app.error && app.error.status === 404) {
    return html`<${NotFoundPage} message=${app.error.message}
      back=${html`<${Link} to="/apps">All apps</${Link}>`} />`;
  }
  return html`
    <${Page} title=${html`App <span class="id">${id}</span>`} subtitle=${FROM}>
      <${Framework} answer=${app}>
        ${(a) => html`
          <div class="grid">
            <${Card} title="App">
              ${Facts({
                items: [
                  ["Instances", Instances(a)],
                  ["Why not all running", a.waiting_reason && html`<span class="waiting" data-testid="waiting">${a.waiting_reason}</span>`],
                  ["Backing off until", a.backoff_until ? time(a.backoff_until) : ""],
                ],
              })}
            </${Card}>
            <${Card} title="Spec"><pre class="spec">${a.spec_yaml}</pre></${Card}>
          </div>
          <${Card} title="Instances" wide>
            <${Table}
              testid="instances"
              rows=${a.tasks}
              rowKey=${(t) => t.task_id}
              empty="No instances."
              columns=${[
                ["Task", (t) => html`<${Link} to=${"/tasks/" + t.task_id}>${t.task_id}</${Link}>`],
                ["State", (t) => html`<${StateBadge} state=${t.state} />
                  ${t.health && html` <${StateBadge} state=${t.health} />`}`],
                ["Host", (t) => html`<${Link} to=${"/agents/" + t.agent_id}>${t.hostname}</${Link}>${" "}
                  <span class="quiet">${t.address}</span>`],
                ["Ports", (t) => t.host_ports.join(", ") || "–"],
                ["Started", (t) => html`<${Ago} at=${t.started_at} />`],
                ["Message", (t) => html`<span class="message">${t.message}</span>`],
              ]}
            />
          </${Card}>
        `}
      </${Framework}>
    </${Page}>
  `;
}

/** A framework's answer, or its error in place (control API down...). */
export function Framework({ answer, children }) {
  if (!answer.data && answer.error) {
    return html`<${ErrorBox} title="The framework did not answer" error=${answer.error} />`;
  }
  return html`<${Loaded} answer=${answer}>${children}</${Loaded}>`;
}

function Instances(a) {
  const tone = a.healthy >= a.instances ? "ok" : "busy";
  return html`<span class=${"badge " + tone}>${a.healthy} / ${a.instances}</span>
    <span class="quiet"> running</span>`;
}

function States(tasks) {
  const counts = {};
  for (const t of tasks) counts[t.state] = (counts[t.state] || 0) + 1;
  return Object.entries(counts).map(
    ([state, n]) => html`<span class="state-count"><${StateBadge} state=${state} /> ${n}</span> `,
  );
}
