import type { DigestAuthenticator } from '../digest/digest-authenticator';
import { admit, type AccountProfile } from './admission';
import { applyRegister, contactHeaderOf, type Binding, type ExpiresLimits } from './bindings';
import { parseAddress, parseContactHeader } from './contact-header';
import type { AccountDirectory, DeviceAccount, Enforcer, LocationStore } from './register.ports';

/** A REGISTER as plain data: what the SIP adapter reads off the request. */
export interface RegisterCommand {
  requestUri: string;
  from?: string;
  to?: string;
  callId: string;
  cseq: number;
  contact?: string;
  expires?: string;
  authorization?: string;
  userAgent?: string;
  path: string[];
  supported: string[];
  sourceIp: string;
  sourcePort: number;
  transport: string;
  edge: string | null;
  sourceCountry?: string;
  now: number;
}

/** Why the request ended as it did: a metrics label and a log line, never a secret. */
export type RegisterOutcomeLabel =
  | 'registered'
  | 'unregistered'
  | 'queried'
  | 'challenged'
  | 'stale'
  | 'refused'
  | 'failed'
  | 'replayed'
  | 'invalid';

export interface SipReply {
  status: number;
  reason: string;
  headers: Record<string, string>;
  /** WWW-Authenticate values, one header each. */
  challenges?: string[];
  outcome: RegisterOutcomeLabel;
  /** For the log: why, in words an operator can act on. */
  why: string;
  tenantId?: string;
  deviceId?: string;
}

export interface RegistrarSettings {
  expires: ExpiresLimits;
}

/** Accounts that do not exist are checked against this profile: the defaults every new device gets. */
export const PHANTOM_PROFILE: AccountProfile = {
  status: 'active',
  transports: ['tls', 'wss'],
  allowedCidrs: [],
  rules: { cidrAllow: [], countryAllow: [], countryDeny: [] },
};
export const HOSTNAME = /^[a-z0-9.-]{1,253}$|^\[[0-9a-f:.]+\]$/;

/**
 * RFC 3261 §10.3 registrar with RFC 7616/8760 digest, top to bottom:
 * identify the tenant and device → admit (status, transport, CIDRs, geo rules; before any challenge)
 * → authenticate (challenge, nonce, digest, nc) → bind (location store) → 200 with the bindings.
 * Unknown users follow the same path as real ones, against a phantom account, so the answers and
 * the work done are the same and extensions cannot be enumerated.
 */
export class RegisterUseCase {
  constructor(
    private readonly directory: AccountDirectory,
    private readonly locations: LocationStore,
    private readonly digest: DigestAuthenticator,
    private readonly enforcer: Pick<Enforcer, 'noteRegistrationCountry'>,
    private readonly settings: RegistrarSettings,
  ) {}

  async execute(cmd: RegisterCommand): Promise<SipReply> {
    // 1. Identify: the To URI names the address of record, its host the tenant's SIP domain.
    const aor = parseAddress(cmd.to);
    if (!aor || !aor.user || !HOSTNAME.test(aor.host)) return reply(400, 'Invalid To header', 'invalid', 'To is not a SIP AOR');
    const tenant = await this.directory.tenantByRealm(aor.host);
    const device = tenant ? await this.directory.device(tenant.id, aor.user) : null;
    const realm = tenant?.realm ?? aor.host;
    const ids = { tenantId: tenant?.id, deviceId: device?.id };

    // 2. Admit, before any challenge.
    if (tenant && tenant.status !== 'active') return { ...reply(403, 'Forbidden', 'refused', 'tenant suspended'), ...ids };
    if (tenant && (await this.directory.isBannedInTenant(tenant.id, cmd.sourceIp)))
      return { ...reply(403, 'Forbidden', 'refused', 'source banned in this tenant'), ...ids };
    const refusal = admit(device ?? PHANTOM_PROFILE, cmd, tenant?.rules);
    if (refusal) return { ...reply(refusal.status, refusal.reason, 'refused', refusal.log), ...ids };

    // 3. Authenticate.
    // The device's bindings are read with the nc check, in the same round trip (only once the digest verified).
    const readBindings = device ? () => this.locations.bindings(device.tenantId, device.id) : undefined;
    const auth = await this.digest.authenticate(
      { method: 'REGISTER', credentials: cmd.authorization, realm, device, sourceIp: cmd.sourceIp, now: cmd.now },
      readBindings,
    );
    if (auth.kind === 'failed') return { ...reply(403, 'Forbidden', 'failed', auth.why), ...ids };
    if (auth.kind === 'challenge') {
      const outcome = auth.replayed ? 'replayed' : auth.stale ? 'stale' : 'challenged';
      return { ...reply(401, 'Unauthorized', outcome, auth.why), challenges: auth.challenges, ...ids };
    }
    if (!device) return { ...reply(403, 'Forbidden', 'failed', 'unknown user'), ...ids };

    // 4. Bind.
    const existing = auth.alongside ?? (await this.locations.bindings(device.tenantId, device.id));
    return { ...(await this.bind(cmd, device, existing)), ...ids };
  }

