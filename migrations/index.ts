import { Foundation1763800000000 } from './1763800000000-foundation';

/** Every migration, in order. Listed explicitly so compiled and test runs load the same set. */
export const ALL_MIGRATIONS = [Foundation1763800000000];
