import { Foundation1763800000000 } from './1763800000000-foundation';
import { Telephony1763900000000 } from './1763900000000-telephony';

/** Every migration, in order. Listed explicitly so compiled and test runs load the same set. */
export const ALL_MIGRATIONS = [Foundation1763800000000, Telephony1763900000000];
