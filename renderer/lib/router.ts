/**
 * Hash routing (`#/experiments/3?tab=json`): the route table is data (renderer/routes.ts), matching is a pure
 * function so it is unit-tested, and part 2's views (compare, replays, knowledge bases) are new rows.
 */
export interface RouteDef<V = unknown> {
  /** "/experiments/:id": segments, `:name` captures one. */
  readonly pattern: string;
  readonly view: V;
  /** Window title for the route (params substituted by the view if it wants). */
  readonly title: string;
  /** Top-bar item highlighted on this route. */
  readonly nav?: string;
}

export interface RouteMatch<V = unknown> {
  readonly def: RouteDef<V>;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

/** Matches "#/a/b?x=1" (or "/a/b?x=1") against the table; null when nothing matches. */
export function matchRoute<V>(hash: string, routes: readonly RouteDef<V>[]): RouteMatch<V> | null {
  const raw = hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  const path = q >= 0 ? raw.slice(0, q) : raw;
  const query = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
  const segs = split(path);
  for (const def of routes) {
    const pat = split(def.pattern);
    if (pat.length !== segs.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pat.length && ok; i++) {
      if (pat[i].startsWith(':')) {
        try {
          params[pat[i].slice(1)] = decodeURIComponent(segs[i]);
        } catch {
          ok = false;
        }
      } else ok = pat[i] === segs[i];
    }
    if (ok) return { def, path, params, query };
  }
  return null;
}

/** "#/experiments/3" for ("/experiments/:id", { id: 3 }). */
export function href(pattern: string, params: Record<string, string | number> = {}, query?: Record<string, string | number>): string {
  const path = split(pattern)
    .map((s) => (s.startsWith(':') ? encodeURIComponent(String(params[s.slice(1)] ?? '')) : s))
    .join('/');
  const qs = query ? new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString() : '';
  return `#/${path}${qs ? `?${qs}` : ''}`;
}

/** A positive integer route parameter, or null. */
export function idParam(v: string | undefined): number | null {
  if (!v || !/^[1-9]\d*$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}
