import { failsOver, type ChannelLease, type TrunkAttempt, type TrunkChannels } from '@pbx/call-control';
import { decrypt, trunkSecretAad, type Keyring } from '@pbx/common';
import type { TrunksRepository } from '@pbx/database';
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';

export interface TrunkCall {
  tenantId: string;
  callId: string;
  e164: string;
  /** The calling number presented to the carrier. */
  callerNumber: string;
  realm: string;
  localSdp: string;
  attempts: readonly TrunkAttempt[];
}

export interface DialHooks {
  /** The INVITE now going out, so a CANCEL from the caller can follow it. */
  onRequest(req: Srf.SrfRequest): void;
  onProvisional(res: Srf.SrfResponse): void;
  /** The caller gave up or the call was ended: no further trunk is tried. */
  stopped(): boolean;
}

export type DialResult =
  { dialog: Srf.Dialog; attempt: TrunkAttempt; lease: ChannelLease } | { status: number };

type SipError = Error & { status?: number };
type AuthCallback = (err: Error | null, username?: string, password?: string) => void;

/**
 * Calls an external number through the trunks of its routes, one after another: a trunk that is
 * full (max_channels), times out, fails (5xx) or refuses our credentials hands the call to the next;
 * any other answer (busy, not found…) is the callee's and ends the attempt. A carrier's 401/407 is
 * answered with the trunk's sealed secret, opened only then and never logged.
 */
export class TrunkDialer {
  private readonly outcomes: Counter<'outcome'>;

  constructor(
    private readonly deps: {
      srf: Srf;
      trunks: TrunksRepository;
      channels: TrunkChannels;
      keyring: Keyring | null;
      logger: Logger;
      registry: Registry;
    },
  ) {
    this.outcomes = new Counter({
      name: 'sip_trunk_attempts_total',
      help: 'Outbound attempts on trunks by outcome (answered, full, the final SIP status)',
      labelNames: ['outcome'],
      registers: [deps.registry],
    });
  }

  async dial(call: TrunkCall, hooks: DialHooks): Promise<DialResult> {
    let last = 503;
    for (const attempt of call.attempts) {
      if (hooks.stopped()) return { status: 487 };
      const lease = await this.deps.channels.acquire(attempt.trunkId, attempt.maxChannels, call.callId);
      if (!lease) {
        this.outcomes.inc({ outcome: 'full' });
        this.deps.logger.warn(
          { callId: call.callId, trunkId: attempt.trunkId },
          'trunk at max_channels, trying the next',
        );
        continue;
      }
      this.deps.logger.debug(
        { callId: call.callId, trunkId: attempt.trunkId, uri: attempt.uri },
        'calling trunk',
      );
      try {
        const dialog = await this.deps.srf.createUAC(
          attempt.uri,
          {
            proxy: attempt.proxy,
            localSdp: call.localSdp,
            headers: { From: `<sip:${call.callerNumber}@${call.realm}>`, To: `<${attempt.uri}>` },
            ...(attempt.authUsername
              ? { auth: this.credentialsFor(call.tenantId, attempt.trunkId, attempt.authUsername) }
              : {}),
          } as Srf.CreateUACOptions,
          {
            // srf calls it as (err, request), whatever its typings say.
            cbRequest: ((_err: unknown, r: Srf.SrfRequest) => hooks.onRequest(r)) as unknown as (
              req: Srf.SrfRequest,
            ) => void,
            cbProvisional: (p) => hooks.onProvisional(p),
          },
        );
        this.outcomes.inc({ outcome: 'answered' });
        return { dialog, attempt, lease };
      } catch (err) {
        await lease.release().catch(() => undefined);
        last = (err as SipError).status ?? 503;
        this.outcomes.inc({ outcome: String(last) });
        if (!failsOver(last) || hooks.stopped()) return { status: last };
        this.deps.logger.info(
          { callId: call.callId, trunkId: attempt.trunkId, status: last },
          'trunk failed, trying the next',
        );
      }
    }
    return { status: last };
  }

  /** A channel of the trunk an inbound call came in on, or null when the trunk is full. */
  holdChannel(trunkId: string, maxChannels: number | null, callId: string): Promise<ChannelLease | null> {
    return this.deps.channels.acquire(trunkId, maxChannels, callId);
  }

  /** drachtio's digest client asks for credentials when challenged (once per request). */
  credentialsFor(tenantId: string, trunkId: string, username: string) {
    return (_req: unknown, _res: unknown, cb: AuthCallback): void => {
      this.secret(tenantId, trunkId).then(
        (password) =>
          password === null ? cb(new Error('trunk has no usable secret')) : cb(null, username, password),
        (err: Error) => {
          this.deps.logger.error({ trunkId, err: { message: err.message } }, 'trunk secret not opened');
          cb(new Error('trunk secret not opened'));
        },
      );
    };
  }

  private async secret(tenantId: string, trunkId: string): Promise<string | null> {
    if (!this.deps.keyring) {
      this.deps.logger.warn({ trunkId }, 'trunk challenged but SECRETS_KEKS is not set');
      return null;
    }
    const sealed = await this.deps.trunks.findSecret(tenantId, trunkId);
    return sealed ? decrypt(sealed.ciphertext, this.deps.keyring, trunkSecretAad(tenantId, trunkId)) : null;
  }
}
