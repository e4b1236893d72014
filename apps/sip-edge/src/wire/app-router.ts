import type { AppConnection } from './app-connection';

/**
 * Which app connection gets a new out-of-dialog request: one round-robin offset per verb over every
 * connection that routed it, like drachtio-server's selectClientForRequestOutsideDialog (§7).
 * Verbs are matched lower-case; `remove_route` drops every verb of the connection [T13].
 */
export class AppRouter {
  private readonly routes = new Map<string, AppConnection[]>();
  private readonly offsets = new Map<string, number>();

  add(conn: AppConnection, verb: string): void {
    const list = this.routes.get(verb) ?? [];
    if (!list.includes(conn)) list.push(conn);
    this.routes.set(verb, list);
  }

  removeConnection(conn: AppConnection): void {
    for (const [verb, list] of this.routes) {
      const next = list.filter((c) => c !== conn);
      if (next.length) this.routes.set(verb, next);
      else this.routes.delete(verb);
    }
  }

  /** Next connection for the verb in turn; `accept` can pass over one that is overloaded. */
  select(verb: string, accept?: (conn: AppConnection) => boolean): AppConnection | undefined {
    const list = this.routes.get(verb.toLowerCase());
    if (!list || list.length === 0) return undefined;
    const start = this.offsets.get(verb) ?? 0;
    for (let i = 0; i < list.length; i++) {
      const conn = list[(start + i) % list.length];
      if (accept && !accept(conn)) continue;
      this.offsets.set(verb, start + i + 1);
      return conn;
    }
    return undefined;
  }

  /** Every connection that routed a verb, e.g. all receivers of `cdr:start`. */
  all(verb: string): readonly AppConnection[] {
    return this.routes.get(verb) ?? [];
  }
}
