/**
 * A router of a few lines: the location as state, links that push history, and the page's query
 * string as the store of filters and sorting (so they survive a reload and can be shared).
 */
import { useEffect, useState } from 'preact/hooks';

export const BASE = '/ui';

type Listener = () => void;
const listeners = new Set<Listener>();
const notify = (): void => listeners.forEach((l) => l());
window.addEventListener('popstate', notify);

export interface Location {
  /** The path below /ui, starting with `/`. */
  path: string;
  query: URLSearchParams;
}

function current(): Location {
  const full = window.location.pathname;
  const path = full.startsWith(BASE) ? full.slice(BASE.length) || '/' : full;
  return { path, query: new URLSearchParams(window.location.search) };
}

/** The href of a path below /ui. */
export const href = (path: string): string => `${BASE}${path}`;

export function navigate(to: string, replace = false): void {
  const url = to.startsWith(BASE) ? to : href(to);
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  notify();
  // A new page: keyboard and screen-reader users continue from its content, not the old link.
  if (!replace) setTimeout(() => document.getElementById('main')?.focus({ preventScroll: true }));
}

/** Sets (or, with '' or undefined, removes) query parameters of the current page in place. */
export function setQuery(params: Record<string, string | undefined>): void {
  const { path, query } = current();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === '') query.delete(k);
    else query.set(k, v);
  }
  const s = query.toString();
  navigate(`${path}${s ? `?${s}` : ''}`, true);
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const l = (): void => setLoc(current());
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return loc;
}

/** Matches `pattern` (`/jobs/:id`) against `path`; the params are URI-decoded. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  // Trailing slashes do not count, on either side: `/ui/` is the root page `/`.
  const parts = (x: string): string[] => x.replace(/\/+$/, '').split('/');
  const p = parts(pattern);
  const s = parts(path);
  if (p.length !== s.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const want = p[i]!;
    const got = s[i]!;
    if (want.startsWith(':')) params[want.slice(1)] = decodeURIComponent(got);
    else if (want !== got) return undefined;
  }
  return params;
}

/** Clicks on in-app links change the page without a reload (modified clicks open a tab). */
export function interceptLinks(): void {
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey)
      return;
    const a = (e.target as Element | null)?.closest?.('a');
    if (!a || a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, window.location.href);
    if (url.origin !== window.location.origin || !url.pathname.startsWith(BASE)) return;
    e.preventDefault();
    navigate(url.pathname + url.search);
    window.scrollTo(0, 0);
  });
}
