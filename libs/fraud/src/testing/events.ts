import type { CallEventJob } from '@pbx/common/queues';
import { compilePolicy, type PolicyData } from '@pbx/policy';
import { fraudContextFromPolicy, type FraudContext } from '../context';
import { scoreEvent, toScoredEvent } from '../detectors';
import type { Finding } from '../finding';
import { emptyDeviceState, emptyTenantState, type ScoringState } from '../state';

export const TENANT = '00000000-0000-4000-8000-000000000001';
export const DEVICE = '00000000-0000-4000-8000-0000000000d1';
export const OTHER_DEVICE = '00000000-0000-4000-8000-0000000000d2';

export function testContext(overrides: Partial<PolicyData> = {}): FraudContext {
  return fraudContextFromPolicy(compilePolicy({ tenantId: TENANT, country: 'GB', timezone: 'Europe/London', lockLevel: 0, ...overrides }));
}

/** Monday 2 March 2026, 10:00 London (UTC in winter). */
export const MONDAY_10 = Date.UTC(2026, 2, 2, 10, 0, 0);
export const MIN = 60_000;

let seq = 0;
const id = (p: string) => `${p}-${++seq}`;

export interface CallSpec {
  at: number;
  to?: string;
  from?: string;
  device?: string | null;
  seconds?: number;
  answered?: boolean;
  cost?: number;
  direction?: 'outbound' | 'inbound';
  sourceCountry?: string;
  sourceIp?: string;
}

/** The call.started and call.ended events of one call, as the SIP app publishes them. */
export function call(spec: CallSpec): CallEventJob[] {
  const callId = id('call');
  const direction = spec.direction ?? 'outbound';
  const seconds = spec.seconds ?? 60;
  const answered = spec.answered ?? seconds > 0;
  const base = {
    tenantId: TENANT,
    callId,
    deviceId: spec.device === undefined ? DEVICE : spec.device,
    direction,
    fromNumber: spec.from ?? '1001',
    toNumber: spec.to ?? '+442079460000',
    sourceIp: spec.sourceIp ?? '81.2.69.160',
    sourceCountry: spec.sourceCountry ?? 'GB',
    startedAt: new Date(spec.at).toISOString(),
  };
  const end = spec.at + (answered ? seconds * 1000 + 5000 : 20_000);
  return [
    { ...base, eventId: `${callId}:call.started`, type: 'call.started', occurredAt: new Date(spec.at).toISOString() },
    {
      ...base,
      eventId: `${callId}:call.ended`,
      type: 'call.ended',
      occurredAt: new Date(end).toISOString(),
      answeredAt: answered ? new Date(spec.at + 5000).toISOString() : null,
      endedAt: new Date(end).toISOString(),
      durationSeconds: answered ? seconds : 0,
      disposition: answered ? 'answered' : 'no_answer',
      cost: spec.cost ?? 0,
    },
  ];
}

export function registration(at: number, sourceCountry: string, sourceIp: string, device = DEVICE): CallEventJob {
  return { eventId: id('reg'), type: 'device.registered', tenantId: TENANT, deviceId: device, sourceIp, sourceCountry, occurredAt: new Date(at).toISOString() };
}

/** Events in time order, as the queue would deliver them. */
export const inOrder = (events: CallEventJob[]): CallEventJob[] => events.sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));

export interface Run {
  findings: Finding[];
  states: Map<string, ScoringState>;
}

/** Scores events through the real detectors with in-memory state (per device, one tenant). */
export function score(events: CallEventJob[], ctx: FraudContext = testContext(), prior?: Run): Run {
  const devices = new Map(prior ? [...prior.states].map(([k, v]) => [k, v.device]) : []);
  let tenant = prior ? [...prior.states.values()][0]?.tenant ?? emptyTenantState() : emptyTenantState();
  const findings: Finding[] = [];
  for (const job of inOrder(events)) {
    const ev = toScoredEvent(job, ctx);
    const key = ev.deviceId ?? '';
    const device = ev.deviceId ? (devices.get(key) ?? emptyDeviceState()) : null;
    const r = scoreEvent(ev, ctx, { device, tenant });
    tenant = r.nextState.tenant;
    if (ev.deviceId) devices.set(key, r.nextState.device);
    findings.push(...r.findings);
  }
  const states = new Map<string, ScoringState>([...devices].map(([k, d]) => [k, { device: d, tenant }]));
  if (states.size === 0) states.set('', { device: null, tenant });
  return { findings, states };
}

/** A working week of ordinary domestic calls for the given devices: the history detectors learn from. */
export function ordinaryWeek(devices: string[], start = MONDAY_10 - 7 * 24 * 60 * MIN): CallEventJob[] {
  const out: CallEventJob[] = [];
  for (let day = 0; day < 5; day++) {
    for (const device of devices) {
      out.push(registration(start + day * 24 * 60 * MIN - 30 * MIN, 'GB', '81.2.69.160', device));
      for (let i = 0; i < 40; i++) {
        const at = start + day * 24 * 60 * MIN + i * 12 * MIN + (device.charCodeAt(device.length - 1) % 5) * 1000;
        out.push(...call({ at, device, to: `+44207946${String(1000 + ((i * 37) % 9000)).padStart(4, '0')}`, seconds: 90 + (i % 7) * 20, cost: 0.02 }));
      }
    }
  }
  return out;
}

export const kinds = (findings: Finding[]): string[] => [...new Set(findings.map((f) => f.kind))].sort();
