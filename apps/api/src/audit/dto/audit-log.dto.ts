import { ApiProperty } from '@nestjs/swagger';

export class AuditVerificationResource {
  @ApiProperty({
    description: 'True when every entry of your chain links to its predecessor and its hash matches',
  })
  valid!: boolean;

  @ApiProperty({ description: 'Entries checked before the first break (all of them when valid)' })
  checked!: number;

  @ApiProperty({ type: String, nullable: true, description: 'Id of the first entry that fails to verify' })
  first_broken_id!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    enum: ['hash_mismatch', 'prev_hash_mismatch', 'personal_mismatch'],
    description:
      'hash_mismatch: the entry was edited; prev_hash_mismatch: an entry before it was removed or reordered; ' +
      'personal_mismatch: its actor email, IP or user agent was edited (erased ones are not checked)',
  })
  reason!: string | null;
}
