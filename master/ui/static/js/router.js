// A hash router: "#/tasks/web-1?framework_id=..." is the page and its
// arguments, so every page is a link that can be shared, reloaded and
// bookmarked, and the master serves one HTML page for all of them.
import { useEffect, useState } from "./html.js";

const CHANGED = "offer:route";

/** The current route: {path, query (URLSearchParams)}. */
export function currentRoute() {
  const hash = decodeURI(location.hash.replace(/^#/, "")) || "/";
  const [path, search = ""] = hash.split("?");
  return { path, query: new URLSearchParams(search) };
}

/** The route, re-rendered whenever it changes. */
export function useRoute() {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    addEventListener("hashchange", update);
    addEventListener(CHANGED, update);
    return () => {
      removeEventListener("hashchange", update);
      removeEventListener(CHANGED, update);
    };
  }, []);
  return route;
}

/** "#/path?k=v" for a path and query values (empty values left out). */
export function href(path, query = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) search.set(key, value);
  const tail = search.toString();
  return "#" + path.split("/").map(encodeURIComponent).join("/") + (tail ? "?" + tail : "");
}

/** Changes the query of the current page without a new history entry
    (filters as they are typed). */
export function replaceQuery(query) {
  history.replaceState(null, "", href(currentRoute().path, query));
  dispatchEvent(new Event(CHANGED));
}

/** Matches a path against patterns such as "/tasks/:id": the params, or null. */
export function match(pattern, path) {
  const want = pattern.split("/");
  const got = path.split("/");
  if (want.length !== got.length) return null;
  const params = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(":")) params[want[i].slice(1)] = decodeURIComponent(got[i]);
    else if (want[i] !== got[i]) return null;
  }
  return params;
}
