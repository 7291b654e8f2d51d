// How numbers, times and states read on every page.

/** "TASK_RUNNING" -> "RUNNING", "EVENT_AGENT_ADDED" -> "AGENT ADDED". */
export const stateName = (state) => (state || "").replace(/^TASK_/, "");
export const eventName = (type) => (type || "").replace(/^EVENT_/, "").replaceAll("_", " ");

export const TASK_STATES = [
  "STAGING", "STARTING", "RUNNING", "KILLING", "FINISHED", "FAILED", "KILLED", "ERROR", "LOST",
];
const ENDED = new Set(["FINISHED", "FAILED", "KILLED", "ERROR", "LOST"]);
export const isLive = (state) => !ENDED.has(stateName(state));

export function cpus(value) {
  const n = Number(value || 0);
  return n === 0 ? "0" : n < 10 ? n.toFixed(2).replace(/\.?0+$/, "") : n.toFixed(1);
}

export function mem(mib) {
  const n = Number(mib || 0);
  if (n >= 1024) return (n / 1024).toFixed(n >= 10240 ? 0 : 1) + " GiB";
  return Math.round(n) + " MiB";
}

export const resources = (r) => (r ? `${cpus(r.cpus)} cpus · ${mem(r.mem)}` : "–");

export function percent(part, whole) {
  return whole > 0 ? Math.round((100 * part) / whole) + "%" : "–";
}

/** "2026-12-03 16:04:27" in the browser's time zone. */
export function time(seconds) {
  if (!seconds) return "–";
  const d = new Date(seconds * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** "3s", "4m", "2h", "5d": how long ago. */
export function age(seconds, now = Date.now() / 1000) {
  if (!seconds) return "–";
  const s = Math.max(0, now - seconds);
  if (s < 60) return Math.floor(s) + "s";
  if (s < 3600) return Math.floor(s / 60) + "m";
  if (s < 86400) return Math.floor(s / 3600) + "h";
  return Math.floor(s / 86400) + "d";
}

export function command(container) {
  const argv = (container && container.command) || [];
  return argv.join(" ");
}
