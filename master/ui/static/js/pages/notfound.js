// What is shown for an address that names nothing: an unknown page, or a
// task, agent, app or job the master does not know.
import { html } from "../html.js";
import { Page, Link } from "../components.js";

export function NotFoundPage({ message, back }) {
  return html`
    <${Page} title="Not found">
      <div class="error-box" role="alert" data-testid="not-found">
        <strong>404</strong>
        <p>${message || "There is no page at this address."}</p>
      </div>
      <p>${back || html`<${Link} to="/">The cluster at a glance</${Link}>`}</p>
    </${Page}>
  `;
}
