import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header names of a signed fraud webhook. */
export const WEBHOOK_HEADERS = { timestamp: 'x-pbx-timestamp', signature: 'x-pbx-signature' } as const;

/**
 * HMAC-SHA256 over `<unix seconds>.<raw body>` (the Stripe/Slack scheme): the timestamp inside the MAC
 * lets a receiver refuse replays older than its tolerance. Sent as `v1=<hex>`.
 */
export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

/** What a receiver runs: constant-time compare, and a timestamp within `toleranceSeconds` of now. */
export function verifyWebhook(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = 300,
): boolean {
  const ts = Number(headers.timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowSeconds - ts) > toleranceSeconds || !headers.signature) return false;
  const expected = Buffer.from(signWebhook(secret, ts, body));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Associated data binding a sealed webhook secret to its tenant: the API seals with it, the worker opens. */
export const webhookSecretAad = (tenantId: string) => `fraud-webhook:${tenantId}`;
