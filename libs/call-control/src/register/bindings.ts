import type { ContactList } from './contact-header';

/** Where the phone is and how to reach it: one row of the location service (RFC 3261 §10.3). */
export interface Binding {
  /** Identifies the binding: `instance|reg-id` for RFC 5626 phones, else the contact URI. */
  key: string;
  contact: string;
  expiresAt: number;
  registeredAt: number;
  callId: string;
  cseq: number;
  instanceId?: string;
  regId?: number;
  /** Path header values in order (RFC 3327); requests to the phone take this route. */
  path: string[];
  sourceIp: string;
  sourcePort: number;
  transport: string;
  /** The drachtio server (edge) whose connection holds the registration. */
  edge: string | null;
  userAgent: string | null;
}

export interface ExpiresLimits {
  min: number;
  max: number;
  default: number;
}

export interface RegisterChange {
  existing: readonly Binding[];
  contacts: ContactList;
  /** The Expires header, when present. */
  expiresHeader?: number;
  callId: string;
  cseq: number;
  now: number;
  limits: ExpiresLimits;
  maxBindings: number;
  /** Everything a new binding records about the request besides its contact. */
  origin: Pick<Binding, 'path' | 'sourceIp' | 'sourcePort' | 'transport' | 'edge' | 'userAgent'>;
}

export type RegisterOutcome =
  | { kind: 'reject'; status: 400 | 423; reason: string; minExpires?: number }
  | {
      kind: 'apply';
      /** Bindings to write (new or refreshed). */
      upserts: Binding[];
      /** Keys to delete: unregistered, expired, evicted. */
      removals: string[];
      /** Keys evicted because the device is at its limit (a subset of removals). */
      evicted: string[];
      /** Every live binding after the change: what the 200 lists. */
      bindings: Binding[];
    };

export function bindingKey(c: { uri: string; instanceId?: string; regId?: number }): string {
  if (c.instanceId) return `${c.instanceId}|${c.regId ?? ''}`;
  return c.uri;
}

/**
 * Applies one REGISTER to a device's bindings (RFC 3261 §10.3 steps 6–8, RFC 5626 §6). Pure: the
 * caller reads the bindings, calls this, writes the result. A phone that re-registers with the same
 * +sip.instance and reg-id replaces its old binding whatever its new contact; past the device's
 * limit the oldest other bindings are evicted, so a rebooted phone is never locked out by its own
 * stale registrations.
 */
export function applyRegister(r: RegisterChange): RegisterOutcome {
  const live = new Map(r.existing.filter((b) => b.expiresAt > r.now).map((b) => [b.key, b]));
  const removals = new Set(r.existing.filter((b) => b.expiresAt <= r.now).map((b) => b.key));

  if (r.contacts.kind === 'star') {
    if (r.expiresHeader !== 0) return { kind: 'reject', status: 400, reason: 'Contact * requires Expires: 0' };
    for (const key of live.keys()) removals.add(key);
    return { kind: 'apply', upserts: [], removals: [...removals], evicted: [], bindings: [] };
  }

  const upserts: Binding[] = [];
  for (const c of r.contacts.contacts) {
    const key = bindingKey(c);
    const prior = live.get(key);
    // RFC 3261 §10.3 step 7: an older request of the same registration must not undo a newer one.
    if (prior && prior.callId === r.callId && r.cseq <= prior.cseq) continue;
    const requested = c.expires ?? r.expiresHeader ?? r.limits.default;
    if (requested === 0) {
      if (prior) {
        live.delete(key);
        removals.add(key);
      }
      continue;
    }
    if (requested < r.limits.min)
      return { kind: 'reject', status: 423, reason: 'Interval Too Brief', minExpires: r.limits.min };
    const expires = Math.min(requested, r.limits.max);
    const b: Binding = {
      key,
      contact: c.uri,
      expiresAt: r.now + expires * 1000,
      registeredAt: prior?.registeredAt ?? r.now,
      callId: r.callId,
      cseq: r.cseq,
      ...(c.instanceId ? { instanceId: c.instanceId } : {}),
      ...(c.regId !== undefined ? { regId: c.regId } : {}),
      ...r.origin,
    };
    live.set(key, b);
    removals.delete(key);
    upserts.push(b);
  }

  const evicted: string[] = [];
  if (live.size > r.maxBindings) {
    const touched = new Set(upserts.map((b) => b.key));
    const candidates = [...live.values()].sort(
      (a, b) => Number(touched.has(a.key)) - Number(touched.has(b.key)) || a.registeredAt - b.registeredAt,
    );
    for (const b of candidates.slice(0, live.size - r.maxBindings)) {
      live.delete(b.key);
      removals.add(b.key);
      evicted.push(b.key);
    }
  }
  const kept = new Set(live.keys());
  return {
    kind: 'apply',
    upserts: upserts.filter((b) => kept.has(b.key)),
    removals: [...removals],
    evicted,
    bindings: [...live.values()],
  };
}

/** The Contact header of a 200 to REGISTER: every binding with its remaining life (RFC 3261 §10.3 step 8). */
export function contactHeaderOf(bindings: readonly Binding[], now: number): string | undefined {
  if (bindings.length === 0) return undefined;
  return bindings
    .map((b) => {
      let v = `<${b.contact}>;expires=${Math.max(0, Math.round((b.expiresAt - now) / 1000))}`;
      // RFC 5626 §6: the phone finds its own flow again by these.
      if (b.instanceId) v += `;+sip.instance="${b.instanceId.replace(/"/g, '')}"`;
      if (b.regId !== undefined) v += `;reg-id=${b.regId}`;
      return v;
    })
    .join(', ');
}
