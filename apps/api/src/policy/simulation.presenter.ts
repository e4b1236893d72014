import { ApiProperty } from '@nestjs/swagger';
import type { Evaluation } from '@pbx/call-control';

export class DecisionLimitsResource {
  @ApiProperty({ type: Number, nullable: true }) max_duration_seconds!: number | null;
  @ApiProperty({ type: Number, nullable: true }) max_concurrent!: number | null;
}

export class NormalizedDestinationResource {
  @ApiProperty({ enum: ['e164', 'internal', 'emergency', 'invalid'] }) kind!: string;
  @ApiProperty({ type: String, nullable: true, example: '+442079460018', description: 'E.164, extension or emergency digits' })
  number!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why the dialed string is invalid' }) reason!: string | null;
}

export class TraceStepResource {
  @ApiProperty({ example: 'destination' }) step!: string;
  @ApiProperty({ enum: ['pass', 'skip', 'match', 'allow', 'deny', 'step_up'] }) outcome!: string;
  @ApiProperty() detail!: string;
}

export class SimulationResource {
  @ApiProperty({ enum: ['allow', 'deny', 'step_up'] }) decision!: string;
  @ApiProperty({ example: 'country:FR', description: 'The step or rule that decided, as a readable label' }) rule_id!: string;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The destination or source rule row that decided (the one to edit); null when no single row did',
  })
  deciding_rule_id!: string | null;
  @ApiProperty() reason!: string;
  @ApiProperty({ type: DecisionLimitsResource, nullable: true }) limits!: DecisionLimitsResource | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Set when a spend cap was crossed' }) escalate_lock_level!: number | null;
  @ApiProperty({ type: String, nullable: true, enum: ['emergency', 'internal', 'national', 'international'] }) scope!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Destination country; ZZ when unknown' }) country!: string | null;
  @ApiProperty({ type: String, nullable: true, enum: ['low', 'high_risk', 'fraud'] }) tier!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Cost of the first billable unit' }) estimated_cost!: number | null;
  @ApiProperty({ type: NormalizedDestinationResource }) normalized_destination!: NormalizedDestinationResource;
  @ApiProperty({ type: String, nullable: true, description: 'Geolocated source IP country; null for private or unlisted addresses' })
  source_country!: string | null;
  @ApiProperty({ type: TraceStepResource, isArray: true }) trace!: TraceStepResource[];
}

export function presentSimulation(e: Evaluation): SimulationResource {
  const d = e.decision;
  const n = e.normalized;
  return {
    decision: d.decision,
    rule_id: d.ruleId,
    deciding_rule_id: d.decidingRuleId ?? null,
    reason: d.reason,
    limits: d.limits
      ? { max_duration_seconds: d.limits.maxDurationSeconds ?? null, max_concurrent: d.limits.maxConcurrent ?? null }
      : null,
    escalate_lock_level: d.escalateLockLevel ?? null,
    scope: d.scope ?? null,
    country: d.country ?? null,
    tier: d.tier ?? null,
    estimated_cost: d.estimatedCost ?? null,
    normalized_destination: {
      kind: n.kind,
      number: n.kind === 'e164' ? n.e164 : n.kind === 'emergency' ? n.number : n.kind === 'internal' ? n.extension : null,
      reason: n.kind === 'invalid' ? n.reason : null,
    },
    source_country: e.sourceCountry ?? null,
    trace: (d.trace ?? []).map((t) => ({ step: t.step, outcome: t.outcome, detail: t.detail })),
  };
}
