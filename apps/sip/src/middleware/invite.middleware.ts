import { Inject, Injectable } from '@nestjs/common';
import { deniedCallRecord, PlaceCallUseCase, unplacedCallRecord, type CallDenial, type UnplacedCall } from '@pbx/call-control';
import { countryOfIp } from '@pbx/common';
import { CdrsRepository, type CdrInsert } from '@pbx/database';
import type Srf from 'drachtio-srf';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { CallEventsPublisher } from '../call/call-events.publisher';
import { CALL_GUARD_DEPS } from '../call/call-gate.providers';
import type { CallGuardDeps } from '../call/call-guard';
import { CallJournal } from '../call/call-journal';
import { CallRegistry } from '../call/call-registry';
import { CallSession } from '../call/call-session';
import { TrunkDialer } from '../call/trunk-dialer';
import { MediaSessions } from '../call/media-sessions';
import { SIP_CONFIG, type SipConfig } from '../config/sip-config';
import { sourceOf } from '../registrar/request-facts';
import { SipMetrics } from '../registrar/sip-metrics';
import { SIP_LOGGER, SIP_REDIS, SRF } from '../sip.tokens';

/** A new INVITE: the place-call use case decides, a CallSession carries the call out. */
@Injectable()
export class InviteMiddleware {
  constructor(
    private readonly placeCall: PlaceCallUseCase,
    private readonly registry: CallRegistry,
    private readonly events: CallEventsPublisher,
    private readonly journal: CallJournal,
    private readonly cdrs: CdrsRepository,
    private readonly metrics: SipMetrics,
    private readonly trunkDialer: TrunkDialer,
    private readonly media: MediaSessions,
    @Inject(SRF) private readonly srf: Srf,
    @Inject(SIP_REDIS) private readonly redis: Redis,
    @Inject(SIP_CONFIG) private readonly config: SipConfig,
    @Inject(SIP_LOGGER) private readonly logger: Logger,
    @Inject(CALL_GUARD_DEPS) private readonly gate: CallGuardDeps,
  ) {}

  readonly handle = (req: Srf.SrfRequest, res: Srf.SrfResponse, next: (err?: unknown) => void): void => {
    this.run(req, res).catch(next);
  };

  private async run(req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> {
    if (!this.registry.isAccepting) {
      res.send(503, 'Service Unavailable', { headers: { 'Retry-After': '30' } });
      return;
    }
    const src = sourceOf(req);
    const h = (name: string): string | undefined => (req.has(name) ? req.get(name) : undefined);
    const decision = await this.placeCall.execute({
      requestUri: req.uri,
      from: h('From'),
      to: h('To'),
      callId: h('Call-ID') ?? '',
      proxyAuthorization: h('Proxy-Authorization'),
      sourceIp: src.ip,
      transport: src.transport,
      sourceCountry: countryOfIp(src.ip),
      sdp: typeof req.body === 'string' ? req.body : undefined,
      now: Date.now(),
    });
    if (decision.kind === 'reply') {
      const r = decision.reply;
      const headers: Record<string, string> = { ...r.headers };
      if (r.challenges?.length) headers['Proxy-Authenticate'] = r.challenges.join('\r\nProxy-Authenticate: ');
      res.send(r.status, r.reason, { headers });
      this.metrics.invites.inc({ outcome: String(r.status) });
      const fields = { callId: h('Call-ID'), status: r.status, why: r.why, sourceIp: src.ip, tenantId: r.tenantId, deviceId: r.deviceId };
      if (r.status !== 407) this.logger.info(fields, 'INVITE refused');
      if (r.denial) await this.recordDenial(r.denial, h('Call-ID') ?? '');
      if (r.unplaced) await this.recordUnplaced(r.unplaced, h('Call-ID') ?? '', countryOfIp(src.ip) ?? null);
      return;
    }
    this.metrics.invites.inc({ outcome: 'routed' });
    const call = new CallSession(req, res, decision.plan, {
      srf: this.srf,
      redis: this.redis,
      cdrs: this.cdrs,
      events: this.events,
      journal: this.journal,
      logger: this.logger,
      ringTimeoutMs: this.config.SIP_RING_TIMEOUT_SECONDS * 1000,
      gate: this.gate,
      trunkDialer: this.trunkDialer,
      onFinished: (disposition) => this.metrics.calls.inc({ disposition }),
      media: this.media.create(req.get('Call-ID'), decision.plan),
    });
    this.registry.add(call);
    this.metrics.activeCalls.inc();
    void call.finished.finally(() => this.metrics.activeCalls.dec());
    await call.run();
  }

  /** A call the policy refused: counted by rule, and its CDR names the rule and the destination. */
  private async recordDenial(denial: CallDenial, callId: string): Promise<void> {
    this.metrics.policyDenials.inc({ rule: denial.decision.ruleId.slice(0, 64) });
    this.metrics.calls.inc({ disposition: 'denied' });
    const now = Date.now();
    const row = deniedCallRecord(denial, callId, now);
    this.publishEnded(row, denial.sourceIp, denial.sourceCountry, now);
    await this.cdrs
      .insert(row)
      .catch((err: unknown) => this.logger.error({ err, callId, tenantId: denial.tenantId }, 'CDR of a denied call not written'));
  }

  /** A call that could not be placed (no route, no phone, incomplete number): its CDR and call.ended event. */
  private async recordUnplaced(unplaced: UnplacedCall, callId: string, sourceCountry: string | null): Promise<void> {
    const now = Date.now();
    const row = unplacedCallRecord(unplaced, callId, now);
    this.metrics.calls.inc({ disposition: row.disposition });
    this.publishEnded(row, unplaced.sourceIp, sourceCountry, now);
    await this.cdrs
      .insert(row)
      .catch((err: unknown) => this.logger.error({ err, callId, tenantId: unplaced.tenantId }, 'CDR of an unplaced call not written'));
  }

  /** The call.ended event of an attempt that never rang: no answer, no duration, no cost. */
  private publishEnded(row: CdrInsert, sourceIp: string, sourceCountry: string | null, now: number): void {
    const at = new Date(now).toISOString();
    this.events.publish(
      {
        type: 'call.ended',
        tenantId: row.tenantId,
        callId: row.callId,
        deviceId: row.deviceId ?? null,
        direction: row.direction,
        fromNumber: row.fromNumber,
        toNumber: row.toNumber,
        remoteCountry: row.destinationCountry ?? null,
        sourceIp,
        sourceCountry,
        startedAt: at,
        answeredAt: null,
        endedAt: at,
        durationSeconds: 0,
        disposition: row.disposition,
        cost: 0,
      },
      now,
    );
  }
}
