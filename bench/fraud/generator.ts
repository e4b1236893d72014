import type { CallEventJob } from '@pbx/common';
import { createPrng, randomDigits, randomInt } from '../../libs/policy/src/testing/prng';

/**
 * A labelled stream of call events: call-centre days for a few tenants (business-hours rhythm,
 * mostly domestic calls, some legitimate international callers, a legitimate campaign burst,
 * inbound customer calls), then attacks injected on the last day. Event times are the simulated
 * clock; the same seed gives the same stream.
 */
export const ATTACK_KINDS = ['premium-burst', 'slow-drip', 'wangiri', 'sequential', 'takeover'] as const;
export type AttackKind = (typeof ATTACK_KINDS)[number];

export interface AttackLabel {
  kind: AttackKind;
  tenantId: string;
  /** The attacked device; null for wangiri (aimed at the tenant's numbers). */
  deviceId: string | null;
  /** Simulated epoch ms of the first fraudulent event, and of the last. */
  start: number;
  end: number;
  /** Wangiri: the calling range, as the finding's topPrefix shows it ("+6757"). */
  range?: string;
  /** Wangiri: the first caller, and the event (its call.ended) after which a callback to it is refused. */
  callback?: { number: string; eventId: string; at: number };
}

export interface TenantSpec {
  id: string;
  slug: string;
  country: string;
  timezone: string;
  /** Hours from UTC during the simulated days (no DST change inside them). */
  utcOffset: number;
  devices: string[];
  dailyCap: number;
}

export interface Stream {
  tenants: TenantSpec[];
  events: CallEventJob[];
  attacks: AttackLabel[];
  /** The call ids of the attacks' calls (an attacked device also goes on with its owner's calls). */
  attackCalls: Set<string>;
  /** Devices never attacked: the denominator of false alerts. */
  legitimateDevices: number;
  /** Simulated start of the measured day (attacks happen in it). */
  measuredFrom: number;
  measuredTo: number;
}

export interface GeneratorOptions {
  seed: number;
  /** Devices per tenant, summed over four tenants. */
  devices?: number;
  /** Days of ordinary traffic before the measured day. */
  warmupDays?: number;
  attacksPerKind?: number;
}

const HOUR = 3_600_000;
const MIN = 60_000;
const DAY = 24 * HOUR;
/** Monday 2 March 2026 00:00 UTC: no DST change in the simulated days for any tenant zone. */
const EPOCH = Date.UTC(2026, 2, 2);

const TENANT_SHAPES = [
  { country: 'GB', timezone: 'Europe/London', utcOffset: 0, share: 0.375, domestic: ['4420794', '4416149', '4411749'], ip: '81.2' },
  { country: 'DE', timezone: 'Europe/Berlin', utcOffset: 1, share: 0.25, domestic: ['4930', '4989', '4940'], ip: '85.214' },
  { country: 'US', timezone: 'America/New_York', utcOffset: -5, share: 0.25, domestic: ['1212555', '1312555', '1415555'], ip: '98.137' },
  { country: 'FR', timezone: 'Europe/Paris', utcOffset: 1, share: 0.125, domestic: ['331', '334', '332'], ip: '90.84' },
] as const;
const NUMBER_LENGTH: Record<string, number> = { GB: 12, DE: 12, US: 11, FR: 11 };
/** Low-risk destinations legitimate international callers use. */
const LEGIT_ABROAD = ['1212', '4930', '3314', '3491', '3906', '3120', '9122', '4822', '3531', '1416', '4420', '4989'];
/** Risky destinations fraud pays out on: high-risk countries and premium / network ranges. */
const RISKY = ['53', '252', '232', '224', '370', '371', '675', '686', '676', '8816', '882', '979', '1900', '449', '1876'];
const WANGIRI_RANGES = ['8821', '2327', '6757', '5352', '37069', '2526'];
const TAKEOVER_COUNTRIES = [
  { cc: 'NG', ip: '102.89' },
  { cc: 'RO', ip: '5.2' },
  { cc: 'VN', ip: '113.161' },
  { cc: 'BR', ip: '177.36' },
  { cc: 'PK', ip: '39.32' },
  { cc: 'ID', ip: '36.66' },
];

