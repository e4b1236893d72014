import {
  applyMediaRules,
  legMediaOfDevice,
  legMediaOfOffer,
  mediaIdleSeconds,
  mediaQualityOf,
  mediaWarning,
  ngMediaOptions,
  type CallPlan,
  type LegMedia,
  type MediaQuality,
  type NgCallStats,
} from '@pbx/call-control';
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { MediaMetrics } from './media-metrics';
import { MediaRelayError, type RtpengineService } from './rtpengine.service';

export interface MediaSessionDeps {
  rtpengine: RtpengineService;
  metrics: MediaMetrics;
  logger: Logger;
  rtpTimeoutSeconds: number;
  checkIntervalMs: number;
}

/** What the caller gets when the media cannot be anchored. */
export interface MediaRefusal {
  status: number;
  reason: string;
  warning: string;
  why: string;
}

// rtpengine's labels for the two sides of the call (the SIP tags differ per leg and per fork).
const CALLER = 'caller';
const CALLEE = 'callee';

type Side = 'caller' | 'callee';
type Forward = (sdp: string) => Promise<string>;

const transportOf = (proxy: string): string => /;transport=([a-z]+)/i.exec(proxy)?.[1] ?? 'udp';

/**
 * One call's media at rtpengine, beside its CallSession: the offer every callee leg gets, the answer
 * (early and final) the caller gets, re-INVITEs and UPDATEs relayed through rtpengine, a watch that
 * ends the call when no RTP flows or rtpengine lost it, and the per-leg quality for the CDR at the end.
 * Device legs speak SRTP as the device does (SDES or DTLS with ICE and rtcp-mux); trunk legs plain RTP.
 */
export class MediaSession {
  private state: 'new' | 'anchored' | 'unanchored' | 'closed' = 'new';
  private callerKind: LegMedia = 'rtp';
  private calleeKind: LegMedia = 'rtp';
  private watch?: NodeJS.Timeout;
  private checking = false;
  private lastStats?: NgCallStats;
  private quality: MediaQuality | null = null;
  private readonly log: Logger;

  constructor(
    private readonly ngCallId: string,
    private readonly plan: CallPlan,
    private readonly deps: MediaSessionDeps,
  ) {
    this.log = deps.logger.child({ callId: ngCallId, component: 'media' });
  }

  get anchored(): boolean {
    return this.state === 'anchored';
  }

  /** The offer for the callee legs, through rtpengine; a refusal (503) when it cannot be anchored. */
  async offer(sdp: string | undefined): Promise<{ sdp: string } | { refusal: MediaRefusal }> {
    if (!sdp) return { refusal: this.refusal(488, 'Not Acceptable Here', 'an INVITE without an SDP offer cannot have its media anchored') };
    const srtp = this.plan.media?.srtpRequired ?? true;
    this.callerKind = legMediaOfOffer(sdp);
    const target = this.plan.target;
    // Carriers speak plain RTP; a device is offered what its registered transport says it speaks.
    const kinds: LegMedia[] =
      target.kind === 'trunk' ? ['rtp'] : target.legs.map((l) => l.media ?? legMediaOfDevice(transportOf(l.proxy), srtp, this.callerKind));
    // One offer serves every fork; a browser among SIP phones gets the phones' kind (a known limit).
    this.calleeKind = kinds.every((k) => k === kinds[0]) ? (kinds[0] ?? 'rtp') : (kinds.find((k) => k !== 'webrtc') ?? 'sdes');
    try {
      const r = await this.deps.rtpengine.offer({ 'call-id': this.ngCallId, 'from-tag': CALLER, sdp, ...ngMediaOptions(this.calleeKind) });
      this.state = 'anchored';
      this.deps.metrics.anchored.inc({ outcome: 'anchored' });
      return { sdp: String(r.sdp) };
    } catch (err) {
      const e = err as MediaRelayError;
      if (e.unreachable && this.plan.media?.allowUnanchored) {
        this.state = 'unanchored';
        this.deps.metrics.anchored.inc({ outcome: 'unanchored' });
        this.log.warn({ err: e.message }, 'rtpengine unreachable: media left unanchored, as the trunk allows');
        return { sdp };
      }
      this.deps.metrics.anchored.inc({ outcome: 'refused' });
      this.log.error({ err: e.message }, 'media not anchored: call refused');
      const why = e.unreachable ? 'media relay (rtpengine) unreachable' : `media relay refused the offer: ${e.message}`;
      return { refusal: this.refusal(503, 'Service Unavailable', why) };
    }
  }

  /** The callee's answer (in a 18x or the 200), as the caller gets it. */
  async answer(sdp: string): Promise<string> {
    if (this.state !== 'anchored' || !sdp) return sdp;
    const r = await this.deps.rtpengine.answer({
      'call-id': this.ngCallId,
      'from-tag': CALLER,
      'to-tag': CALLEE,
      sdp,
      ...ngMediaOptions(this.callerKind),
    });
    return String(r.sdp);
  }

