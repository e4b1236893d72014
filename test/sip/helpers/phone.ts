import { randomBytes } from 'node:crypto';
import { computeDigestResponse, computeHa1, type SipDigestAlgorithm } from '../../../libs/common/src';
import type { Credentials } from './register-client';
import { OutgoingCall } from './outgoing-call';
import { OFFER, parseSip, type SipMessage } from './sip-message';
import { openWire, type ClientTransport, type Wire } from './wire';

export { OutgoingCall } from './outgoing-call';
export { OFFER, parseSip, type SipMessage } from './sip-message';

export type AnswerMode = { kind: 'answer'; afterMs?: number; earlyMedia?: boolean } | { kind: 'busy' } | { kind: 'ignore' } | { kind: 'ring' };

/**
 * A SIP phone on loopback over UDP, TCP or TLS, enough for call tests: registers with digest, answers
 * INVITEs as told (ring then 200 with SDP, 486, or ring for ever), places calls answering 407, sends ACK
 * and BYE, and records every message it gets. Over TCP and TLS it keeps one connection, which is the
 * one the PBX reaches it on (RFC 5626's flow).
 */
export class Phone {
  readonly inbox: SipMessage[] = [];
  answerMode: AnswerMode = { kind: 'answer', afterMs: 50 };
  /** The SDP this phone answers with; by default an SDES-SRTP one (OFFER) on a port derived from its own. */
  answerSdp?: string;
  /** Dialogs this phone answered, by Call-ID: what it needs to send BYE. */
  readonly answered = new Map<string, { invite: SipMessage; toTag: string }>();
  private cseq = 1;
  /** INVITEs received, by Call-ID (the inbox may have been consumed by a test). */
  private readonly invites = new Map<string, SipMessage>();
  private readonly cancelled = new Set<string>();
  /** Calls this phone placed, by Call-ID, from the moment their INVITE is sent. */
  readonly outgoing = new Map<string, OutgoingCall>();

  private wire!: Wire;

  private constructor(
    readonly address: string,
    private readonly server: { host: string; port: number },
    readonly creds: Credentials,
  ) {}

  static async open(
    server: { host: string; port: number },
    creds: Credentials,
    address = '127.0.0.1',
    transport: ClientTransport = 'udp',
    tls: { ca?: Buffer; servername?: string } = {},
  ): Promise<Phone> {
    const p = new Phone(address, server, creds);
    p.wire = await openWire(server, address, transport, (text) => p.onMessage(parseSip(text)), tls);
    return p;
  }

  get port(): number {
    return this.wire.port;
  }

  get transport(): ClientTransport {
    return this.wire.transport;
  }

  get contact(): string {
    const params = this.transport === 'udp' ? '' : `;transport=${this.transport}`;
    return `<sip:${this.creds.username}@${this.address}:${this.port}${params}>`;
  }

