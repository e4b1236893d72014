import type { InviteCommand, InviteDecision } from '../call/place-call.use-case';
import { parseAddress } from '../register/contact-header';
import type { AccountDirectory, LocationStore } from '../register/register.ports';
import { warningOf } from './classify';
import { legsOfExtension, refusal } from './legs';
import { didCandidates, type TrunkDirectory, type TrunkInfo } from './trunks';

/**
 * A carrier's INVITE (its source address is in a trunk's inbound CIDRs): the DID it is for, named by
 * the Request-URI user or else the To user, must belong to a tenant whose trunk it came from; the
 * call rings every registered phone of the DID's extension. Trunks are not challenged: their
 * identity is their address, as carriers expect.
 */
export async function routeInbound(
  ports: { directory: AccountDirectory; locations: LocationStore; trunks: TrunkDirectory },
  cmd: InviteCommand,
  from: readonly TrunkInfo[],
): Promise<InviteDecision> {
  const requestUser = parseAddress(`<${cmd.requestUri}>`)?.user;
  const toUser = parseAddress(cmd.to)?.user;
  let did: Awaited<ReturnType<TrunkDirectory['did']>> = null;
  let number = '';
  for (const candidate of didCandidates(requestUser, toUser)) {
    const d = await ports.trunks.did(candidate);
    if (d && from.some((t) => t.tenantId === d.tenantId)) {
      did = d;
      number = candidate;
      break;
    }
  }
  const shown = (requestUser ?? toUser ?? '').slice(0, 32);
  if (!did)
    return refusal(404, 'Not Found', `no DID ${shown} on the trunks of ${cmd.sourceIp}`, {
      headers: { Warning: warningOf(`no DID ${shown} here`) },
    });
  const trunk =
    from.find((t) => t.tenantId === did.tenantId && t.id === did.trunkId) ??
    from.find((t) => t.tenantId === did.tenantId);
  const ids = { tenantId: did.tenantId };
  const tenant = ports.directory.tenantById ? await ports.directory.tenantById(did.tenantId) : null;
  if (!tenant) return refusal(404, 'Not Found', 'tenant of the DID not found', ids);
  if (tenant.status !== 'active') return refusal(403, 'Forbidden', 'tenant suspended', ids);
  if (!did.extensionNumber)
    return refusal(404, 'Not Found', `DID ${number} rings no extension`, {
      ...ids,
      headers: { Warning: warningOf(`DID ${number} is not assigned`) },
    });
  const ext = await ports.directory.extension(did.tenantId, did.extensionNumber);
  if (!ext) return refusal(404, 'Not Found', `the extension of DID ${number} is gone`, ids);
  const legs = await legsOfExtension(ports.locations, did.tenantId, ext.deviceIds, cmd.now);
  if (legs.length === 0)
    return refusal(480, 'Temporarily Unavailable', `extension ${ext.number} has no registered phone`, ids);
  const callerNumber = (parseAddress(cmd.from)?.user ?? 'anonymous').slice(0, 64);
  return {
    kind: 'call',
    plan: {
      tenantId: did.tenantId,
      realm: tenant.realm,
      direction: 'inbound',
      caller: {
        deviceId: null,
        extensionId: null,
        username: callerNumber,
        number: callerNumber,
        trunkId: trunk?.id,
        trunkMaxChannels: trunk?.maxChannels ?? null,
      },
      dialed: number,
      target: { kind: 'extension', extensionId: ext.id, number: ext.number, legs },
      sourceIp: cmd.sourceIp,
      sourceCountry: cmd.sourceCountry ?? null,
    },
  };
}
