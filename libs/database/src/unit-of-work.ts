import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, EntityManager } from 'typeorm';

interface Scope {
  manager: EntityManager;
  afterCommit: Array<() => Promise<void>>;
}

const current = new AsyncLocalStorage<Scope>();

/**
 * The manager every repository call goes through: the ambient transaction's when the call runs
 * inside `transaction()`, else the DataSource's own. This is what lets a change and its audit
 * entry, written by different repositories, commit or roll back together.
 */
export function managerOf(ds: DataSource): EntityManager {
  return current.getStore()?.manager ?? ds.manager;
}

export function inTransaction(): boolean {
  return current.getStore() !== undefined;
}

/**
 * Runs `work` in one transaction that every repository call inside it joins. Nested calls become
 * savepoints of the outer transaction. `afterCommit` callbacks registered inside run once the
 * outermost transaction has committed, and never if it rolls back.
 */
export async function transaction<T>(ds: DataSource, work: (m: EntityManager) => Promise<T>): Promise<T> {
  const outer = current.getStore();
  const hooks: Array<() => Promise<void>> = [];
  const result = await (outer?.manager ?? ds.manager).transaction((m) =>
    current.run({ manager: m, afterCommit: hooks }, () => work(m)),
  );
  if (outer) outer.afterCommit.push(...hooks);
  else for (const hook of hooks) await hook();
  return result;
}

/**
 * Defers `fn` (a cache invalidation, a notification) until the ambient transaction commits, so
 * no one is told about a change that could still roll back. Outside a transaction it runs now.
 */
export async function afterCommit(fn: () => Promise<void>): Promise<void> {
  const scope = current.getStore();
  if (scope) scope.afterCommit.push(fn);
  else await fn();
}
