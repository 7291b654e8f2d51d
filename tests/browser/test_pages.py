"""The web UI in a real browser (Debian's chromium, driven by Playwright)
against a real cluster: every page loads, lists keep current without a
reload, the task filters work, a task's logs show its output, and the apps
and jobs of offer-service and offer-batch are there. The pages the README
and docs/ui.md show are photographed on the way (into docs/screenshots/ by
`make screenshots`)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.support import HELLO_LINE, WEB_LINE, UiCluster, until_task

PAGES = {
    "/": "Cluster",
    "/agents": "Agents",
    "/frameworks": "Frameworks",
    "/tasks": "Tasks",
    "/offers": "Offers",
    "/events": "Events",
    "/apps": "Apps",
    "/jobs": "Jobs",
}


@pytest.fixture
def ui_page(page: Page, ui_cluster: UiCluster) -> Iterator[Page]:
    """A page of the cluster's UI that fails the test on any script error."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Shown with a failure's captured output (404s of unknown ids are expected).
    page.on("console", lambda message: print(f"browser console: {message.type}: {message.text}"))
    yield page
    assert errors == [], f"script errors in the page: {errors}"


def open_page(page: Page, ui: UiCluster, route: str) -> None:
    page.goto(f"{ui.url}/#{route}")
    expect(page.get_by_test_id("live")).to_have_text("live")


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def test_every_page_loads(ui_page: Page, ui_cluster: UiCluster) -> None:
    for route, title in PAGES.items():
        open_page(ui_page, ui_cluster, route)
        expect(ui_page.locator("h1")).to_have_text(title)
        expect(ui_page.locator("nav a[aria-current=page]")).to_have_count(1)
        expect(ui_page.get_by_test_id("error")).to_have_count(0)
    open_page(ui_page, ui_cluster, "/")
    expect(ui_page.get_by_test_id("stat-agents")).to_contain_text("2")
    expect(ui_page.get_by_test_id("roles")).to_contain_text("prod")
    expect(ui_page.get_by_test_id("roles")).to_contain_text("batch")
    expect(ui_page.get_by_test_id("agents-summary").locator("tbody tr")).to_have_count(2)
    expect(ui_page.get_by_test_id("task-states")).to_contain_text("RUNNING")
    screenshot(ui_page, "overview")
    # The agents' live tasks, asked of the master by state: web 2, cache 2.
    open_page(ui_page, ui_cluster, "/agents")
    live = ui_page.get_by_test_id("agents").locator("tbody tr td:nth-child(4)")
    expect(live).to_have_count(2)
    ui_page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=agents] tbody tr td:nth-child(4)')]"
        ".reduce((n, td) => n + Number(td.textContent), 0) === 4"
    )


def test_a_task_launched_after_the_page_opened_appears_without_a_reload(
    ui_page: Page, ui_cluster: UiCluster
) -> None:
    open_page(ui_page, ui_cluster, "/tasks")
    tasks = ui_page.get_by_test_id("tasks")
    expect(tasks.get_by_role("link", name=re.compile(r"^hello-"))).not_to_have_count(0)
    known = {t["task_id"] for t in ui_cluster.json("/api/v1/tasks")["tasks"]}
    ui_page.evaluate("window.notReloaded = true")
    # --wait: the run is over before the next test looks at the job.
    started = ui_cluster.cluster.job("run", "hello", "--wait")
    assert started.returncode == 0, started.stdout + started.stderr
    new = until_task(ui_cluster, lambda t: t["task_id"] not in known, "a task of the new run")
    expect(tasks.get_by_role("link", name=new["task_id"], exact=True)).to_be_visible()
    assert ui_page.evaluate("window.notReloaded") is True


