import type Srf from 'drachtio-srf';

export interface Reply {
  status: number;
  reason: string;
  headers: Record<string, string>;
  challenges?: string[];
}

/**
 * Sends a use case's answer. srf takes one string per header name and joins repeats with commas,
 * but WWW-Authenticate values must each be their own header line (RFC 3261 §7.3.1): the extra
 * values are carried as further lines inside the one value.
 */
export function sendReply(res: Srf.SrfResponse, r: Reply): void {
  const headers: Record<string, string> = { ...r.headers };
  if (r.challenges?.length) headers['WWW-Authenticate'] = r.challenges.join('\r\nWWW-Authenticate: ');
  res.send(r.status, r.reason, { headers });
}
