import { createHash, createHmac, randomBytes } from 'node:crypto';
import type Srf from 'drachtio-srf';
import { onMethod } from './srf-app';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

function parseDigest(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  header.replace(/^Digest\s+/i, '').replace(/(\w+)=("([^"]*)"|[^,\s]*)/g, (_m, k: string, v: string, q?: string) => {
    out[k.toLowerCase()] = q ?? v;
    return '';
  });
  return out;
}

export interface RegistrarStats {
  challenged: number;
  registered: number;
  rejected: number;
  contacts: Map<string, { contact: string; source: string }>;
}

/**
 * A tiny MD5 digest registrar on drachtio-srf: stateless HMAC nonces valid 60 s, every user's password
 * `password`. Answers 401 without credentials, 403 for a wrong response, 200 with the Contact otherwise.
 */
export function installRegistrar(srf: Srf, realm: string, password = 'pw'): RegistrarStats {
  const key = randomBytes(32);
  const stats: RegistrarStats = { challenged: 0, registered: 0, rejected: 0, contacts: new Map() };
  const nonce = () => {
    const t = Date.now().toString(16);
    return `${t}.${createHmac('sha256', key).update(t).digest('hex').slice(0, 16)}`;
  };
  const nonceOk = (n: string | undefined) => {
    const [t, mac] = (n ?? '').split('.');
    return !!t && mac === createHmac('sha256', key).update(t).digest('hex').slice(0, 16) && Date.now() - parseInt(t, 16) < 60_000;
  };
  onMethod(srf, 'register', (req, res) => {
    const header = req.get('Authorization');
    if (!header) {
      stats.challenged++;
      res.send(401, { headers: { 'WWW-Authenticate': `Digest realm="${realm}", nonce="${nonce()}", algorithm=MD5, qop="auth"` } });
      return;
    }
    const a = parseDigest(header);
    const ha1 = md5(`${a.username}:${a.realm}:${password}`);
    const ha2 = md5(`REGISTER:${a.uri}`);
    const expected = a.qop ? md5(`${ha1}:${a.nonce}:${a.nc}:${a.cnonce}:${a.qop}:${ha2}`) : md5(`${ha1}:${a.nonce}:${ha2}`);
    if (!nonceOk(a.nonce) || expected !== a.response) {
      stats.rejected++;
      res.send(403);
      return;
    }
    stats.registered++;
    stats.contacts.set(a.username, { contact: req.get('Contact'), source: `${req.protocol}:${req.source_address}:${req.source_port}` });
    res.send(200, { headers: { Contact: req.get('Contact'), Expires: '300' } });
  });
  return stats;
}
