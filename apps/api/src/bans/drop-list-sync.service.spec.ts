import type { BansRepository } from '@pbx/database';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { DropListSync } from './drop-list-sync.service';
import type { InvalidationService } from '../redis/invalidation.service';

/** An in-memory stand-in for the SET and the few commands the sync uses. */
function fakeRedis(members: string[]) {
  const set = new Set(members);
  const published: string[] = [];
  const multi = () => {
    const ops: Array<() => number> = [];
    const chain = {
      sadd: (_k: string, ip: string) => (ops.push(() => (set.has(ip) ? 0 : (set.add(ip), 1))), chain),
      srem: (_k: string, ip: string) => (ops.push(() => (set.delete(ip) ? 1 : 0)), chain),
      publish: (_c: string, m: string) => (ops.push(() => (published.push(m), 1)), chain),
      exec: async () => ops.map((op) => [null, op()]),
    };
    return chain;
  };
  const redis = {
    multi,
    smismember: async (_k: string, ...ips: string[]) => ips.map((ip) => (set.has(ip) ? 1 : 0)),
    sscan: async () => ['0', [...set]],
    publish: async (_c: string, m: string) => (published.push(m), 1),
  };
  return { redis: redis as unknown as Redis, set, published };
}

function sync(members: string[], states: Record<string, boolean>, active: string[] = []) {
  const r = fakeRedis(members);
  let passes = 0;
  const bans = {
    platformBanStates: async (ips: string[]) =>
      new Map(ips.filter((ip) => ip in states).map((ip) => [ip, states[ip]] as const)),
    activePlatformIps: async () => {
      passes++;
      return active;
    },
  } as unknown as BansRepository;
  const logger = { info: jest.fn(), warn: jest.fn() } as unknown as Logger;
  const invalidation = { publish: jest.fn().mockResolvedValue(undefined) } as unknown as InvalidationService;
  return { ...r, sync: new DropListSync(bans, r.redis, logger, invalidation), passes: () => passes };
}

describe('DropListSync', () => {
  it('removes only addresses whose platform bans all ended, keeps active and unknown ones, restores missing', async () => {
    const s = sync(
      ['198.51.100.1', '198.51.100.2', '198.51.100.3'],
      { '198.51.100.1': false, '198.51.100.2': true },
      ['198.51.100.2', '198.51.100.4'],
    );
    expect(await s.sync.sweepAll()).toEqual(['198.51.100.1']);
    expect([...s.set].sort()).toEqual(['198.51.100.2', '198.51.100.3', '198.51.100.4']);
    expect(s.published).toContain(JSON.stringify({ op: 'remove', ip: '198.51.100.1' }));
    expect(s.published).toContain(JSON.stringify({ op: 'add', ip: '198.51.100.4' }));
  });

  it('never runs two passes at once, and a call during a pass gets a fresh pass after it', async () => {
    const s = sync([], {});
    const first = s.sync.sweepAll();
    const second = s.sync.sweepAll();
    const third = s.sync.sweepAll();
    expect(second).toBe(third);
    await Promise.all([first, second, third]);
    expect(s.passes()).toBe(2);
  });

  it('reconcile takes an address off only when no platform ban on it is active', async () => {
    const s = sync(['198.51.100.5', '198.51.100.6'], { '198.51.100.5': true, '198.51.100.6': false });
    await s.sync.reconcile('198.51.100.5');
    await s.sync.reconcile('198.51.100.6');
    expect([...s.set]).toEqual(['198.51.100.5']);
  });
});
