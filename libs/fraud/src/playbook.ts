import { Severity, SEVERITIES, severityRank } from './finding';

/**
 * What the worker may do on its own when an alert opens or escalates. Each is one audited change
 * (notify excepted, which changes nothing of ours) that an admin can undo.
 */
export const FRAUD_ACTIONS = [
  'notify',
  'raise-lock',
  'suspend-device',
  'hangup-calls',
  'rotate-credentials',
  'revoke-sessions',
] as const;
export type FraudAction = (typeof FRAUD_ACTIONS)[number];

/** Actions that act on one device; a tenant-wide finding skips them (raise-lock then locks the tenant). */
export const DEVICE_ACTIONS: readonly FraudAction[] = ['suspend-device', 'hangup-calls', 'rotate-credentials', 'revoke-sessions'];

/** Actions an admin can take back. Notify and hangup cannot be unsent or un-hung. */
export const UNDOABLE_ACTIONS: readonly FraudAction[] = ['raise-lock', 'suspend-device', 'rotate-credentials', 'revoke-sessions'];

export interface Playbook {
  /** Severity → actions, run in the order of FRAUD_ACTIONS whatever order they are listed in. */
  actions: Record<Severity, FraudAction[]>;
  /** The lock level raise-lock sets (1 no international, 2 internal only, 3 emergency only). */
  lockLevel: 1 | 2 | 3;
  /** Where notify POSTs; null: notify is skipped. */
  webhookUrl: string | null;
}

/**
 * Safe by default: a warning stops international calls and tells the tenant; a critical finding
 * (the pattern of a stolen credential) also cuts the device off, ends its calls, changes its
 * password and signs its owner out everywhere. Every step can be undone by an admin.
 */
export const DEFAULT_PLAYBOOK: Playbook = {
  actions: {
    info: ['notify'],
    warning: ['notify', 'raise-lock'],
    critical: ['notify', 'raise-lock', 'suspend-device', 'hangup-calls', 'rotate-credentials', 'revoke-sessions'],
  },
  lockLevel: 1,
  webhookUrl: null,
};

/**
 * The lock level raise-lock sets for an alert: the playbook's, or the level that stops what fired it
 * (its evidence's `lockToStop`: 2 for a walk through a domestic number range, which level 1, no
 * international, would let go on), whichever is higher.
 */
export function lockLevelFor(playbook: Playbook, details: Record<string, unknown>): 1 | 2 | 3 {
  const stop = details.lockToStop;
  const needed = stop === 2 || stop === 3 ? stop : 1;
  return needed > playbook.lockLevel ? needed : playbook.lockLevel;
}

export type FieldErrors = Record<string, string[]>;

const add = (errors: FieldErrors, field: string, message: string) => (errors[field] ??= []).push(message);

/**
 * Checks a playbook as the API receives it (snake_case JSON) and returns it typed, or the errors by
 * field. A webhook must be https (plain http only to loopback, for tests and local relays).
 */
export function parsePlaybook(body: unknown): { ok: true; playbook: Playbook } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, errors: { body: ['The body must be a JSON object.'] } };
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b))
    if (!['actions', 'lock_level', 'webhook_url'].includes(key)) add(errors, key, `The field ${key} is not allowed.`);
  const actions = {} as Record<Severity, FraudAction[]>;
  if (typeof b.actions !== 'object' || b.actions === null || Array.isArray(b.actions)) {
    add(errors, 'actions', 'The actions field is required: an object with info, warning and critical lists.');
  } else {
    const a = b.actions as Record<string, unknown>;
    for (const key of Object.keys(a))
      if (!(SEVERITIES as readonly string[]).includes(key)) add(errors, `actions.${key}`, `Unknown severity; allowed: ${SEVERITIES.join(', ')}.`);
    for (const s of SEVERITIES) {
      const list = a[s];
      if (!Array.isArray(list)) {
        add(errors, `actions.${s}`, `The actions.${s} field must be a list of actions.`);
        continue;
      }
      const bad = list.filter((x) => !(FRAUD_ACTIONS as readonly unknown[]).includes(x));
      if (bad.length) add(errors, `actions.${s}`, `Unknown action(s): ${bad.map(String).join(', ')}. Allowed: ${FRAUD_ACTIONS.join(', ')}.`);
      else if (new Set(list).size !== list.length) add(errors, `actions.${s}`, 'An action may be listed once.');
      else actions[s] = FRAUD_ACTIONS.filter((x) => list.includes(x));
    }
  }
  const lockLevel = b.lock_level === undefined ? DEFAULT_PLAYBOOK.lockLevel : b.lock_level;
  if (lockLevel !== 1 && lockLevel !== 2 && lockLevel !== 3) add(errors, 'lock_level', 'The lock_level must be 1, 2 or 3.');
  let webhookUrl: string | null = null;
  if (b.webhook_url !== undefined && b.webhook_url !== null) {
    const problem = webhookProblem(b.webhook_url);
    if (problem) add(errors, 'webhook_url', problem);
    else webhookUrl = b.webhook_url as string;
  }
  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, playbook: { actions, lockLevel: lockLevel as 1 | 2 | 3, webhookUrl } };
}

function webhookProblem(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 2000) return 'The webhook_url must be a URL of at most 2000 characters.';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'The webhook_url must be an absolute URL.';
  }
  if (url.username || url.password) return 'The webhook_url must not carry credentials; requests are signed instead.';
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    return 'The webhook_url must use https (http only to a loopback address).';
  return null;
}

/**
 * The actions an alert at `severity` calls for that have not been carried out for it yet: on an
 * escalation only the new ones run. Device actions are dropped for a tenant-wide alert, and notify
 * when there is no webhook.
 */
export function planActions(
  playbook: Playbook,
  severity: Severity,
  opts: { hasDevice: boolean; done: readonly string[] },
): FraudAction[] {
  return playbook.actions[severity].filter(
    (a) =>
      !opts.done.includes(a) &&
      (opts.hasDevice || !DEVICE_ACTIONS.includes(a)) &&
      (a !== 'notify' || playbook.webhookUrl !== null),
  );
}

export const higherSeverity = (a: Severity, b: Severity): Severity => (severityRank(b) > severityRank(a) ? b : a);
