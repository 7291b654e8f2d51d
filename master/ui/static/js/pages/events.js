// Cluster events as they happen (the last 200 from before the page loaded
// first), newest on top, filtered by kind and text.
import { html, useState } from "../html.js";
import { useRecentEvents } from "../api.js";
import { Page, Table, Ago, StateBadge } from "../components.js";
import { eventName, time } from "../format.js";

const KINDS = { "": "All events", AGENT: "Agents", FRAMEWORK: "Frameworks", TASK: "Tasks" };

export function EventsPage() {
  const events = useRecentEvents();
  const [kind, setKind] = useState("");
  const [text, setText] = useState("");
  const shown = events
    .filter((e) => !kind || e.type.startsWith("EVENT_" + kind))
    .filter((e) => !text || JSON.stringify(e).toLowerCase().includes(text.toLowerCase()))
    .slice(-500)
    .reverse();
  return html`
    <${Page} title="Events" subtitle="What happens in the cluster, live.">
      <form class="filters" onSubmit=${(e) => e.preventDefault()} role="search">
        <input type="search" placeholder="Search…" value=${text}
          onInput=${(e) => setText(e.target.value)} aria-label="Search events" />
        <select value=${kind} onChange=${(e) => setKind(e.target.value)} aria-label="Kind">
          ${Object.entries(KINDS).map(([value, label]) => html`<option value=${value}>${label}</option>`)}
        </select>
      </form>
      <${Table}
        testid="events"
        rows=${shown}
        rowKey=${(e) => e.seq + "/" + e.timestamp}
        empty="No events yet: they appear here as they happen."
        columns=${[
          ["Time", (e) => html`<span title=${time(e.timestamp)}>${time(e.timestamp).slice(11)}</span>`],
          ["Event", (e) => html`<span class="event-type">${eventName(e.type)}</span>`],
          ["State", (e) => (e.status ? html`<${StateBadge} state=${e.status.state} />` : "")],
          ["Message", (e) => html`<span class="message">${e.message}</span>`],
          ["Age", (e) => html`<${Ago} at=${e.timestamp} />`],
        ]}
      />
    </${Page}>
  `;
}
