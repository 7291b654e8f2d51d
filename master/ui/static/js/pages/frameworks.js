// Frameworks with what they hold and their share of the cluster (DRF's
// dominant share), and where their control API is.
import { html } from "../html.js";
import { useApi, concerns } from "../api.js";
import { Page, Table, StateBadge, Loaded, Link, Ago, Mono } from "../components.js";
import { resources } from "../format.js";

export function FrameworksPage() {
  const frameworks = useApi("api/v1/frameworks", { when: concerns.frameworks, every: 5 });
  return html`
    <${Page} title="Frameworks"
      subtitle="Schedulers that receive offers; their share is the largest fraction of any resource they hold (DRF).">
      <${Loaded} answer=${frameworks} what="frameworks">
        ${(d) => html`<${Table}
          testid="frameworks"
          rows=${d.frameworks}
          rowKey=${(f) => f.info.framework_id}
          empty="No framework has registered yet."
          columns=${[
            ["Framework", (f) => html`<strong>${f.info.name}</strong>
              <div class="quiet">${f.info.framework_id}</div>`],
            ["Role", (f) => f.info.role],
            ["Status", (f) => html`<${StateBadge} state=${status(f)} />
              ${f.suppressed && html` <span class="quiet">offers suppressed</span>`}`],
            ["Tasks", (f) => html`<${Link} to="/tasks" query=${{ framework: f.info.framework_id }}>
              ${f.active_tasks} active</${Link}>`],
            ["Allocated", (f) => resources(f.allocated)],
            ["Offered", (f) => resources(f.offered)],
            ["Share", (f) => Share(f.dominant_share)],
            ["Control API", (f) => (f.info.control_address ? html`<${Mono}>${f.info.control_address}</${Mono}>` : "–")],
            ["Registered", (f) => html`<${Ago} at=${f.registered_at} />`],
          ]}
        />`}
      </${Loaded}>
    </${Page}>
  `;
}

const status = (f) => (f.removed ? "removed" : f.connected ? "active" : "disconnected");

function Share(share) {
  const pct = Math.round(share * 1000) / 10;
  return html`
    <div class="bar-line">
      <div class="bar small"><div class="bar-used" style=${{ width: Math.min(100, pct) + "%" }}></div></div>
      <span class="bar-text">${pct}%</span>
    </div>
  `;
}