  private async bind(cmd: RegisterCommand, device: DeviceAccount, existing: Binding[]): Promise<SipReply> {
    const contacts = parseContactHeader(cmd.contact);
    if (!contacts) return reply(400, 'Invalid Contact header', 'invalid', 'unreadable Contact');
    let expiresHeader: number | undefined;
    if (cmd.expires !== undefined) {
      if (!/^\d{1,10}$/.test(cmd.expires.trim())) return reply(400, 'Invalid Expires header', 'invalid', 'unreadable Expires');
      expiresHeader = Number(cmd.expires.trim());
    }
    if (contacts.kind === 'list' && contacts.contacts.length === 0) {
      const live = existing.filter((b) => b.expiresAt > cmd.now);
      return withContacts(reply(200, 'OK', 'queried', 'bindings queried'), contactHeaderOf(live, cmd.now));
    }
    const outcome = applyRegister({
      existing,
      contacts,
      expiresHeader,
      callId: cmd.callId,
      cseq: cmd.cseq,
      now: cmd.now,
      limits: this.settings.expires,
      maxBindings: device.maxRegistrations,
      origin: {
        path: cmd.path,
        sourceIp: cmd.sourceIp,
        sourcePort: cmd.sourcePort,
        transport: cmd.transport.toLowerCase(),
        edge: cmd.edge,
        userAgent: cmd.userAgent?.slice(0, 200) ?? null,
      },
    });
    if (outcome.kind === 'reject') {
      const r = reply(outcome.status, outcome.reason, 'invalid', outcome.reason);
      if (outcome.minExpires !== undefined) r.headers['Min-Expires'] = String(outcome.minExpires);
      return r;
    }
    await this.locations.apply(device.tenantId, device.id, outcome);
    if (outcome.upserts.length && cmd.sourceCountry)
      await this.enforcer.noteRegistrationCountry(device, cmd.sourceCountry, cmd.sourceIp);
    const r = reply(200, 'OK', outcome.upserts.length ? 'registered' : 'unregistered', describe(outcome));
    if (cmd.path.length && cmd.supported.includes('path')) r.headers.Path = cmd.path.join(', ');
    // RFC 5626 §6: tell an outbound-capable phone its flow is kept, so it starts its keep-alives.
    if (cmd.supported.includes('outbound') && outcome.upserts.some((b) => b.regId !== undefined)) r.headers.Require = 'outbound';
    return withContacts(r, contactHeaderOf(outcome.bindings, cmd.now));
  }

}

function reply(status: number, reason: string, outcome: RegisterOutcomeLabel, why: string): SipReply {
  return { status, reason, headers: {}, outcome, why };
}

function withContacts(r: SipReply, contact: string | undefined): SipReply {
  if (contact) r.headers.Contact = contact;
  return r;
}

function describe(o: { upserts: unknown[]; removals: string[]; evicted: string[]; bindings: unknown[] }): string {
  const parts = [`${o.upserts.length} bound`, `${o.bindings.length} live`];
  if (o.removals.length) parts.push(`${o.removals.length} removed`);
  if (o.evicted.length) parts.push(`${o.evicted.length} evicted at the device limit`);
  return parts.join(', ');
}
