import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { maskPhoneNumber } from '@pbx/common';
import type { CdrEntity, CdrMediaQuality } from '@pbx/database';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export class CdrResource {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) tenant_id!: string;
  @ApiProperty({ description: 'SIP Call-ID' }) call_id!: string;
  @ApiProperty({ enum: ['inbound', 'outbound', 'internal'] }) direction!: string;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) device_id!: string | null;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) extension_id!: string | null;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) trunk_id!: string | null;
  @ApiProperty({
    example: '+44 •••• 0000',
    description: 'Masked (country code and last digits) unless you hold cdrs.view_numbers',
  })
  from_number!: string;
  @ApiProperty({ example: '+1 •••• 0143', description: 'Masked like from_number' }) to_number!: string;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'GB' }) destination_country!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) source_ip!: string | null;
  @ApiProperty({ format: 'date-time' }) started_at!: string;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) answered_at!: string | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) ended_at!: string | null;
  @ApiProperty() duration_seconds!: number;
  @ApiProperty() billable_seconds!: number;
  @ApiProperty({ enum: ['answered', 'busy', 'no_answer', 'failed', 'cancelled', 'denied'] })
  disposition!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) hangup_cause!: string | null;
  @ApiProperty({ example: 0.0125, description: 'In the rate table currency' }) cost!: number;
  @ApiPropertyOptional({ type: String, nullable: true }) policy_decision!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Readable label of what decided, e.g. country:FR' })
  policy_rule_id!: string | null;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'The rule row that decided, when one did' })
  deciding_rule_id!: string | null;
  @ApiPropertyOptional({
    type: Object,
    nullable: true,
    description:
      'Per leg (caller, callee): RTP packets and bytes received, packet loss %, jitter and round trip in ms, MOS (1-5) with its source (rtpengine or an E-model estimate); null when the media was not anchored',
    example: { caller: { packets: 1500, bytes: 258000, packetsLostPercent: 0, jitterMs: 2, roundTripMs: 1.2, mos: 4.3, mosSource: 'rtpengine' }, callee: null },
  })
  media_quality!: CdrMediaQuality | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export function presentCdr(c: CdrEntity, revealNumbers: boolean): CdrResource {
  const number = (n: string) => (revealNumbers ? n : maskPhoneNumber(n));
  return {
    id: c.id,
    tenant_id: c.tenantId,
    call_id: c.callId,
    direction: c.direction,
    device_id: c.deviceId,
    extension_id: c.extensionId,
    trunk_id: c.trunkId,
    from_number: number(c.fromNumber),
    to_number: number(c.toNumber),
    destination_country: c.destinationCountry,
    source_ip: c.sourceIp,
    started_at: c.startedAt.toISOString(),
    answered_at: iso(c.answeredAt),
    ended_at: iso(c.endedAt),
    duration_seconds: c.durationSeconds,
    billable_seconds: c.billableSeconds,
    disposition: c.disposition,
    hangup_cause: c.hangupCause,
    cost: c.cost,
    policy_decision: c.policyDecision,
    policy_rule_id: c.policyRuleId,
    deciding_rule_id: c.decidingRuleId,
    media_quality: c.mediaQuality ?? null,
    created_at: c.createdAt.toISOString(),
  };
}

/** CSV columns, in order; the values are the JSON resource's, so both formats mask alike. */
// media_quality is nested (per leg): JSON only.
export const CDR_CSV_COLUMNS: ReadonlyArray<Exclude<keyof CdrResource, 'media_quality'>> = [
  'id',
  'call_id',
  'started_at',
  'answered_at',
  'ended_at',
  'direction',
  'from_number',
  'to_number',
  'destination_country',
  'disposition',
  'hangup_cause',
  'duration_seconds',
  'billable_seconds',
  'cost',
  'device_id',
  'extension_id',
  'trunk_id',
  'source_ip',
  'policy_decision',
  'policy_rule_id',
  'deciding_rule_id',
];
