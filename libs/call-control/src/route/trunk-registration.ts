import type { TrunkInfo } from './trunks';

/** What a REGISTER to a carrier carries (RFC 3261 §10.2): its AOR is the trunk's auth username at its host. */
export interface UpstreamRegister {
  uri: string;
  proxy: string;
  aor: string;
  contact: string;
  expires: number;
}

const hostOf = (host: string): string => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

/**
 * The REGISTER for a trunk, with the Contact carriers will send calls to: our address for the
 * trunk's transport, from drachtio's "udp/1.2.3.4:5060,tcp/…" list (the first one if none matches).
 */
export function upstreamRegister(
  trunk: Pick<TrunkInfo, 'host' | 'port' | 'transport' | 'authUsername'> & { registerExpires: number },
  localHostports: string,
): UpstreamRegister | null {
  if (!trunk.authUsername) return null;
  const entries = localHostports
    .split(',')
    .map((e) => e.trim().split('/'))
    .filter((e): e is [string, string] => e.length === 2 && e[1].length > 0);
  const local = entries.find(([proto]) => proto === trunk.transport) ?? entries[0];
  if (!local) return null;
  const host = hostOf(trunk.host);
  const scheme = trunk.transport === 'tls' ? 'sips' : 'sip';
  const user = encodeURIComponent(trunk.authUsername);
  const contactParams = local[0] === 'udp' ? '' : `;transport=${local[0]}`;
  return {
    uri: `${scheme}:${host}:${trunk.port}`,
    proxy: `sip:${host}:${trunk.port};transport=${trunk.transport}`,
    aor: `${scheme}:${user}@${host}`,
    contact: `<sip:${user}@${local[1]}${contactParams}>`,
    expires: trunk.registerExpires,
  };
}

/** The lifetime the registrar granted: our Contact's expires parameter, else Expires, else what we asked. */
export function grantedSeconds(
  contact: string | undefined,
  expires: string | undefined,
  asked: number,
): number {
  const fromContact = /;\s*expires\s*=\s*(\d+)/i.exec(contact ?? '')?.[1];
  const value = Number(fromContact ?? expires ?? asked);
  return Number.isFinite(value) && value >= 0 ? value : asked;
}

/** When to refresh a registration granted for `seconds`: well before it lapses, never more often than every 20 s. */
export function refreshDelayMs(seconds: number): number {
  return Math.max(20, Math.floor(seconds * 0.8)) * 1000;
}

/** Backoff after the n-th consecutive failure (n ≥ 1): 5 s doubling to 5 min, with ±20 % jitter so instances do not align. */
export function retryDelayMs(failures: number, random = Math.random()): number {
  const base = Math.min(5 * 2 ** Math.max(0, failures - 1), 300) * 1000;
  return Math.round(base * (0.8 + 0.4 * random));
}
