import { REDIS_PREFIX } from '@pbx/common';
import type { DeviceState, Finding, TenantState } from '@pbx/fraud';
import type Redis from 'ioredis';

/**
 * Fraud scoring state in Redis. Every key of a tenant carries its id as a hash tag, so one script
 * can touch them all (and a cluster keeps them on one slot):
 *
 * | key                                 | type   | content                                             |
 * | ----------------------------------- | ------ | --------------------------------------------------- |
 * | `pbx:fraud:{<tenant>}:t`            | HASH   | `v` version, `s` TenantState JSON; TTL STATE_TTL    |
 * | `pbx:fraud:{<tenant>}:d:<device>`   | HASH   | `v` version, `s` DeviceState JSON; TTL STATE_TTL    |
 * | `pbx:fraud:{<tenant>}:e:<eventId>`  | STRING | findings JSON of a scored event; TTL EVENT_TTL      |
 *
 * The states are bounded by the caps in libs/fraud/src/state.ts (lists, records and baselines of
 * fixed size), so a device's state stays a few kilobytes whatever it does.
 */
export const FRAUD_PREFIX = `${REDIS_PREFIX}fraud:`;
export const FraudKeys = {
  tenant: (tenantId: string) => `${FRAUD_PREFIX}{${tenantId}}:t`,
  device: (tenantId: string, deviceId: string) => `${FRAUD_PREFIX}{${tenantId}}:d:${deviceId}`,
  event: (tenantId: string, eventId: string) => `${FRAUD_PREFIX}{${tenantId}}:e:${eventId}`,
  tenantPattern: (tenantId: string) => `${FRAUD_PREFIX}{${tenantId}}:*`,
} as const;

/** A device or tenant silent this long starts again from a cold baseline. */
export const STATE_TTL_MS = 30 * 86_400_000;
/** How long a scored event is remembered, so a retried job (BullMQ retries within minutes) is not counted twice. */
export const EVENT_TTL_MS = 86_400_000;

export interface Versioned<T> {
  version: number;
  state: T | null;
}

export interface LoadedState {
  tenant: Versioned<TenantState>;
  devices: Map<string, Versioned<DeviceState>>;
  /** Events already scored, with the findings they produced. */
  done: Map<string, Finding[]>;
}

export interface StateWrite {
  tenant: { version: number; state: TenantState };
  devices: Array<{ deviceId: string; version: number; state: DeviceState }>;
  events: Array<{ eventId: string; findings: Finding[] }>;
}

/**
 * Optimistic commit: writes the states only if each version is still the one read and no event of
 * the batch has been scored meanwhile, and marks the events scored in the same step. 1 written,
 * 0 a state changed, -1 an event was already scored: the caller reloads and scores again.
 */
const COMMIT = `
local nd = tonumber(ARGV[1])
local ne = #KEYS - 1 - nd
for i = 1, 1 + nd do
  local v = redis.call('HGET', KEYS[i], 'v')
  if (v or '0') ~= ARGV[2 + 2 * i] then return 0 end
end
for j = 1, ne do
  if redis.call('EXISTS', KEYS[1 + nd + j]) == 1 then return -1 end
end
for i = 1, 1 + nd do
  redis.call('HSET', KEYS[i], 'v', tonumber(ARGV[2 + 2 * i]) + 1, 's', ARGV[3 + 2 * i])
  redis.call('PEXPIRE', KEYS[i], ARGV[2])
end
for j = 1, ne do
  redis.call('SET', KEYS[1 + nd + j], ARGV[3 + 2 * (nd + 1) + j], 'PX', ARGV[3])
end
return 1
`;

type Pipe = [Error | null, unknown][] | null;

function parseVersioned<T>(value: unknown): Versioned<T> {
  const [v, s] = (value ?? [null, null]) as [string | null, string | null];
  return { version: v ? Number(v) : 0, state: s ? (JSON.parse(s) as T) : null };
}

export class FraudStateStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttl = { stateMs: STATE_TTL_MS, eventMs: EVENT_TTL_MS },
  ) {
    if (!('fraudCommit' in this.redis)) this.redis.defineCommand('fraudCommit', { lua: COMMIT });
  }

  /** One round trip: the tenant's state, each device's, and which events are already scored. */
  async load(tenantId: string, deviceIds: readonly string[], eventIds: readonly string[]): Promise<LoadedState> {
    const p = this.redis.pipeline();
    p.hmget(FraudKeys.tenant(tenantId), 'v', 's');
    for (const d of deviceIds) p.hmget(FraudKeys.device(tenantId, d), 'v', 's');
    p.mget(...eventIds.map((e) => FraudKeys.event(tenantId, e)));
    const r = (await p.exec()) as Pipe;
    const at = (i: number) => {
      const entry = r?.[i];
      if (!entry) throw new Error('fraud state: missing pipeline result');
      if (entry[0]) throw entry[0];
      return entry[1];
    };
    const devices = new Map<string, Versioned<DeviceState>>();
    deviceIds.forEach((d, i) => devices.set(d, parseVersioned<DeviceState>(at(i + 1))));
    const done = new Map<string, Finding[]>();
    (at(deviceIds.length + 1) as Array<string | null>).forEach((v, i) => {
      if (v !== null) done.set(eventIds[i], JSON.parse(v) as Finding[]);
    });
    return { tenant: parseVersioned<TenantState>(at(0)), devices, done };
  }

  async commit(tenantId: string, write: StateWrite): Promise<0 | 1 | -1> {
    const keys = [
      FraudKeys.tenant(tenantId),
      ...write.devices.map((d) => FraudKeys.device(tenantId, d.deviceId)),
      ...write.events.map((e) => FraudKeys.event(tenantId, e.eventId)),
    ];
    const args: Array<string | number> = [write.devices.length, this.ttl.stateMs, this.ttl.eventMs, write.tenant.version, JSON.stringify(write.tenant.state)];
    for (const d of write.devices) args.push(d.version, JSON.stringify(d.state));
    for (const e of write.events) args.push(JSON.stringify(e.findings));
    const commit = (this.redis as unknown as { fraudCommit(n: number, ...a: Array<string | number>): Promise<number> }).fraudCommit;
    return (await commit.call(this.redis, keys.length, ...keys, ...args)) as 0 | 1 | -1;
  }
}
