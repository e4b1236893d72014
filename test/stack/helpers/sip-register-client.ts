import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import WebSocket from 'ws';

/** What a softphone is told by `npm run up` (one `softphone:` line). */
export interface SoftphoneSettings {
  transport: string;
  host: string;
  port: number;
  url?: string;
  domain: string;
  username: string;
  password: string;
  ca: string;
}

export interface RegisterOutcome {
  /** Final status of each REGISTER sent: [challenge] or [challenge, answer]. */
  statuses: number[];
  /** The algorithm this client answered with (the first offered that it supports, RFC 8760 §2.4). */
  algorithm?: string;
  finalReason: string;
}

interface SipResponse {
  status: number;
  reason: string;
  headers: Array<[string, string]>;
}

const ALGORITHMS: Record<string, string> = { 'SHA-256': 'sha256', MD5: 'md5' };
const rand = (n = 8) => randomBytes(n).toString('hex');

function parseResponse(text: string): SipResponse {
  const [head] = text.split('\r\n\r\n');
  const [statusLine, ...lines] = head.split('\r\n');
  const m = /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(statusLine);
  if (!m) throw new Error(`not a SIP response: ${statusLine}`);
  const headers = lines.map((l): [string, string] => [
    l.slice(0, l.indexOf(':')).trim().toLowerCase(),
    l.slice(l.indexOf(':') + 1).trim(),
  ]);
  return { status: Number(m[1]), reason: m[2], headers };
}

function authParams(challenge: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of challenge
    .replace(/^Digest\s+/i, '')
    .matchAll(/([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|([^\s,]+))/g))
    out[m[1].toLowerCase()] = m[2] ?? m[3];
  return out;
}

/**
 * A deliberately independent RFC 7616 digest client (not the server's code): it answers the first
 * challenge whose algorithm it knows, with qop=auth, as a compliant RFC 8760 phone does.
 */
function authorization(
  res: SipResponse,
  s: SoftphoneSettings,
  uri: string,
): { header: string; algorithm: string } {
  // Each challenge should have its own header (RFC 3261 §7.3.1), but accept comma-joined ones too.
  const challenges = res.headers
    .filter(([n]) => n === 'www-authenticate')
    .flatMap(([, v]) => v.split(/,\s*(?=Digest\s)/i))
    .map(authParams);
  const c = challenges.find((p) => ALGORITHMS[(p.algorithm ?? 'MD5').toUpperCase()]);
  if (!c) throw new Error(`no supported digest challenge in ${JSON.stringify(challenges)}`);
  const algorithm = (c.algorithm ?? 'MD5').toUpperCase();
  const h = (v: string) => createHash(ALGORITHMS[algorithm]).update(v).digest('hex');
  const cnonce = rand();
  const nc = '00000001';
  const ha1 = h(`${s.username}:${c.realm}:${s.password}`);
  const response = h(`${ha1}:${c.nonce}:${nc}:${cnonce}:auth:${h(`REGISTER:${uri}`)}`);
  const opaque = c.opaque !== undefined ? `, opaque="${c.opaque}"` : '';
  return {
    algorithm,
    header: `Digest username="${s.username}", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", response="${response}", algorithm=${algorithm}, qop=auth, nc=${nc}, cnonce="${cnonce}"${opaque}`,
  };
}

/** One connection that sends a request and yields its final response (1xx skipped). */
interface Channel {
  localPort: number;
  viaTransport: string;
  request(text: string): Promise<SipResponse>;
  close(): void;
}

function finalResponses(onFinal: (r: SipResponse) => void) {
  return (text: string) => {
    const r = parseResponse(text);
    if (r.status >= 200) onFinal(r);
  };
}

/** TLS that verifies the edge's certificate against the CA it was told to trust, as a phone should. */
async function tlsChannel(s: SoftphoneSettings, ca: Buffer): Promise<Channel> {
  const socket: TLSSocket = await new Promise((resolve, reject) => {
    const sock = connect(
      { host: s.host, port: s.port, ca, servername: isIP(s.host) ? undefined : s.host },
      () => resolve(sock),
    );
    sock.once('error', reject);
  });
  let buffer = '';
  let waiting: ((r: SipResponse) => void) | undefined;
  const deliver = finalResponses((r) => waiting?.(r));
  socket.on('data', (d: Buffer) => {
    buffer += d.toString('utf8');
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(buffer.slice(0, end))?.[1] ?? 0);
      if (buffer.length < end + 4 + length) return;
      deliver(buffer.slice(0, end + 4 + length));
      buffer = buffer.slice(end + 4 + length);
    }
  });
  return {
    localPort: socket.localPort ?? 0,
    viaTransport: 'TLS',
    request: (text) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no final response within 10 s')), 10_000);
        waiting = (r) => {
          clearTimeout(timer);
          resolve(r);
        };
        socket.write(text);
      }),
    close: () => socket.destroy(),
  };
}

/** SIP over secure WebSocket (RFC 7118), subprotocol "sip", same CA. */
async function wssChannel(s: SoftphoneSettings, ca: Buffer): Promise<Channel> {
  const ws = new WebSocket(s.url ?? `wss://${s.host}:${s.port}/`, 'sip', { ca });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let waiting: ((r: SipResponse) => void) | undefined;
  const deliver = finalResponses((r) => waiting?.(r));
  ws.on('message', (d: WebSocket.RawData) => deliver(Buffer.isBuffer(d) ? d.toString('utf8') : String(d)));
  return {
    localPort: 0,
    viaTransport: 'WSS',
    request: (text) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no final response within 10 s')), 10_000);
        waiting = (r) => {
          clearTimeout(timer);
          resolve(r);
        };
        ws.send(text);
      }),
    close: () => ws.terminate(),
  };
}

/** REGISTER, the 401 challenge, REGISTER with credentials: what a phone does with the settings it was given. */
export async function registerWith(s: SoftphoneSettings, ca: Buffer): Promise<RegisterOutcome> {
  const ch = s.transport === 'wss' ? await wssChannel(s, ca) : await tlsChannel(s, ca);
  try {
    const uri = `sip:${s.domain}`;
    const callId = rand(12);
    const tag = rand();
    const viaHost = ch.viaTransport === 'WSS' ? `${rand(4)}.invalid` : `127.0.0.1:${ch.localPort}`;
    const contactHost =
      ch.viaTransport === 'WSS'
        ? `${rand(4)}.invalid;transport=ws`
        : `127.0.0.1:${ch.localPort};transport=tls`;
    const register = (cseq: number, auth?: string) =>
      [
        `REGISTER ${uri} SIP/2.0`,
        `Via: SIP/2.0/${ch.viaTransport} ${viaHost};branch=z9hG4bK${rand()};rport`,
        'Max-Forwards: 70',
        `From: <sip:${s.username}@${s.domain}>;tag=${tag}`,
        `To: <sip:${s.username}@${s.domain}>`,
        `Call-ID: ${callId}`,
        `CSeq: ${cseq} REGISTER`,
        `Contact: <sip:${s.username}@${contactHost}>`,
        'Expires: 60',
        'User-Agent: pbx-stack-test',
        ...(auth ? [`Authorization: ${auth}`] : []),
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
    const first = await ch.request(register(1));
    if (first.status !== 401) return { statuses: [first.status], finalReason: first.reason };
    const { header, algorithm } = authorization(first, s, uri);
    const second = await ch.request(register(2, header));
    return { statuses: [401, second.status], algorithm, finalReason: second.reason };
  } finally {
    ch.close();
  }
}
