"""The master's web UI: pages in the browser, and the JSON API they read.

Everything is served from the master's HTTP port (master/http.py), beside
/metrics and /health. The JSON API is the Operator service's own answers
(the servicer called in-process, so the UI and offerctl show one truth) and
the frameworks' control APIs reached through the master; the pages are
static files (Preact and htm, vendored, no build step) under static/.
Read-only: nothing here changes the cluster. See docs/ui.md.
"""

from master.ui.flags import UiConfig, add_ui_flags, ui_config
from master.ui.routes import add_ui
from master.ui.tls import server_ssl_context

__all__ = ["UiConfig", "add_ui", "add_ui_flags", "server_ssl_context", "ui_config"]
