import type { Authorisation, AuthoriseCallUseCase } from '../authorise/authorise-call.use-case';
import { gateCall, type CallDenial } from '../authorise/call-gate';
import type { UnplacedCall } from './call-record';
import type { DigestAuthenticator } from '../digest/digest-authenticator';
import type { LegMedia } from '../media/anchor';
import { applyMediaRules, DEFAULT_MEDIA_RULES } from '../media/sdp-rules';
import { admit } from '../register/admission';
import { parseAddress } from '../register/contact-header';
import type { AccountDirectory, DeviceAccount, ExtensionTarget, LocationStore, TenantAccount } from '../register/register.ports';
import { HOSTNAME, PHANTOM_PROFILE } from '../register/register.use-case';
import { classifyDialed, EXTENSION_NUMBER, warningOf, type DialedDestination } from '../route/classify';
import { routeInbound } from '../route/inbound-router';
import { legsOfExtension } from '../route/legs';
import { routeOutbound } from '../route/outbound-router';
import type { TrunkDirectory } from '../route/trunks';

/** An INVITE as plain data. */
export interface InviteCommand {
  requestUri: string;
  from?: string;
  /** The To header (an inbound call's DID when the Request-URI does not carry it). */
  to?: string;
  callId: string;
  proxyAuthorization?: string;
  sourceIp: string;
  transport: string;
  sourceCountry?: string;
  /** The INVITE's body: its SDP offer, if any. */
  sdp?: string;
  now: number;
}

export interface InviteReply {
  status: number;
  reason: string;
  headers: Record<string, string>;
  /** Proxy-Authenticate values, one header each. */
  challenges?: string[];
  why: string;
  tenantId?: string;
  deviceId?: string;
  /** Set when the fraud gate refused the call: what its CDR records. */
  denial?: CallDenial;
  /** Set when an authenticated caller's call could not be placed (no route, no phone, incomplete number): its CDR. */
  unplaced?: UnplacedCall;
}

/** One phone to ring: a registered contact, reached over the connection it registered on. */
export interface Leg {
  deviceId: string;
  uri: string;
  /** Next hop: the address and transport the registration came from (RFC 5626's flow, NAT-safe). */
  proxy: string;
  /** How rtpengine speaks to this leg; unset for a device, whose registered transport decides (trunks: 'rtp'). */
  media?: LegMedia;
}

export type CallDirection = 'internal' | 'outbound' | 'inbound';

/** Who calls: a device of the tenant, or (inbound) a trunk's caller, which has no device. */
export interface CallParty {
  deviceId: string | null;
  extensionId: string | null;
  /** The device's SIP username, or the calling number an inbound call presented. */
  username: string;
  /** The calling number the far end sees: the first DID of the caller's extension, else its number. */
  number?: string;
  /** The trunk an inbound call came from, and its channel limit (calls both ways count). */
  trunkId?: string;
  trunkMaxChannels?: number | null;
}

/** One carrier to try for an outbound call; the next one is tried on 408, 5xx or a failed authentication. */
export interface TrunkAttempt {
  trunkId: string;
  routeId: string;
  name: string;
  /** Request-URI: the E.164 number at the trunk. */
  uri: string;
  /** Next hop with its transport. */
  proxy: string;
  authUsername: string | null;
  maxChannels: number | null;
  /** The trunk's allow_unanchored_media: its calls may go on end to end when rtpengine is unreachable. */
  allowUnanchoredMedia?: boolean;
}

export type CallTarget =
  | { kind: 'extension'; extensionId: string; number: string; legs: Leg[] }
  | { kind: 'trunk'; e164: string; country: string | null; attempts: TrunkAttempt[] };

export interface CallPlan {
  tenantId: string;
  realm: string;
  direction: CallDirection;
  caller: CallParty;
  dialed: string;
  /** What was dialed, classified (extension, E.164 with its country, emergency). */
  destination?: DialedDestination;
  target: CallTarget;
  sourceIp: string;
  sourceCountry: string | null;
  /** The caller's offer after the tenant's media rules (codecs outside the allow-list stripped). */
  offer?: string;
  /**
   * Media anchoring: SRTP on device legs, and whether the call may go on unanchored when rtpengine is
   * unreachable (a trunk's allow_unanchored_media; never for device-to-device calls).
   */
  media?: { srtpRequired: boolean; allowUnanchored: boolean };
  /** What the fraud gate decided, the lease it took and the rate the call is costed at. */
  authorisation?: Authorisation;
}

