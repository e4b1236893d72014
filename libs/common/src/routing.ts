/** An outbound route as the selection needs it: a prefix of the E.164 number ('' matches all). */
export interface RouteCandidate {
  id: string;
  prefix: string;
  priority: number;
  trunkId: string;
}

/** '+44' and '44' name the same numbers: prefixes compare on digits only. */
function digits(prefix: string): string {
  return prefix.startsWith('+') ? prefix.slice(1) : prefix;
}

/**
 * The routes that may carry a call to `e164`, best first: longest matching prefix, then lower
 * priority; ties keep their input order (Array.prototype.sort is stable), so a caller that sorts
 * its input (e.g. by name) gets a deterministic answer.
 */
export function selectRoutes<R extends RouteCandidate>(routes: readonly R[], e164: string): R[] {
  const number = digits(e164);
  return routes
    .filter((r) => number.startsWith(digits(r.prefix)))
    .sort((a, b) => digits(b.prefix).length - digits(a.prefix).length || a.priority - b.priority);
}
