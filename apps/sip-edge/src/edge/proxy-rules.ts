import type { SipRequest } from '../sip/message';
import { uriOf } from './outgoing-message';
import { uriTarget } from './target-resolver';

// The proxy's rules as pure functions and limits (RFC 3261 §16, drachtio's ProxyCore).

/** Max-Forwards of a request: 70 when absent (§16.6 step 3), 0 when unreadable (so it is refused with 483). */
export function maxForwardsOf(req: SipRequest): number {
  const text = req.headers.get('max-forwards');
  if (text === undefined) return 70;
  return /^\s*\d{1,3}\s*$/.test(text) ? Math.min(255, parseInt(text, 10)) : 0;
}

/** `host:port` of a Contact or Route value, as requests are compared against a dialog's targets. */
export function hostPortOf(value: string): string {
  const t = uriTarget(uriOf(value.split(',')[0]));
  return t ? `${t.host}:${t.port}` : '';
}

/** Early dialogs (distinct To-tags on 1xx) tracked per proxied request. */
export const MAX_EARLY_DIALOGS = 16;

/** 3xx Contacts followed per proxy command, so a redirect loop cannot fan out without end. */
export const MAX_REDIRECTS = 10;

/** drachtio's timeout syntax (`ProxyCore::setProvisionalTimeout`): `<n>ms` or `<n>s`; anything else is none. */
export function parseProxyTimeout(text: string): number {
  const m = /^(\d{1,9})(ms|s)$/.exec(text);
  if (!m) return 0;
  return m[2] === 's' ? Number(m[1]) * 1000 : Number(m[1]);
}

/** RFC 3261 §16.7 step 6 as drachtio orders it (`bestResponseOrder`): 6xx, then 401/407/415/420/484, 4xx, 5xx, the rest. */
export function responseRank(status: number): number {
  if (status >= 600) return 0;
  if ([401, 407, 415, 420, 484].includes(status)) return 1;
  if (status >= 400 && status < 500) return 2;
  if (status >= 500 && status < 600) return 3;
  return 4;
}
