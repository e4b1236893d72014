import type { InviteCommand, InviteDecision } from '../call/place-call.use-case';
import type { DeviceAccount } from '../register/register.ports';
import type { DialedDestination } from './classify';
import { warningOf } from './classify';
import { refusal } from './legs';
import { trunkAttempts, type TrunkDirectory } from './trunks';

export interface OutboundContext {
  cmd: InviteCommand;
  tenantId: string;
  realm: string;
  defaultCountry: string;
  device: DeviceAccount;
  dialed: string;
  destination: Extract<DialedDestination, { kind: 'external' | 'emergency' }>;
}

/**
 * A device's call to an external number: the trunks of the tenant's outbound routes for it, in the
 * order they are tried, and the caller ID presented to them.
 */
export async function routeOutbound(
  trunks: TrunkDirectory | undefined,
  ctx: OutboundContext,
): Promise<InviteDecision> {
  const { cmd, tenantId, device, destination } = ctx;
  const ids = { tenantId, deviceId: device.id };
  const number = destination.kind === 'external' ? destination.e164 : destination.number;
  const country = destination.kind === 'external' ? destination.country : ctx.defaultCountry.toUpperCase();
  const attempts = trunks
    ? trunkAttempts(await trunks.outboundRoutes(tenantId), await trunks.trunks(tenantId), number)
    : [];
  if (attempts.length === 0)
    return refusal(404, 'Not Found', `no outbound route for ${number}`, {
      ...ids,
      headers: { Warning: warningOf(`no outbound route for ${number}`) },
    });
  const callerId = trunks
    ? await trunks.callerId(tenantId, device.extensionId, device.username)
    : device.username;
  return {
    kind: 'call',
    plan: {
      tenantId,
      realm: ctx.realm,
      direction: 'outbound',
      caller: {
        deviceId: device.id,
        extensionId: device.extensionId,
        username: device.username,
        number: callerId,
      },
      dialed: ctx.dialed,
      destination,
      target: { kind: 'trunk', e164: number, country, attempts },
      sourceIp: cmd.sourceIp,
      sourceCountry: cmd.sourceCountry ?? null,
    },
  };
}
