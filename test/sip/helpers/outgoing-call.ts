import { randomBytes } from 'node:crypto';
import type { Phone } from './phone';
import type { SipMessage } from './sip-message';

/** A call this phone placed. */
export class OutgoingCall {
  cseq = 0;
  branch = '';
  final?: SipMessage;

  constructor(
    private readonly phone: Phone,
    readonly callId: string,
    private readonly uri: string,
    private readonly fromTag: string,
  ) {}

  /** ACK for a final response (RFC 3261 §17.1.1.3 for non-2xx, §13.2.2.4 for 2xx). */
  ack(r: SipMessage): void {
    const twoxx = (r.status ?? 0) < 300;
    const target = twoxx ? (/<([^>]+)>/.exec(r.header('Contact') ?? '')?.[1] ?? this.uri) : this.uri;
    this.phone.send([
      `ACK ${target} SIP/2.0`,
      this.phone.via(twoxx ? `z9hG4bK${randomBytes(6).toString('hex')}` : this.branch),
      `From: <sip:${this.phone.creds.username}@${this.phone.creds.realm}>;tag=${this.fromTag}`,
      `To: ${r.header('To')}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${this.cseq} ACK`,
      ...(twoxx ? r.headers('Record-Route').reverse().map((rr) => `Route: ${rr}`) : []),
      'Max-Forwards: 70',
    ]);
  }

  /** A re-INVITE in the answered dialog with a new offer; resolves with its final response (a 2xx is ACKed). */
  reInvite(sdp: string, timeoutMs = 5000): Promise<SipMessage> {
    return this.offerInDialog('INVITE', sdp, timeoutMs);
  }

  /** An UPDATE (RFC 3311) in the answered dialog with a new offer; resolves with its final response. */
  update(sdp: string, timeoutMs = 5000): Promise<SipMessage> {
    return this.offerInDialog('UPDATE', sdp, timeoutMs);
  }

  private async offerInDialog(method: 'INVITE' | 'UPDATE', sdp: string, timeoutMs: number): Promise<SipMessage> {
    const r = this.final as SipMessage;
    const target = /<([^>]+)>/.exec(r.header('Contact') ?? '')?.[1] ?? this.uri;
    const cseq = ++this.cseq;
    const lines = (method: string) => [
      `${method} ${target} SIP/2.0`,
      `Via: SIP/2.0/UDP ${this.phone.address}:${this.phone.port};branch=z9hG4bK${randomBytes(6).toString('hex')};rport`,
      `From: <sip:${this.phone.creds.username}@${this.phone.creds.realm}>;tag=${this.fromTag}`,
      `To: ${r.header('To')}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: ${this.phone.contact}`,
      ...r.headers('Record-Route').reverse().map((rr) => `Route: ${rr}`),
      'Max-Forwards: 70',
    ];
    this.phone.send(lines(method), sdp);
    const answer = await this.phone.next(
      (m) => m.status !== undefined && m.status >= 200 && m.header('Call-ID') === this.callId && m.header('CSeq') === `${cseq} ${method}`,
      `in-dialog ${method} final response`,
      timeoutMs,
    );
    if (method === 'INVITE' && (answer.status ?? 0) < 300) this.phone.send(lines('ACK'));
    return answer;
  }

  /** BYE for the answered call. */
  hangUp(): void {
    const r = this.final as SipMessage;
    const target = /<([^>]+)>/.exec(r.header('Contact') ?? '')?.[1] ?? this.uri;
    this.phone.send([
      `BYE ${target} SIP/2.0`,
      this.phone.via(`z9hG4bK${randomBytes(6).toString('hex')}`),
      `From: <sip:${this.phone.creds.username}@${this.phone.creds.realm}>;tag=${this.fromTag}`,
      `To: ${r.header('To')}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${this.cseq + 1} BYE`,
      ...r.headers('Record-Route').reverse().map((rr) => `Route: ${rr}`),
      'Max-Forwards: 70',
    ]);
  }

  /** Sends CANCEL for the pending INVITE. */
  cancel(): void {
    this.phone.send([
      `CANCEL ${this.uri} SIP/2.0`,
      this.phone.via(this.branch),
      `From: <sip:${this.phone.creds.username}@${this.phone.creds.realm}>;tag=${this.fromTag}`,
      `To: <${this.uri}>`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${this.cseq} CANCEL`,
      'Max-Forwards: 70',
    ]);
  }
}
