import { policyWarning, type PolicyDecision } from '@pbx/policy';
import type { CallParty, InviteCommand, InviteReply } from '../call/place-call.use-case';
import type { DialedDestination } from '../route/classify';
import type { Authorisation, AuthoriseCallUseCase } from './authorise-call.use-case';

/** A call the policy refused after the caller authenticated: it gets a CDR naming the deciding rule. */
export interface CallDenial {
  tenantId: string;
  caller: CallParty;
  dialed: string;
  /** E.164 for numbers, the digits otherwise. */
  destination: string;
  decision: PolicyDecision;
  sourceIp: string;
  sourceCountry: string | null;
}

export interface GateInput {
  cmd: InviteCommand;
  tenantId: string;
  realm: string;
  caller: CallParty & { deviceId: string };
  dialed: string;
  destination: DialedDestination;
}

export type GateResult = { kind: 'reply'; reply: InviteReply } | { kind: 'pass'; authorisation?: Authorisation };

/**
 * The fraud gate of an INVITE, once the caller is authenticated and the destination classified: the
 * authorise use case decides (an external number is given in E.164) and, for a toll call, takes its
 * counters. A refusal is a 403 whose Warning names the rule, what `POST /policy/simulate` names too,
 * and carries what the denied call's CDR needs.
 */
export async function gateCall(authorise: AuthoriseCallUseCase | undefined, input: GateInput): Promise<GateResult> {
  if (!authorise) return { kind: 'pass' };
  const { cmd, tenantId, caller, destination } = input;
  const dialed = destination.kind === 'external' ? destination.e164 : destination.kind === 'invalid' ? input.dialed : destination.number;
  const authorisation = await authorise.execute({
    tenantId,
    deviceId: caller.deviceId,
    dialed,
    sourceIp: cmd.sourceIp,
    timestamp: cmd.now,
    callId: cmd.callId,
    mode: 'reserve',
  });
  const { decision } = authorisation;
  if (decision.decision !== 'deny') return { kind: 'pass', authorisation };
  return {
    kind: 'reply',
    reply: {
      status: 403,
      reason: 'Forbidden',
      why: `policy: ${decision.ruleId}: ${decision.reason}`,
      tenantId,
      deviceId: caller.deviceId,
      headers: { Warning: policyWarning(decision, input.realm) },
      denial: {
        tenantId,
        caller,
        dialed: input.dialed,
        destination: authorisation.attempt?.destination ?? dialed,
        decision,
        sourceIp: cmd.sourceIp,
        sourceCountry: cmd.sourceCountry ?? null,
      },
    },
  };
}