def test_filters(ui_page: Page, ui_cluster: UiCluster) -> None:
    open_page(ui_page, ui_cluster, "/tasks")
    rows = ui_page.get_by_test_id("tasks").locator("tbody tr")
    expect(rows.filter(has_text="RUNNING")).to_have_count(4)  # web 2, cache 2
    ui_page.get_by_test_id("filter-state").select_option("FINISHED")
    expect(rows.filter(has_text="RUNNING")).to_have_count(0)
    expect(rows.filter(has_text="FINISHED")).not_to_have_count(0)
    assert "state=FINISHED" in ui_page.url
    ui_page.get_by_test_id("filter-state").select_option("")
    ui_page.get_by_test_id("filter-framework").select_option(label="offer-service")
    expect(rows).to_have_count(4)
    expect(rows.filter(has_text="offer-batch")).to_have_count(0)
    ui_page.get_by_test_id("filter-framework").select_option("")
    agent = ui_cluster.cluster.agents[0].agent_id
    ui_page.get_by_test_id("filter-agent").select_option(agent)
    expect(rows.filter(has_text="host1")).to_have_count(0)
    ui_page.get_by_test_id("filter-agent").select_option("")
    ui_page.get_by_test_id("filter-text").fill("hello from offer-batch")
    expect(rows.filter(has_text="web.")).to_have_count(0)
    expect(rows.first).to_contain_text("hello-")
    ui_page.get_by_test_id("filter-text").fill("no task is called this")
    expect(ui_page.get_by_test_id("tasks")).to_have_text("No task matches these filters.")
    ui_page.get_by_role("button", name="Clear").click()
    expect(rows.filter(has_text="RUNNING")).to_have_count(4)
    screenshot(ui_page, "tasks")


def test_a_tasks_page_shows_its_history_and_its_logs(ui_page: Page, ui_cluster: UiCluster) -> None:
    task = until_task(ui_cluster, lambda t: t["task_id"].startswith("hello-1."), "a task of hello")
    open_page(ui_page, ui_cluster, "/tasks")
    ui_page.get_by_role("link", name=task["task_id"], exact=True).click()
    expect(ui_page.locator("h1")).to_have_text(f"Task {task['task_id']}")
    expect(ui_page.get_by_test_id("history").locator("tbody tr")).to_have_count(4)
    expect(ui_page.get_by_test_id("task-state")).to_have_text("FINISHED")
    expect(ui_page.get_by_test_id("logs")).to_contain_text(HELLO_LINE)
    screenshot(ui_page, "task")


def test_a_running_tasks_logs_are_followed(ui_page: Page, ui_cluster: UiCluster) -> None:
    web = until_task(ui_cluster, lambda t: t["task_id"].startswith("web."), "an instance of web")
    open_page(ui_page, ui_cluster, f"/tasks/{web['task_id']}")
    expect(ui_page.get_by_test_id("task-state")).to_have_text("RUNNING")
    expect(ui_page.get_by_test_id("logs")).to_contain_text(WEB_LINE)
    expect(ui_page.get_by_text("following…")).to_be_visible()


def test_an_unknown_task_is_a_404_page(ui_page: Page, ui_cluster: UiCluster) -> None:
    open_page(ui_page, ui_cluster, "/tasks/no-such-task")
    expect(ui_page.get_by_test_id("not-found")).to_contain_text("no task 'no-such-task' is known")
    open_page(ui_page, ui_cluster, "/no/such/page")
    expect(ui_page.get_by_test_id("not-found")).to_contain_text("There is no page at /no/such/page")


def test_apps_and_jobs_of_the_frameworks(ui_page: Page, ui_cluster: UiCluster) -> None:
    open_page(ui_page, ui_cluster, "/apps")
    app = ui_page.get_by_test_id("apps").locator("tbody tr").filter(has_text="web")
    expect(app).to_contain_text("2 / 2")
    cache = ui_page.get_by_test_id("apps").locator("tbody tr").filter(has_text="cache")
    expect(cache).to_contain_text("2 / 3")
    expect(cache).to_contain_text("UNIQUE hostname")  # why the third instance is missing
    screenshot(ui_page, "apps")
    app.get_by_role("link", name="web").click()
    expect(ui_page.locator("h1")).to_have_text("App web")
    expect(ui_page.get_by_test_id("instances").locator("tbody tr")).to_have_count(2)
    open_page(ui_page, ui_cluster, "/jobs")
    job = ui_page.get_by_test_id("jobs").locator("tbody tr").filter(has_text="hello")
    expect(job).to_contain_text("SUCCEEDED")
    screenshot(ui_page, "jobs")
    job.get_by_role("link", name="hello", exact=True).click()
    expect(ui_page.locator("h1")).to_have_text("Job hello")
    run = ui_cluster.seeded["run_id"]
    ui_page.get_by_test_id("runs").get_by_role("link", name=run, exact=True).click()
    expect(ui_page.locator("h1")).to_have_text(f"Run {run}")
    run_tasks = ui_page.get_by_test_id("run-tasks").locator("tbody tr")
    expect(run_tasks).to_have_count(2)
    run_tasks.first.get_by_role("link").click()
    expect(ui_page.get_by_test_id("logs")).to_contain_text(HELLO_LINE)
