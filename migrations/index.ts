import { Foundation1763800000000 } from './1763800000000-foundation';
import { Telephony1763900000000 } from './1763900000000-telephony';
import { TenantCompositeKeys1764000000000 } from './1764000000000-tenant-composite-keys';
import { NumberAssignments1764000001000 } from './1764000001000-number-assignments';
import { PersonalData1764000002000 } from './1764000002000-personal-data';
import { TrunkRegistration1765000100000 } from './1765000100000-trunk-registration';
import { FraudResponse1765000350000 } from './1765000350000-fraud-response';
import { Media1765000400000 } from './1765000400000-media';

/** Every migration, in order. Listed explicitly so compiled and test runs load the same set. */
export const ALL_MIGRATIONS = [
  Foundation1763800000000,
  Telephony1763900000000,
  TenantCompositeKeys1764000000000,
  NumberAssignments1764000001000,
  PersonalData1764000002000,
  TrunkRegistration1765000100000,
  FraudResponse1765000350000,
  Media1765000400000,
];
