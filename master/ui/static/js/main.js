// The web UI: a navigation bar, and the page the address names. Each
// page is one component in pages/, found by its name below.
import { html, render } from "./html.js";
import { useRoute, match, href } from "./router.js";
import { useLiveState } from "./api.js";
import { OverviewPage } from "./pages/overview.js";
import { AgentsPage, AgentPage } from "./pages/agents.js";
import { FrameworksPage } from "./pages/frameworks.js";
import { TasksPage } from "./pages/tasks.js";
import { TaskPage } from "./pages/task.js";
import { OffersPage } from "./pages/offers.js";
import { EventsPage } from "./pages/events.js";
import { AppsPage, AppPage } from "./pages/apps.js";
import { JobsPage, JobPage, RunPage } from "./pages/jobs.js";
import { NotFoundPage } from "./pages/notfound.js";

// [pattern, component, label in the navigation (none: not listed)]
const ROUTES = [
  ["/", OverviewPage, "Overview"],
  ["/agents", AgentsPage, "Agents"],
  ["/agents/:id", AgentPage],
  ["/frameworks", FrameworksPage, "Frameworks"],
  ["/tasks", TasksPage, "Tasks"],
  ["/tasks/:id", TaskPage],
  ["/offers", OffersPage, "Offers"],
  ["/events", EventsPage, "Events"],
  ["/apps", AppsPage, "Apps"],
  ["/apps/:id", AppPage],
  ["/jobs", JobsPage, "Jobs"],
  ["/jobs/:name", JobPage],
  ["/runs/:id", RunPage],
];

function App() {
  const { path } = useRoute();
  let page = html`<${NotFoundPage} message=${`There is no page at ${path}.`} />`;
  for (const [pattern, Component] of ROUTES) {
    const params = match(pattern, path);
    if (params) {
      page = html`<${Component} ...${params} key=${path} />`;
      break;
    }
  }
  return html`
    <${NavBar} path=${path} />
    <main>${page}</main>
  `;
}

function NavBar({ path }) {
  const live = useLiveState();
  const section = "/" + path.split("/")[1];
  const current = (pattern) => pattern === section || (pattern === "/" && path === "/");
  return html`
    <nav class="navbar">
      <a class="brand" href="#/"><img src="ui/static/favicon.svg" alt="" /> offer</a>
      <ul>
        ${ROUTES.filter(([, , label]) => label).map(
          ([pattern, , label]) => html`
            <li><a href=${href(pattern)} aria-current=${current(pattern) ? "page" : undefined}>
              ${label}</a></li>
          `,
        )}
      </ul>
      <span class=${"live " + live} data-testid="live" title="Updates from the master's event stream">
        ${{ live: "live", connecting: "connecting…", reconnecting: "reconnecting…" }[live]}
      </span>
    </nav>
  `;
}

render(html`<${App} />`, document.getElementById("app"));