  send(lines: string[], body = ''): void {
    const text = [...lines, ...(body ? ['Content-Type: application/sdp'] : []), `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
    this.wire.send(text);
  }

  /** Waits for, removes and returns the first message matching `pred`. */
  async next(pred: (m: SipMessage) => boolean, what: string, timeoutMs = 5000): Promise<SipMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex(pred);
      if (i >= 0) return this.inbox.splice(i, 1)[0];
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  via(branch: string): string {
    return `Via: SIP/2.0/${this.transport.toUpperCase()} ${this.address}:${this.port};branch=${branch};rport`;
  }

  private authorization(header: string, method: string, uri: string): string {
    const realm = /realm="([^"]*)"/.exec(header)?.[1] ?? '';
    const nonce = /nonce="([^"]*)"/.exec(header)?.[1] ?? '';
    const algorithm = (/algorithm=([A-Za-z0-9-]+)/.exec(header)?.[1] ?? 'MD5') as SipDigestAlgorithm;
    const cnonce = randomBytes(6).toString('hex');
    const ha1 = computeHa1(algorithm, this.creds.username, realm, this.creds.password);
    const response = computeDigestResponse({ algorithm, ha1, method, uri, nonce, qop: 'auth', nc: '00000001', cnonce });
    return `Digest username="${this.creds.username}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=${algorithm}, qop=auth, nc=00000001, cnonce="${cnonce}"`;
  }

  /** REGISTER with digest; resolves with the final status. */
  async register(expires = 300): Promise<number> {
    const callId = `${randomBytes(6).toString('hex')}@phone`;
    const uri = `sip:${this.creds.realm}`;
    const reg = (auth?: string) => {
      const branch = `z9hG4bK${randomBytes(6).toString('hex')}`;
      this.send([
        `REGISTER ${uri} SIP/2.0`,
        this.via(branch),
        `From: <sip:${this.creds.username}@${this.creds.realm}>;tag=r${this.port}`,
        `To: <sip:${this.creds.username}@${this.creds.realm}>`,
        `Call-ID: ${callId}`,
        `CSeq: ${this.cseq++} REGISTER`,
        `Contact: ${this.contact}`,
        `Expires: ${expires}`,
        ...(auth ? [`Authorization: ${auth}`] : []),
      ]);
      return this.next((m) => m.status !== undefined && m.status >= 200 && m.header('Call-ID') === callId, 'REGISTER answer');
    };
    let r = await reg();
    if (r.status === 401) r = await reg(this.authorization(r.headers('WWW-Authenticate')[0], 'REGISTER', uri));
    return r.status ?? 0;
  }

  /** Places a call; answers a 407 once. Resolves with the final response; a 2xx is ACKed. */
  async call(to: string, opts: { sdp?: string; headers?: string[]; timeoutMs?: number } = {}): Promise<OutgoingCall> {
    const callId = `${randomBytes(6).toString('hex')}@phone`;
    const uri = `sip:${to}@${this.creds.realm}`;
    const fromTag = `f${randomBytes(4).toString('hex')}`;
    const sdp = opts.sdp ?? OFFER(40000 + (this.port % 1000) * 2);
    const call = new OutgoingCall(this, callId, uri, fromTag);
    this.outgoing.set(callId, call);
    const invite = (auth?: string) => {
      const branch = `z9hG4bK${randomBytes(6).toString('hex')}`;
      call.cseq = this.cseq++;
      call.branch = branch;
      this.send(
        [
          `INVITE ${uri} SIP/2.0`,
          this.via(branch),
          `From: <sip:${this.creds.username}@${this.creds.realm}>;tag=${fromTag}`,
          `To: <${uri}>`,
          `Call-ID: ${callId}`,
          `CSeq: ${call.cseq} INVITE`,
          `Contact: ${this.contact}`,
          'Max-Forwards: 70',
          ...(auth ? [`Proxy-Authorization: ${auth}`] : []),
          ...(opts.headers ?? []),
        ],
        sdp,
      );
      // This INVITE's own CSeq: a retransmitted 407 to the first INVITE must not pass for the answer to the second.
      const cseq = `${call.cseq} INVITE`;
      return this.next(
        (m) => m.status !== undefined && m.status >= 200 && m.header('Call-ID') === callId && (m.header('CSeq') ?? '').replace(/\s+/g, ' ') === cseq,
        'INVITE final response',
        opts.timeoutMs ?? 10_000,
      );
    };
    let r = await invite();
    if (r.status === 407) {
      call.ack(r);
      r = await invite(this.authorization(r.headers('Proxy-Authenticate')[0], 'INVITE', uri));
    }
    call.final = r;
    call.ack(r);
    return call;
  }

  /** The call with this Call-ID that this phone placed (its INVITE may still be pending). */
  lastInvite(callId: string): OutgoingCall {
    const c = this.outgoing.get(callId);
    if (!c) throw new Error(`no call ${callId} placed`);
    return c;
  }

  /** Ends a call this phone answered. */
  hangUpAnswered(callId: string): void {
    const d = this.answered.get(callId);
    if (!d) throw new Error(`no answered call ${callId}`);
    const from = d.invite.header('From') as string;
    const to = d.invite.header('To') as string;
    const target = /<([^>]+)>/.exec(d.invite.header('Contact') ?? '')?.[1] ?? `sip:${this.server.host}:${this.server.port}`;
    this.send([
      `BYE ${target} SIP/2.0`,
      this.via(`z9hG4bK${randomBytes(6).toString('hex')}`),
      `From: ${to};tag=${d.toTag}`,
      `To: ${from}`,
      `Call-ID: ${callId}`,
      `CSeq: ${this.cseq++} BYE`,
      ...d.invite.headers('Record-Route').map((rr) => `Route: ${rr}`),
    ]);
  }

  close(): void {
    this.wire.close();
  }

  private reply(req: SipMessage, status: string, extra: string[] = [], body = '', toTag?: string): void {
    const to = req.header('To') ?? '';
    this.send(
      [
        `SIP/2.0 ${status}`,
        ...req.headers('Via').map((v) => `Via: ${v}`),
        ...req.headers('Record-Route').map((v) => `Record-Route: ${v}`),
        `From: ${req.header('From')}`,
        `To: ${toTag && !/;tag=/.test(to) ? `${to};tag=${toTag}` : to}`,
        `Call-ID: ${req.header('Call-ID')}`,
        `CSeq: ${req.header('CSeq')}`,
        ...extra,
      ],
      body,
    );
  }

  private onMessage(m: SipMessage): void {
    this.inbox.push(m);
    if (m.method === 'INVITE') {
      this.invites.set(m.header('Call-ID') ?? '', m);
      void this.onInvite(m);
    }
    else if (m.method === 'BYE' || m.method === 'OPTIONS') this.reply(m, '200 OK');
    else if (m.method === 'UPDATE') this.reply(m, '200 OK', [`Contact: ${this.contact}`], this.answerSdp ?? OFFER(42000 + (this.port % 1000) * 2));
    else if (m.method === 'CANCEL') {
      this.cancelled.add(m.header('Call-ID') ?? '');
      this.reply(m, '200 OK');
      const inv = this.invites.get(m.header('Call-ID') ?? '');
      if (inv && !this.answered.has(m.header('Call-ID') ?? '')) this.reply(inv, '487 Request Terminated', [], '', `t${this.port}`);
    }
  }

  private async onInvite(inv: SipMessage): Promise<void> {
    const tag = `t${this.port}`;
    const mode = this.answerMode;
    if (mode.kind === 'ignore') return;
    if (mode.kind === 'busy') return this.reply(inv, '486 Busy Here', [], '', tag);
    const sdp = this.answerSdp ?? OFFER(42000 + (this.port % 1000) * 2);
    if (mode.kind === 'answer' && mode.earlyMedia) this.reply(inv, '183 Session Progress', [`Contact: ${this.contact}`], sdp, tag);
    else this.reply(inv, '180 Ringing', [], '', tag);
    if (mode.kind === 'ring') return;
    await new Promise((r) => setTimeout(r, mode.afterMs ?? 50));
    if (this.cancelled.has(inv.header('Call-ID') ?? '')) return;
    this.answered.set(inv.header('Call-ID') as string, { invite: inv, toTag: tag });
    this.reply(inv, '200 OK', [`Contact: ${this.contact}`], sdp, tag);
  }
}
