import type { InviteDecision, InviteReply, Leg } from '../call/place-call.use-case';
import type { LocationStore } from '../register/register.ports';

/** Where a registered contact is reached: its source address, over its transport (RFC 3261 §18.2.2). */
export function legOf(
  deviceId: string,
  b: { contact: string; sourceIp: string; sourcePort: number; transport: string },
): Leg {
  const host = b.sourceIp.includes(':') ? `[${b.sourceIp}]` : b.sourceIp;
  const transport = b.transport === 'wss' || b.transport === 'ws' ? b.transport : b.transport.toLowerCase();
  return { deviceId, uri: b.contact, proxy: `sip:${host}:${b.sourcePort};transport=${transport}` };
}

/** Every live binding of every device of an extension, but the caller's own device. */
export async function legsOfExtension(
  locations: LocationStore,
  tenantId: string,
  deviceIds: readonly string[],
  now: number,
  exceptDeviceId?: string,
): Promise<Leg[]> {
  const legs: Leg[] = [];
  for (const deviceId of deviceIds) {
    if (deviceId === exceptDeviceId) continue;
    for (const b of await locations.bindings(tenantId, deviceId))
      if (b.expiresAt > now) legs.push(legOf(deviceId, b));
  }
  return legs;
}

/** A final answer instead of a call. */
export const refusal = (
  status: number,
  reason: string,
  why: string,
  extra: Partial<InviteReply> = {},
): InviteDecision => ({
  kind: 'reply',
  reply: { status, reason, headers: {}, why, ...extra },
});