export type InviteDecision = { kind: 'reply'; reply: InviteReply } | { kind: 'call'; plan: CallPlan };

const reply = (status: number, reason: string, why: string, extra: Partial<InviteReply> = {}): InviteDecision => ({
  kind: 'reply',
  reply: { status, reason, headers: {}, why, ...extra },
});

export { legOf } from '../route/legs';

/**
 * A device's INVITE, top to bottom: identify the caller (From: its username at its tenant's domain) →
 * admit (status, transport, source) → authenticate (407, the same digest as REGISTER) → classify →
 * authorise (the fraud gate: 403 naming the rule, or a toll call's counters taken) → route (the dialed
 * extension's devices, every live binding; the trunks of an outbound route) → a call plan for the
 * CallSession to carry out. A trunk's INVITE (by its source address) goes to inbound routing.
 */
export class PlaceCallUseCase {
  constructor(
    private readonly directory: AccountDirectory,
    private readonly locations: LocationStore,
    private readonly digest: DigestAuthenticator,
    private readonly trunks?: TrunkDirectory,
    private readonly authorise?: AuthoriseCallUseCase,
  ) {}

  async execute(cmd: InviteCommand): Promise<InviteDecision> {
    // 0. A carrier: its source address is one of a trunk's inbound CIDRs. One tenant's too-wide CIDR must not
    // capture other tenants' phones: a call for no DID whose From names a tenant's domain goes the device way.
    if (this.trunks) {
      const fromTrunks = await this.trunks.trunksBySource(cmd.sourceIp);
      if (fromTrunks.length > 0) {
        const inbound = await routeInbound({ directory: this.directory, locations: this.locations, trunks: this.trunks }, cmd, fromTrunks);
        const fromHost = parseAddress(cmd.from)?.host;
        const devicesCall = inbound.kind === 'reply' && inbound.reply.status === 404 && !!fromHost && !!(await this.directory.tenantByRealm(fromHost));
        if (!devicesCall) return inbound;
      }
    }

    // 1. Identify.
    const caller = parseAddress(cmd.from);
    const called = parseAddress(`<${cmd.requestUri}>`);
    if (!caller || !caller.user || !HOSTNAME.test(caller.host)) return reply(400, 'Invalid From header', 'From is not a SIP address');
    if (!called || !called.user) return reply(404, 'Not Found', 'Request-URI names no user');
    const tenant = await this.directory.tenantByRealm(caller.host);
    const device = tenant ? await this.directory.device(tenant.id, caller.user) : null;
    const realm = tenant?.realm ?? caller.host;
    const ids = { tenantId: tenant?.id, deviceId: device?.id };

    // 2. Admit.
    if (tenant && tenant.status !== 'active') return reply(403, 'Forbidden', 'tenant suspended', ids);
    if (tenant && (await this.directory.isBannedInTenant(tenant.id, cmd.sourceIp)))
      return reply(403, 'Forbidden', 'source banned in this tenant', ids);
    // A device locked outright may still call for help (admission.ts); only for one is the number classified this early.
    const emergency = !!tenant && device?.status === 'locked' && (await this.classify(tenant, called.user, false)).kind === 'emergency';
    const refusal = admit(device ?? PHANTOM_PROFILE, cmd, tenant?.rules, { emergency });
    if (refusal) return reply(refusal.status, refusal.reason, refusal.log, ids);

    // 3. Authenticate.
    const auth = await this.digest.authenticate({
      method: 'INVITE',
      credentials: cmd.proxyAuthorization,
      realm,
      device,
      sourceIp: cmd.sourceIp,
      now: cmd.now,
    });
    if (auth.kind === 'failed') return reply(403, 'Forbidden', auth.why, ids);
    if (auth.kind === 'challenge')
      return reply(407, 'Proxy Authentication Required', auth.why, { ...ids, challenges: auth.challenges });
    if (!tenant || !device) return reply(403, 'Forbidden', 'unknown caller', ids);

    // 4. Media rules on the offer: SRTP on device legs, the codec allow-list.
    const media = applyMediaRules(cmd.sdp, tenant.media ?? DEFAULT_MEDIA_RULES);
    if (media.kind === 'refuse') return reply(media.status, media.reason, media.why, { ...ids, headers: { Warning: media.warning } });

    // 5. Classify what was dialed: the tenant's extension, an external number in E.164, emergency.
    const dialed = called.user;
    const ext = EXTENSION_NUMBER.test(dialed) ? await this.directory.extension(tenant.id, dialed) : null;
    const destination = await this.classify(tenant, dialed, ext !== null);
    const party = { deviceId: device.id, extensionId: device.extensionId, username: device.username };
    const unplaced = (status: number, why: string): UnplacedCall => {
      const external = destination.kind === 'external';
      return {
        tenantId: tenant.id,
        caller: party,
        direction: external || destination.kind === 'emergency' ? 'outbound' : 'internal',
        toNumber: external ? destination.e164 : dialed,
        destinationCountry: external ? destination.country : null,
        sourceIp: cmd.sourceIp,
        status,
        why,
      };
    };
    if (destination.kind === 'invalid')
      return reply(destination.status, destination.status === 484 ? 'Address Incomplete' : 'Not Found', destination.why, {
        ...ids,
        headers: { Warning: warningOf(destination.reason) },
        unplaced: unplaced(destination.status, destination.why),
      });

    // 6. Authorise: what POST /policy/simulate would say, with a toll call's counters taken atomically.
    const gate = await gateCall(this.authorise, { cmd, tenantId: tenant.id, realm, caller: party, dialed, destination });
    if (gate.kind === 'reply') return gate;

    // 7. Route.
    const defaultCountry = tenant.defaultCountry ?? 'US';
    const route: RouteContext = { cmd, tenantId: tenant.id, realm, defaultCountry, device, dialed, destination };
    const decision = destination.kind === 'extension' && ext ? await this.routeToExtension(route, ext) : await this.routeOutbound(route);
    if (decision.kind === 'call') {
      const plan: CallPlan = { ...decision.plan, authorisation: gate.authorisation, offer: media.sdp };
      // Unanchored media only where every trunk the call may take allows it; never device to device.
      const allowUnanchored = plan.target.kind === 'trunk' && plan.target.attempts.every((a) => a.allowUnanchoredMedia === true);
      plan.media = { srtpRequired: (tenant.media ?? DEFAULT_MEDIA_RULES).srtpRequired, allowUnanchored };
      return { kind: 'call', plan };
    }
    // Not placed after all (no route, no phone registered): the slot it took is free at once.
    if (gate.authorisation?.lease) await this.authorise?.release(gate.authorisation.lease);
    return { kind: 'reply', reply: { ...decision.reply, unplaced: unplaced(decision.reply.status, decision.reply.why) } };
  }

