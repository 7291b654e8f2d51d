// The master's JSON API (docs/ui.md) and its live event stream.
//
// One EventSource per page load follows /api/v1/events; every list on
// screen is a useApi() that reloads when an event concerning it arrives
// (and after a reconnection, when events may have been missed), so the
// pages stay current without reloading.
import { useEffect, useState } from "./html.js";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** GET an API path ("api/v1/tasks"); ApiError with the master's message. */
export async function getJson(path, options = {}) {
  let response;
  try {
    response = await fetch(path, { headers: { Accept: "application/json" }, ...options });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "UNREACHABLE", "the master does not answer: is offer-master running?");
  }
  const text = await response.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(response.status, "BAD_ANSWER", text.trim() || response.statusText);
  }
  if (!response.ok) {
    throw new ApiError(response.status, body.code || "", body.error || response.statusText);
  }
  return body;
}

// ------------------------------------------------------------ live events

// The stream starts with the last REPLAY events (the events page and the
// overview show them), then EVENT_CAUGHT_UP, then events as they happen.
const REPLAY = 200;
const KEEP = 1000;
const listeners = new Set();
const liveListeners = new Set();
let source = null;
let liveState = "connecting";
let recent = []; // oldest first
let replayed = [];
let lastSeq = 0;

function setLive(state) {
  liveState = state;
  for (const listener of liveListeners) listener(state);
}

/** After a (re)connection: the replayed events not seen yet join `recent`;
    all of them, if the master restarted meanwhile (its seq starts over). */
function caughtUp() {
  const newest = replayed.reduce((most, e) => Math.max(most, Number(e.seq)), 0);
  if (newest < lastSeq) recent = replayed;
  else recent = recent.concat(replayed.filter((e) => Number(e.seq) > lastSeq));
  lastSeq = Math.max(lastSeq, newest);
  replayed = null;
}

function connect() {
  if (source) return;
  source = new EventSource(`api/v1/events?replay=${REPLAY}`);
  source.onopen = () => (replayed = []);
  source.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "EVENT_CAUGHT_UP") {
      caughtUp();
      setLive("live");
    } else if (replayed !== null) {
      replayed.push(event);
      return;
    } else {
      if (event.seq !== "0") lastSeq = Number(event.seq);
      recent.push(event);
      if (recent.length > KEEP) recent = recent.slice(-KEEP);
    }
    for (const listener of listeners) listener(event);
  };
  // The browser reconnects by itself (the master says after 2 s).
  source.onerror = () => setLive("reconnecting");
}

/** The events seen, oldest first (the last REPLAY from before this page
    loaded, then every one since), re-rendered as new ones come. */
export function useRecentEvents() {
  const [, setCount] = useState(0);
  useEffect(() => {
    connect();
    const listener = () => setCount((n) => n + 1);
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, []);
  return recent;
}

/** Calls `listener(event)` for every cluster event while mounted. */
export function useEvents(listener, deps = []) {
  useEffect(() => {
    connect();
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, deps);
}

/** "connecting", "live" or "reconnecting". */
export function useLiveState() {
  const [state, setState] = useState(liveState);
  useEffect(() => {
    connect();
    liveListeners.add(setState);
    return () => liveListeners.delete(setState);
  }, []);
  return state;
}

// Which events change which lists (the offers and resource use change with
// no event: those lists also reload every few seconds).
export const concerns = {
  any: () => true,
  tasks: (e) => e.type === "EVENT_TASK_CHANGED",
  agents: (e) => e.type.startsWith("EVENT_AGENT_") || e.type === "EVENT_TASK_CHANGED",
  frameworks: (e) => e.type.startsWith("EVENT_FRAMEWORK_") || e.type === "EVENT_TASK_CHANGED",
  task: (id) => (e) => e.type === "EVENT_TASK_CHANGED" && e.status && e.status.task_id === id,
};

/**
 * An API answer kept current: {data, error, loading}. It reloads when an
 * event `when(event)` holds for arrives (at most every 300 ms), after the
 * stream reconnects, and every `every` seconds if given. The last data
 * stays on screen while it reloads, and when a reload fails.
 */
export function useApi(path, { when = null, every = 0 } = {}) {
  const [state, setState] = useState({ data: null, error: null, loading: true, path });
  useEffect(() => {
    let alive = true;
    let running = false;
    let again = false;
    let timer = null;
    setState({ data: null, error: null, loading: true, path });
    async function load() {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        const data = await getJson(path);
        if (alive) setState({ data, error: null, loading: false, path });
      } catch (error) {
        if (alive) setState((old) => ({ ...old, error, loading: false, path }));
      } finally {
        running = false;
        if (again && alive) {
          again = false;
          load();
        }
      }
    }
    function soon() {
      if (timer === null) timer = setTimeout(() => ((timer = null), load()), 300);
    }
    const listener = (event) => {
      if (event.type === "EVENT_CAUGHT_UP" || (when && when(event))) soon();
    };
    load();
    connect();
    listeners.add(listener);
    const interval = every ? setInterval(load, every * 1000) : null;
    return () => {
      alive = false;
      listeners.delete(listener);
      if (interval) clearInterval(interval);
      if (timer) clearTimeout(timer);
    };
  }, [path]);
  // A path just changed: what is held is the old page's.
  return state.path === path ? state : { data: null, error: null, loading: true, path };
}
