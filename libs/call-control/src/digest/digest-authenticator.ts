import { computeHa1, verifyDigestResponse, type SipDigestAlgorithm } from '@pbx/common';
import { randomBytes } from 'node:crypto';
import type { DeviceAccount, Enforcer, FailureCounter, LocationStore, NcStore } from '../register/register.ports';
import { decideOnFailure, type BanPolicy } from '../screening/ban-policy';
import { buildChallenges, digestAlgorithmOf, parseDigestCredentials } from './digest-header';
import type { NonceCodec } from './nonce';

export interface DigestRequest {
  method: string;
  /** The Authorization (REGISTER) or Proxy-Authorization (INVITE) header. */
  credentials?: string;
  realm: string;
  /** The device the request claims to be from; null for an unknown name (checked all the same). */
  device: DeviceAccount | null;
  sourceIp: string;
  now: number;
}

export type DigestResult<T = undefined> =
  /** `alongside`: what the caller's read returned (see `authenticate`). */
  | { kind: 'ok'; alongside?: T }
  /** Ask (again): `challenges` go into WWW-Authenticate or Proxy-Authenticate. */
  | { kind: 'challenge'; challenges: string[]; stale: boolean; replayed: boolean; why: string }
  /** Wrong credentials: counted, maybe banned or locked; answer 403. */
  | { kind: 'failed'; why: string };

/** The algorithms offered for names that do not exist: the defaults every new device gets. */
export const DEFAULT_ALGORITHMS: readonly SipDigestAlgorithm[] = ['SHA-256', 'MD5'];

/**
 * RFC 7616/8760 digest for SIP requests (REGISTER and INVITE alike): stateless HMAC nonces bound to
 * the source address, qop=auth, nc tracked so a replay is refused while a phone reusing its nonce with
 * a higher nc goes on working, and nc recorded only once the digest verified. Unknown names are
 * verified against a random HA1, so they cost and answer exactly what a wrong password does.
 */
export class DigestAuthenticator {
  private readonly phantomHa1: Record<SipDigestAlgorithm, string>;

  constructor(
    private readonly nonces: NonceCodec,
    private readonly ncs: NcStore,
    private readonly failures: FailureCounter,
    private readonly locations: Pick<LocationStore, 'ipHasLiveRegistration'>,
    private readonly enforcer: Pick<Enforcer, 'banIp' | 'lockDevice'>,
    private readonly banPolicy: BanPolicy,
  ) {
    const pw = randomBytes(16).toString('hex');
    this.phantomHa1 = { MD5: computeHa1('MD5', 'x', 'x', pw), 'SHA-256': computeHa1('SHA-256', 'x', 'x', pw) };
  }

  /**
   * `alongside`, when given, starts once the digest verified, together with the nc check, so that a
   * caller's read of what the request will change shares its round trip to Redis; its result is
   * returned with `ok` and dropped when the nc turns out to be a replay.
   */
  async authenticate<T = undefined>(r: DigestRequest, alongside?: () => Promise<T>): Promise<DigestResult<T>> {
    const algorithms = r.device?.algorithms ?? DEFAULT_ALGORITHMS;
    const challenge = (stale: boolean, why: string, replayed = false): DigestResult<T> => ({
      kind: 'challenge',
      challenges: buildChallenges(r.realm, this.nonces.issue(r.sourceIp, r.realm, r.now), algorithms, stale),
      stale,
      replayed,
      why,
    });
    const creds = parseDigestCredentials(r.credentials);
    if (!creds) return challenge(false, r.credentials ? 'unreadable credentials' : 'no credentials');
    const nonce = this.nonces.check(creds.nonce, r.sourceIp, r.realm, r.now);
    if (nonce.state === 'invalid') return challenge(false, 'nonce not ours (or from another address)');

    const algorithm = digestAlgorithmOf(creds.algorithm);
    const device = r.device;
    const ha1 = device && algorithm ? device.ha1[algorithm] : this.phantomHa1[algorithm ?? 'MD5'];
    const wellFormed = creds.qop === 'auth' && creds.nc !== undefined && /^[0-9a-fA-F]{8}$/.test(creds.nc) && creds.cnonce !== undefined;
    const digestOk =
      wellFormed &&
      verifyDigestResponse(
        { algorithm: algorithm ?? 'MD5', ha1, method: r.method, uri: creds.uri, nonce: creds.nonce, qop: 'auth', nc: creds.nc, cnonce: creds.cnonce },
        creds.response,
      );
    const valid =
      digestOk && device !== null && algorithm !== null && algorithms.includes(algorithm) && creds.realm === r.realm && creds.username === device.username;
    if (!valid) return { kind: 'failed', why: await this.failed(r, failureCause(creds.qop, algorithm, device)) };
    // An expired nonce with a right answer is no failure: the phone just retries (RFC 7616 §3.3 stale).
    if (nonce.state === 'stale') return challenge(true, 'nonce expired');
    const [fresh, read] = await Promise.all([
      this.ncs.accept(creds.nonce, parseInt(creds.nc as string, 16), nonce.expiresAt as number),
      alongside?.(),
    ]);
    if (!fresh) return challenge(false, 'nonce count not above the last one seen (replay)', true);
    return { kind: 'ok', alongside: read };
  }

  /** Counts a failed login and acts on the thresholds; returns the log's account of it. */
  private async failed(r: DigestRequest, cause: string): Promise<string> {
    const counts = await this.failures.record(r.sourceIp, r.device?.id, r.now);
    const ipHasLiveRegistration = await this.locations.ipHasLiveRegistration(r.sourceIp, r.now);
    const action = decideOnFailure(this.banPolicy, { ...counts, ipHasLiveRegistration });
    if (action.kind === 'ban-ip') {
      const ban = await this.enforcer.banIp(r.sourceIp, 'brute_force', `${counts.ip} failed SIP logins`, r.now);
      return `${cause}; ${ban ? `source banned until ${ban.expiresAt.toISOString()}` : 'source not bannable'}`;
    }
    if (action.kind === 'lock-device' && r.device) {
      await this.enforcer.lockDevice(r.device, `${counts.device ?? 0} failed SIP logins from ${r.sourceIp}`);
      return `${cause}; device locked (its source holds live registrations, so it is not banned)`;
    }
    return cause;
  }
}

function failureCause(qop: string | undefined, algorithm: SipDigestAlgorithm | null, device: DeviceAccount | null): string {
  if (!device) return 'wrong credentials (unknown user)';
  if (qop !== 'auth') return 'wrong credentials (qop=auth required)';
  if (!algorithm || !device.algorithms.includes(algorithm)) return 'wrong credentials (algorithm not allowed)';
  return 'wrong credentials';
}
