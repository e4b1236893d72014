import { isUuid } from './ids';
import type { SipCommand } from './redis-keys';

/** A `sipCommands` message, checked: anything else on the channel is ignored, never acted on. */
export function parseSipCommand(raw: string): SipCommand | null {
  let d: unknown;
  try {
    d = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof d !== 'object' || d === null) return null;
  const c = d as Record<string, unknown>;
  if (typeof c.tenantId !== 'string' || !isUuid(c.tenantId)) return null;
  if (typeof c.requestedBy !== 'string' || c.requestedBy.length > 200) return null;
  const reason = typeof c.reason === 'string' ? c.reason.slice(0, 120) : undefined;
  if (c.op === 'hangup' && typeof c.callId === 'string' && c.callId.length > 0 && c.callId.length <= 256)
    return { op: 'hangup', tenantId: c.tenantId, callId: c.callId, requestedBy: c.requestedBy, reason };
  if (c.op === 'hangup-device' && typeof c.deviceId === 'string' && isUuid(c.deviceId))
    return { op: 'hangup-device', tenantId: c.tenantId, deviceId: c.deviceId, requestedBy: c.requestedBy, reason };
  return null;
}
