import { randomBytes } from 'node:crypto';
import { computeDigestResponse, computeHa1, type SipDigestAlgorithm } from '../../../libs/common/src';
import { openWire, type ClientTransport, type Wire } from './wire';

export type { ClientTransport } from './wire';

export interface SipResponse {
  status: number;
  reason: string;
  raw: string;
  headers(name: string): string[];
}

function parse(raw: string): SipResponse {
  const [head] = raw.split('\r\n\r\n');
  const lines = head.split('\r\n');
  const m = /^SIP\/2\.0 (\d{3}) (.*)$/.exec(lines[0]) ?? ['', '0', ''];
  return {
    status: Number(m[1]),
    reason: m[2],
    raw,
    headers: (name) =>
      lines
        .slice(1)
        .filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
        .map((l) => l.slice(name.length + 1).trim()),
  };
}

export interface Challenge {
  realm: string;
  nonce: string;
  algorithm: SipDigestAlgorithm;
  stale: boolean;
}

export function challengesOf(r: SipResponse): Challenge[] {
  return r.headers('WWW-Authenticate').map((h) => ({
    realm: /realm="([^"]*)"/.exec(h)?.[1] ?? '',
    nonce: /nonce="([^"]*)"/.exec(h)?.[1] ?? '',
    algorithm: (/algorithm=([A-Za-z0-9-]+)/.exec(h)?.[1] ?? 'MD5') as SipDigestAlgorithm,
    stale: /stale=true/i.test(h),
  }));
}

export interface Credentials {
  username: string;
  password: string;
  realm: string;
}

/** Builds an Authorization header value for REGISTER the way a phone does (qop=auth). */
export function authorization(
  c: Credentials,
  ch: { nonce: string; algorithm: SipDigestAlgorithm },
  uri: string,
  nc = 1,
  cnonce = randomBytes(6).toString('hex'),
): string {
  const ncHex = nc.toString(16).padStart(8, '0');
  const ha1 = computeHa1(ch.algorithm, c.username, c.realm, c.password);
  const response = computeDigestResponse({ algorithm: ch.algorithm, ha1, method: 'REGISTER', uri, nonce: ch.nonce, qop: 'auth', nc: ncHex, cnonce });
  return `Digest username="${c.username}", realm="${c.realm}", nonce="${ch.nonce}", uri="${uri}", response="${response}", algorithm=${ch.algorithm}, qop=auth, nc=${ncHex}, cnonce="${cnonce}"`;
}

/**
 * A phone's REGISTER side over UDP from a chosen loopback address (127.0.0.66 and the like, so tests
 * can be banned without banning the stack). Sends exactly what a test asks for.
 */
export class RegisterClient {
  private readonly inbox: string[] = [];
  private cseq = 0;
  readonly callId = `${randomBytes(8).toString('hex')}@test`;
  private wire!: Wire;

  private constructor(
    readonly address: string,
    readonly transport: ClientTransport,
  ) {}

  static async open(
    server: { host: string; port: number },
    address = '127.0.0.1',
    transport: ClientTransport = 'udp',
  ): Promise<RegisterClient> {
    const c = new RegisterClient(address, transport);
    c.wire = await openWire(server, address, transport, (text) => c.inbox.push(text));
    return c;
  }

  get port(): number {
    return this.wire.port;
  }

  /** One REGISTER transaction; resolves with its final response, or null when nothing answers in time. */
  async register(
    aor: { user: string; realm: string },
    opts: { authorization?: string; contact?: string; expires?: number; headers?: string[]; timeoutMs?: number } = {},
  ): Promise<SipResponse | null> {
    const cseq = ++this.cseq;
    const branch = `z9hG4bK${randomBytes(8).toString('hex')}`;
    const lines = [
      `REGISTER sip:${aor.realm} SIP/2.0`,
      `Via: SIP/2.0/${this.transport.toUpperCase()} ${this.address}:${this.port};branch=${branch};rport`,
      `From: <sip:${aor.user}@${aor.realm}>;tag=${this.port}`,
      `To: <sip:${aor.user}@${aor.realm}>`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${cseq} REGISTER`,
      `Max-Forwards: 70`,
      ...(opts.contact === '' ? [] : [`Contact: ${opts.contact ?? `<sip:${aor.user}@${this.address}:${this.port}${this.transport === 'udp' ? '' : `;transport=${this.transport}`}>`}`]),
      ...(opts.expires !== undefined ? [`Expires: ${opts.expires}`] : []),
      ...(opts.authorization ? [`Authorization: ${opts.authorization}`] : []),
      ...(opts.headers ?? []),
      'Content-Length: 0',
      '',
      '',
    ];
    this.wire.send(lines.join('\r\n'));
    const deadline = Date.now() + (opts.timeoutMs ?? 3000);
    while (Date.now() < deadline) {
      const i = this.inbox.findIndex((m) => m.includes(branch) && /^SIP\/2\.0 [2-6]\d\d /.test(m));
      if (i >= 0) return parse(this.inbox.splice(i, 1)[0]);
      await new Promise((r) => setTimeout(r, 10));
    }
    return null;
  }

  /** REGISTER, 401, REGISTER with credentials: the final answer and the challenge used. */
  async login(
    c: Credentials,
    opts: { algorithm?: SipDigestAlgorithm; contact?: string; expires?: number; headers?: string[] } = {},
  ): Promise<{ first: SipResponse | null; final: SipResponse | null; authorization?: string }> {
    const aor = { user: c.username, realm: c.realm };
    const first = await this.register(aor, opts);
    if (!first || first.status !== 401) return { first, final: first };
    const ch = challengesOf(first).find((x) => x.algorithm === (opts.algorithm ?? 'SHA-256')) ?? challengesOf(first)[0];
    const auth = authorization(c, ch, `sip:${c.realm}`);
    return { first, final: await this.register(aor, { ...opts, authorization: auth }), authorization: auth };
  }

  close(): void {
    this.wire.close();
  }
}