  /** What was dialed, with the tenant's emergency numbers as the fraud gate has them (its policy's list, else its country's). */
  private async classify(tenant: TenantAccount, dialed: string, extensionExists: boolean): Promise<DialedDestination> {
    const emergencyNumbers = this.authorise ? await this.authorise.emergencyNumbers(tenant.id) : undefined;
    return classifyDialed(dialed, { defaultCountry: tenant.defaultCountry ?? 'US', extensionExists, emergencyNumbers });
  }

  /** An external number: the trunks of the tenant's outbound routes, tried in order. */
  private routeOutbound(route: RouteContext): Promise<InviteDecision> {
    const { destination } = route;
    if (destination.kind !== 'external' && destination.kind !== 'emergency')
      return Promise.resolve(reply(404, 'Not Found', 'not routable', { tenantId: route.tenantId, deviceId: route.device.id }));
    return routeOutbound(this.trunks, { ...route, destination });
  }

  private async routeToExtension(route: RouteContext, ext: ExtensionTarget): Promise<InviteDecision> {
    const { cmd, tenantId, realm, device, dialed } = route;
    const ids = { tenantId, deviceId: device.id };
    const legs = await legsOfExtension(this.locations, tenantId, ext.deviceIds, cmd.now, device.id);
    if (legs.length === 0) return reply(480, 'Temporarily Unavailable', `extension ${ext.number} has no registered phone`, ids);
    return {
      kind: 'call',
      plan: {
        tenantId,
        realm,
        direction: 'internal',
        caller: { deviceId: device.id, extensionId: device.extensionId, username: device.username },
        dialed,
        destination: route.destination,
        target: { kind: 'extension', extensionId: ext.id, number: ext.number, legs },
        sourceIp: cmd.sourceIp,
        sourceCountry: cmd.sourceCountry ?? null,
      },
    };
  }
}

/** What routing works from: the authenticated caller and the classified destination. */
interface RouteContext {
  cmd: InviteCommand;
  tenantId: string;
  realm: string;
  defaultCountry: string;
  device: DeviceAccount;
  dialed: string;
  destination: DialedDestination;
}