  /** Once both legs are up: relays re-INVITEs and UPDATEs, and watches the media until close(). */
  attach(uas: Srf.Dialog, uac: Srf.Dialog, end: (reason: string) => void): void {
    if (this.state !== 'anchored') return;
    const on = (d: Srf.Dialog, event: string, fn: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void) =>
      (d as unknown as { on(e: string, f: typeof fn): void }).on(event, fn);
    const reinvite = (d: Srf.Dialog): Forward => async (sdp) => String(await (d as unknown as { modify(s: string): Promise<string> }).modify(sdp));
    const update = (d: Srf.Dialog): Forward => async (sdp) => {
      const res = await (d as unknown as { request(o: object): Promise<{ status: number; body: string }> }).request({ method: 'UPDATE', body: sdp, headers: { 'Content-Type': 'application/sdp' } });
      if (res.status !== 200) throw Object.assign(new Error(`UPDATE answered ${res.status}`), { status: res.status });
      return res.body;
    };
    on(uas, 'modify', (req, res) => void this.relay('caller', uas, req, res, reinvite(uac)));
    on(uac, 'modify', (req, res) => void this.relay('callee', uac, req, res, reinvite(uas)));
    on(uas, 'update', (req, res) => void this.relay('caller', uas, req, res, update(uac)));
    on(uac, 'update', (req, res) => void this.relay('callee', uac, req, res, update(uas)));
    this.watch = setInterval(() => void this.check(end), this.deps.checkIntervalMs);
    this.watch.unref();
  }

  /** Deletes the call at rtpengine; the per-leg quality for the CDR (null when not anchored). */
  async close(): Promise<MediaQuality | null> {
    if (this.state === 'closed') return this.quality;
    clearInterval(this.watch);
    const anchored = this.state === 'anchored';
    this.state = 'closed';
    if (!anchored) return null;
    let stats = this.lastStats;
    const id = { 'call-id': this.ngCallId };
    stats = ((await this.deps.rtpengine.query(id).catch(() => undefined)) as NgCallStats | undefined) ?? stats;
    // rtpengine 10.5 answers a delete with its statistics only in some setups; the query just before covers the rest.
    const deleted = await this.deps.rtpengine.delete(id).catch((err: Error) => {
      this.log.warn({ err: err.message }, 'media not deleted at rtpengine (it times the call out itself)');
      return undefined;
    });
    if (deleted && 'tags' in deleted) stats = deleted as NgCallStats;
    this.quality = stats ? mediaQualityOf(stats, CALLER, CALLEE) : null;
    this.deps.metrics.observe('caller', this.quality?.caller ?? null);
    this.deps.metrics.observe('callee', this.quality?.callee ?? null);
    return this.quality;
  }

  private refusal(status: number, reason: string, why: string): MediaRefusal {
    return { status, reason, why, warning: mediaWarning(399, why) };
  }

  /** A new offer from one side in the dialog: SRTP rules, then rtpengine offer → the other side → rtpengine answer. */
  private async relay(from: Side, dialog: Srf.Dialog, req: Srf.SrfRequest, res: Srf.SrfResponse, forward: Forward): Promise<void> {
    const contact = { Contact: (dialog as unknown as { local: { contact: string } }).local.contact };
    const fromKind = from === 'caller' ? this.callerKind : this.calleeKind;
    const verdict = applyMediaRules(req.body, { srtpRequired: fromKind !== 'rtp' && (this.plan.media?.srtpRequired ?? true), codecs: [] });
    if (verdict.kind === 'refuse' || !req.body) {
      const warning = verdict.kind === 'refuse' ? verdict.warning : mediaWarning(399, 'an offerless re-INVITE cannot be relayed');
      res.send(488, 'Not Acceptable Here', { headers: { ...contact, Warning: warning } });
      return;
    }
    const [fromTag, toTag] = from === 'caller' ? [CALLER, CALLEE] : [CALLEE, CALLER];
    const toKind = from === 'caller' ? this.calleeKind : this.callerKind;
    try {
      const offer = await this.deps.rtpengine.offer({ 'call-id': this.ngCallId, 'from-tag': fromTag, 'to-tag': toTag, sdp: req.body, ...ngMediaOptions(toKind) });
      const theirs = await forward(String(offer.sdp));
      const answer = await this.deps.rtpengine.answer({ 'call-id': this.ngCallId, 'from-tag': fromTag, 'to-tag': toTag, sdp: theirs, ...ngMediaOptions(fromKind) });
      res.send(200, { body: String(answer.sdp), headers: { ...contact, 'Content-Type': 'application/sdp' } });
    } catch (err) {
      const status = (err as { status?: number }).status ?? (err instanceof MediaRelayError ? 503 : 500);
      this.log.warn({ err: (err as Error).message, from, status }, 'session change not relayed');
      res.send(status >= 400 ? status : 500, { headers: contact });
    }
  }

  /** Ends the call when no RTP flowed for the timeout, or when rtpengine no longer knows it (restarted). */
  private async check(end: (reason: string) => void): Promise<void> {
    if (this.checking || this.state !== 'anchored') return;
    this.checking = true;
    try {
      const q = (await this.deps.rtpengine.query({ 'call-id': this.ngCallId })) as NgCallStats;
      this.lastStats = q;
      const idle = mediaIdleSeconds(q, Date.now() / 1000);
      if (idle !== null && idle >= this.deps.rtpTimeoutSeconds && this.state === 'anchored') {
        this.deps.metrics.endedByMedia.inc({ reason: 'rtp_timeout' });
        end(`RTP timeout: no media for ${Math.floor(idle)} s`);
      }
    } catch (err) {
      if (err instanceof MediaRelayError && err.unreachable) {
        // Live calls keep their state while rtpengine is away; new calls get 503 meanwhile.
        this.log.warn({ err: err.message }, 'rtpengine unreachable: call kept, media check skipped');
      } else if (this.state === 'anchored') {
        this.deps.metrics.endedByMedia.inc({ reason: 'relay_lost' });
        end('media relay lost the call (rtpengine restarted or timed it out)');
      }
    } finally {
      this.checking = false;
    }
  }
}
