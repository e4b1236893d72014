/** A SIP message as the test phones read it, and the SDP offer they send. */
export interface SipMessage {
  raw: string;
  /** Request method, or undefined for a response. */
  method?: string;
  status?: number;
  reason?: string;
  header(name: string): string | undefined;
  headers(name: string): string[];
  body: string;
}

export function parseSip(raw: string): SipMessage {
  const sep = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, sep < 0 ? raw.length : sep).split('\r\n');
  const body = sep < 0 ? '' : raw.slice(sep + 4);
  const res = /^SIP\/2\.0 (\d{3}) (.*)$/.exec(head[0]);
  const req = /^([A-Z]+) \S+ SIP\/2\.0$/.exec(head[0]);
  const all = (name: string) =>
    head
      .slice(1)
      .filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
      .map((l) => l.slice(l.indexOf(':') + 1).trim());
  return {
    raw,
    method: req?.[1],
    status: res ? Number(res[1]) : undefined,
    reason: res?.[2],
    header: (n) => all(n)[0],
    headers: all,
    body,
  };
}

export const OFFER = (port: number, profile = 'RTP/SAVP', extra = 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n') =>
  `v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} ${profile} 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n${extra}`;

/** The rule label in a policy Warning: `399 <host> "deny by <rule>[ rule=<row>]: <reason>"`. */
export const ruleOf = (warning: string | undefined) => /^399 \S+ "deny by ([^\s:"]+(?::[^\s:"]+)*)/.exec(warning ?? '')?.[1];