function uuid(next: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function generate(options: GeneratorOptions): Stream {
  const next = createPrng(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)];
  // Whole milliseconds: event times go through ISO strings, and labels must equal them.
  const exp = (mean: number) => Math.round(-Math.log(1 - next()) * mean);
  const total = options.devices ?? 400;
  const warmup = options.warmupDays ?? 1;
  const perKind = options.attacksPerKind ?? 20;
  const events: CallEventJob[] = [];
  let seq = 0;
  const callId = () => `bench-${options.seed}-${++seq}@fraud`;
  // The SIP app's event id shape (tenant:call:type), which BullMQ accepts as a job id.

  const tenants: TenantSpec[] = TENANT_SHAPES.map((shape, i) => ({
    id: uuid(next),
    slug: `bench-fraud-${options.seed}-${i}`,
    country: shape.country,
    timezone: shape.timezone,
    utcOffset: shape.utcOffset,
    devices: Array.from({ length: Math.round(total * shape.share) }, () => uuid(next)),
    dailyCap: 1000,
  }));
  const shapeOf = (t: TenantSpec) => TENANT_SHAPES[tenants.indexOf(t)];
  const domesticNumber = (t: TenantSpec) => {
    const stem = pick(shapeOf(t).domestic);
    return `+${stem}${randomDigits(next, NUMBER_LENGTH[t.country] - stem.length)}`;
  };
  const localMs = (t: TenantSpec, day: number, hour: number) => Math.round(EPOCH + day * DAY + (hour - t.utcOffset) * HOUR);

  /** One call's events, as the SIP app publishes them. */
  function call(
    t: TenantSpec,
    spec: { at: number; device: string | null; direction: 'outbound' | 'inbound'; remote: string; ringS: number; talkS: number; perMinute: number; ip: string; cc: string },
  ): number {
    const id = callId();
    const base = {
      tenantId: t.id,
      callId: id,
      deviceId: spec.device,
      direction: spec.direction,
      fromNumber: spec.direction === 'inbound' ? spec.remote : '1001',
      toNumber: spec.direction === 'inbound' ? `+${shapeOf(t).domestic[0]}0000` : spec.remote,
      sourceIp: spec.ip,
      sourceCountry: spec.cc,
      startedAt: new Date(spec.at).toISOString(),
    } as const;
    const answeredAt = spec.talkS > 0 ? spec.at + spec.ringS * 1000 : null;
    const endedAt = spec.at + (spec.ringS + spec.talkS) * 1000;
    const iso = (ms: number) => new Date(ms).toISOString();
    events.push({ ...base, eventId: `${t.id}:${id}:call.started`, type: 'call.started', occurredAt: iso(spec.at), answeredAt: null });
    if (answeredAt !== null) events.push({ ...base, eventId: `${t.id}:${id}:call.answered`, type: 'call.answered', occurredAt: iso(answeredAt), answeredAt: iso(answeredAt) });
    events.push({
      ...base,
      eventId: `${t.id}:${id}:call.ended`,
      type: 'call.ended',
      occurredAt: iso(endedAt),
      answeredAt: answeredAt === null ? null : iso(answeredAt),
      endedAt: iso(endedAt),
      durationSeconds: spec.talkS,
      disposition: spec.talkS > 0 ? 'answered' : next() < 0.8 ? 'no_answer' : 'busy',
      cost: Math.round(((spec.talkS * spec.perMinute) / 60) * 10_000) / 10_000,
    });
    return endedAt;
  }
  const register = (t: TenantSpec, device: string, at: number, cc: string, ip: string) =>
    events.push({ eventId: `${t.id}:reg-${options.seed}-${++seq}:device.registered`, type: 'device.registered', tenantId: t.id, deviceId: device, sourceIp: ip, sourceCountry: cc, occurredAt: new Date(at).toISOString() });

  // Ordinary traffic: every device, every day, warm-up and measured.
  const days = warmup + 1;
  const campaign = { tenant: tenants[1], devices: new Set(tenants[1].devices.slice(0, Math.round(tenants[1].devices.length * 0.6))) };
  for (const t of tenants) {
    const shape = shapeOf(t);
    const intlCallers = new Set(t.devices.filter(() => next() < 0.08));
    const jmCallers = new Set(t.country === 'GB' ? t.devices.slice(-3) : []);
    const homeIps = new Map(t.devices.map((d) => [d, next() < 0.15 ? `${randomInt(next, 60, 95)}.${randomInt(next, 1, 250)}.${randomInt(next, 1, 250)}.${randomInt(next, 1, 250)}` : `${shape.ip}.${randomInt(next, 1, 250)}.${randomInt(next, 1, 250)}`]));
    for (let day = 0; day < days; day++) {
      for (const device of t.devices) {
        const ip = homeIps.get(device) as string;
        const shiftStart = localMs(t, day, 8 + next() * 1.0);
        const shiftEnd = localMs(t, day, 17 + next() * 1.2 + (next() < 0.03 ? 2.5 : 0));
        for (const h of [0, 4.5, 7]) register(t, device, shiftStart - 10 * MIN + h * HOUR, t.country, ip);
        let at = shiftStart;
        while (at < shiftEnd) {
          const hour = ((at - EPOCH) / HOUR + t.utcOffset) % 24;
          const inCampaign = t === campaign.tenant && campaign.devices.has(device) && day === days - 1 && hour >= 11 && hour < 12.5;
          if (hour >= 12 && hour < 13 && !inCampaign && next() < 0.7) {
            at += exp(15 * MIN);
            continue;
          }
          let remote = domesticNumber(t);
          let perMinute = 0.01;
          if (jmCallers.has(device) && next() < 0.2) {
            remote = `+1876${randomDigits(next, 7)}`;
            perMinute = 0.4;
          } else if (intlCallers.has(device) && next() < 0.3) {
            const stem = pick(LEGIT_ABROAD);
            remote = `+${stem}${randomDigits(next, 11 - stem.length)}`;
            perMinute = 0.05 + next() * 0.25;
          }
          const answered = next() < (inCampaign ? 0.4 : 0.65);
          const ringS = answered ? randomInt(next, 3, 15) : randomInt(next, 15, 30);
          const talkS = answered ? Math.round(Math.min(3600, exp(inCampaign ? 60 : 180)) + 5) : 0;
          const ended = call(t, { at, device, direction: 'outbound', remote, ringS, talkS, perMinute, ip, cc: t.country });
          at = ended + exp(inCampaign ? 0.5 * MIN : 5 * MIN);
        }
      }
      // Inbound customer calls through the tenant's trunk: business hours, a few from abroad, some missed.
      const inbound = Math.round(t.devices.length * 25);
      for (let i = 0; i < inbound; i++) {
        const at = localMs(t, day, 8 + next() * 10);
        const r = next();
        const remote = r < 0.95 ? domesticNumber(t) : r < 0.99 ? `+${pick(LEGIT_ABROAD)}${randomDigits(next, 7)}` : `+1876${randomDigits(next, 7)}`;
        const missed = next() < 0.12;
        call(t, { at, device: null, direction: 'inbound', remote, ringS: missed ? randomInt(next, 2, 25) : randomInt(next, 2, 10), talkS: missed ? 0 : Math.round(exp(200) + 10), perMinute: 0, ip: '192.0.2.10', cc: t.country });
      }
    }
  }

  // Attacks on the measured day, each on a device of its own; every call from here on is an attack's.
  const legitimateEvents = events.length;
  const measuredFrom = EPOCH + warmup * DAY;
  const attacks: AttackLabel[] = [];
  const used = new Set<string>();
  const victim = () => {
    for (;;) {
      const t = pick(tenants);
      const d = pick(t.devices);
      if (!used.has(d)) {
        used.add(d);
        return { t, d };
      }
    }
  };
  const attackerIp = () => `${randomInt(next, 100, 200)}.${randomInt(next, 1, 250)}.${randomInt(next, 1, 250)}.${randomInt(next, 1, 250)}`;
  const riskyNumber = (prefix = pick(RISKY)) => `+${prefix}${randomDigits(next, 10 - Math.min(prefix.length, 4))}`;
  for (let i = 0; i < perKind; i++) {
    {
      // Premium-rate burst from a stolen credential: mostly at night, some in the day, parallel long calls.
      const { t, d } = victim();
      const start = next() < 0.6 ? localMs(t, warmup, 1 + next() * 5) : localMs(t, warmup, 9 + next() * 8);
      const ip = attackerIp();
      let at = start;
      let end = start;
      for (let c = randomInt(next, 20, 60); c > 0; c--) {
        end = Math.max(end, call(t, { at, device: d, direction: 'outbound', remote: riskyNumber(), ringS: 3, talkS: randomInt(next, 600, 3600), perMinute: 1 + next() * 2, ip, cc: t.country }));
        at += randomInt(next, 2, 10) * 1000;
      }
      attacks.push({ kind: 'premium-burst', tenantId: t.id, deviceId: d, start, end });
    }
    {
      // Slow drip: one long call at a time to one risky country, spaced out, in business hours.
      const { t, d } = victim();
      const prefix = pick(RISKY);
      const start = localMs(t, warmup, 9 + next() * 4);
      let at = start;
      let end = start;
      for (let c = randomInt(next, 6, 14); c > 0; c--) {
        end = call(t, { at, device: d, direction: 'outbound', remote: riskyNumber(prefix), ringS: 4, talkS: randomInt(next, 1200, 2400), perMinute: 0.8 + next(), ip: `${shapeOf(t).ip}.${randomInt(next, 1, 250)}.${randomInt(next, 1, 250)}`, cc: t.country });
        at = end + randomInt(next, 5, 30) * MIN;
      }
      attacks.push({ kind: 'slow-drip', tenantId: t.id, deviceId: d, start, end });
    }
    {
      // Wangiri: one-ring calls to the tenant's numbers from one premium range.
      const t = pick(tenants);
      const range = pick(WANGIRI_RANGES);
      const start = localMs(t, warmup, next() * 24);
      let at = start;
      let callback: AttackLabel['callback'];
      for (let c = randomInt(next, 10, 40); c > 0; c--) {
        const remote = `+${range}${randomDigits(next, 11 - range.length)}`;
        const endedAt = call(t, { at, device: null, direction: 'inbound', remote, ringS: randomInt(next, 1, 3), talkS: 0, perMinute: 0, ip: '192.0.2.10', cc: t.country });
        callback ??= { number: remote, eventId: events[events.length - 1].eventId, at: endedAt };
        at += randomInt(next, 5, 25) * 1000;
      }
      attacks.push({ kind: 'wangiri', tenantId: t.id, deviceId: null, start, end: at, range: `+${range}`.slice(0, 5), callback });
    }
    {
      // Sequential dialling: a stolen credential walks a number range, most calls unanswered.
      const { t, d } = victim();
      const stem = next() < 0.5 ? pick(shapeOf(t).domestic) : pick(LEGIT_ABROAD);
      let n = Number(randomDigits(next, 11 - stem.length - 3) + '000');
      const start = localMs(t, warmup, next() * 24);
      const ip = attackerIp();
      let at = start;
      for (let c = randomInt(next, 30, 100); c > 0; c--) {
        const answered = next() < 0.1;
        call(t, { at, device: d, direction: 'outbound', remote: `+${stem}${String(n).padStart(11 - stem.length, '0')}`, ringS: randomInt(next, 1, 4), talkS: answered ? randomInt(next, 5, 20) : 0, perMinute: 0.05, ip, cc: t.country });
        n += next() < 0.85 ? 1 : 2;
        at += randomInt(next, 2, 8) * 1000;
      }
      attacks.push({ kind: 'sequential', tenantId: t.id, deviceId: d, start, end: at });
    }
    {
      // Takeover: the credential registers from another country, then calls from there.
      const { t, d } = victim();
      const from = pick(TAKEOVER_COUNTRIES);
      const ip = `${from.ip}.${randomInt(next, 1, 250)}.${randomInt(next, 1, 250)}`;
      const start = localMs(t, warmup, 10 + next() * 12);
      register(t, d, start, from.cc, ip);
      let at = start + randomInt(next, 2, 20) * MIN;
      for (let c = randomInt(next, 1, 5); c > 0; c--) {
        at = call(t, { at, device: d, direction: 'outbound', remote: domesticNumber(t), ringS: 5, talkS: randomInt(next, 30, 600), perMinute: 0.01, ip, cc: from.cc }) + MIN;
      }
      attacks.push({ kind: 'takeover', tenantId: t.id, deviceId: d, start, end: at });
    }
  }

  const attackCalls = new Set(events.slice(legitimateEvents).map((e) => e.callId as string));
  events.sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
  const devices = tenants.reduce((n, t) => n + t.devices.length, 0);
  return { tenants, events, attacks, attackCalls, legitimateDevices: devices - used.size, measuredFrom, measuredTo: measuredFrom + DAY };
}
