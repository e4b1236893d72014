import { createHash, createHmac, randomBytes } from 'node:crypto';
import Srf from 'drachtio-srf';

/** Bench registrar: MD5 digest with stateless HMAC nonces, every password `pw` (one process per instance). */
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
// Shared by every instance: the challenge and the answer may land on different apps (round robin).
const key = process.env.NONCE_KEY ? Buffer.from(process.env.NONCE_KEY, 'hex') : randomBytes(32);
const realm = '127.0.0.1';

function parseDigest(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  header.replace(/^Digest\s+/i, '').replace(/(\w+)=("([^"]*)"|[^,\s]*)/g, (_m, k: string, v: string, q?: string) => {
    out[k.toLowerCase()] = q ?? v;
    return '';
  });
  return out;
}

function nonce(): string {
  const t = Date.now().toString(16);
  return `${t}.${createHmac('sha256', key).update(t).digest('hex').slice(0, 16)}`;
}

function nonceOk(n: string | undefined): boolean {
  const [t, mac] = (n ?? '').split('.');
  return !!t && mac === createHmac('sha256', key).update(t).digest('hex').slice(0, 16) && Date.now() - parseInt(t, 16) < 60_000;
}

const srf = new Srf();
srf.connect({ host: '127.0.0.1', port: Number(process.env.ADMIN_PORT), secret: process.env.EDGE_SECRET ?? '' });
srf.on('connect', (err: unknown) => process.send?.(err ? { error: String(err) } : { ready: true }));
srf.on('error', () => undefined);
srf.use('register', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
  const header = req.get('Authorization');
  if (!header) {
    res.send(401, { headers: { 'WWW-Authenticate': `Digest realm="${realm}", nonce="${nonce()}", algorithm=MD5, qop="auth"` } });
    return;
  }
  const a = parseDigest(header);
  const ha1 = md5(`${a.username}:${a.realm}:pw`);
  const ha2 = md5(`REGISTER:${a.uri}`);
  const expected = md5(`${ha1}:${a.nonce}:${a.nc}:${a.cnonce}:${a.qop}:${ha2}`);
  if (!nonceOk(a.nonce) || expected !== a.response) return void res.send(403);
  res.send(200, { headers: { Contact: req.get('Contact'), Expires: '300' } });
});
