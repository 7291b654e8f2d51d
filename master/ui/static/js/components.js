// The pieces every page is made of: a page frame, cards, tables, state
// badges, resource bars, and the loading and error states.
import { html } from "./html.js";
import { stateName, cpus, mem, percent, age, time } from "./format.js";
import { href } from "./router.js";

export function Page({ title, subtitle, actions, children }) {
  return html`
    <section class="page">
      <header class="page-head">
        <div>
          <h1>${title}</h1>
          ${subtitle && html`<p class="subtitle">${subtitle}</p>`}
        </div>
        ${actions && html`<div class="actions">${actions}</div>`}
      </header>
      ${children}
    </section>
  `;
}

export function Card({ title, children, wide }) {
  return html`
    <div class=${"card" + (wide ? " wide" : "")}>
      ${title && html`<h2>${title}</h2>`} ${children}
    </div>
  `;
}

/** A table: `columns` are [heading, render(row)] pairs; `empty` says why none. */
export function Table({ columns, rows, rowKey, empty = "None.", testid }) {
  if (!rows.length) return html`<p class="empty" data-testid=${testid}>${empty}</p>`;
  return html`
    <div class="table-wrap">
      <table data-testid=${testid}>
        <thead>
          <tr>${columns.map(([heading]) => html`<th>${heading}</th>`)}</tr>
        </thead>
        <tbody>
          ${rows.map(
            (row) => html`
              <tr key=${rowKey(row)}>${columns.map(([, cell]) => html`<td>${cell(row)}</td>`)}</tr>
            `,
          )}
        </tbody>
      </table>
    </div>
  `;
}

const STATE_TONES = {
  RUNNING: "ok", FINISHED: "done", SUCCEEDED: "done", STAGING: "busy", STARTING: "busy",
  KILLING: "busy", FAILED: "bad", ERROR: "bad", LOST: "bad", KILLED: "muted",
  CANCELLED: "muted", active: "ok", draining: "busy", disconnected: "bad", lost: "bad",
  "engine unavailable": "bad", removed: "muted", healthy: "ok", unhealthy: "bad",
};

export function StateBadge({ state }) {
  const name = stateName(state);
  return html`<span class=${"badge " + (STATE_TONES[name] || "muted")}>${name || "–"}</span>`;
}

/** A bar of `used` out of `total`, with the numbers beside it. */
export function Bar({ used, offered = 0, total, unit = "cpus" }) {
  const show = unit === "mem" ? mem : cpus;
  const width = (n) => ({ width: total > 0 ? Math.min(100, (100 * n) / total) + "%" : "0%" });
  return html`
    <div class="bar-line">
      <div class="bar">
        <div class="bar-used" style=${width(used)}></div>
        <div class="bar-offered" style=${width(offered)}></div>
      </div>
      <span class="bar-text">${show(used)} / ${show(total)}${unit === "cpus" ? " cpus" : ""}${" "}
        <span class="quiet">${percent(used, total)}</span></span>
    </div>
  `;
}

export const Link = ({ to, query, children }) => html`<a href=${href(to, query)}>${children}</a>`;

export const Ago = ({ at }) => html`<span title=${time(at)}>${age(at)}</span>`;

export const Mono = ({ children }) => html`<code>${children}</code>`;

export function Loading({ what = "" }) {
  return html`<p class="loading">Loading${what ? " " + what : ""}…</p>`;
}

/** An error from the master, in place of what could not be shown. */
export function ErrorBox({ error, title = "Cannot show this" }) {
  return html`
    <div class="error-box" role="alert" data-testid="error">
      <strong>${title}</strong>
      <p>${error.message}</p>
    </div>
  `;
}

/** Renders `children(data)` once an API answer is there, or its state. */
export function Loaded({ answer, what, children }) {
  if (answer.data) {
    return html`
      ${answer.error && html`<p class="stale" role="status">Not current: ${answer.error.message}</p>`}
      ${children(answer.data)}
    `;
  }
  if (answer.error) return html`<${ErrorBox} error=${answer.error} />`;
  return html`<${Loading} what=${what} />`;
}

/** Label: value lines (a task's or an app's details). */
export function Facts({ items }) {
  return html`
    <dl class="facts">
      ${items
        .filter(([, value]) => value !== undefined && value !== null && value !== "")
        .map(([label, value]) => html`<dt>${label}</dt><dd>${value}</dd>`)}
    </dl>
  `;
}

export function Stat({ label, value, tone = "", testid }) {
  return html`
    <div class=${"stat " + tone} data-testid=${testid}>
      <div class="stat-value">${value}</div>
      <div class="stat-label">${label}</div>
    </div>
  `;
}
