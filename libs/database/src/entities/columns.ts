import { ValueTransformer } from 'typeorm';

/** pg returns numeric as a string (to keep precision); amounts here fit a double comfortably. */
export const numericTransformer: ValueTransformer = {
  to: (v: number | null | undefined) => v,
  from: (v: string | null) => (v === null ? null : Number(v)),
};
