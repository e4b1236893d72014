import type { NaptrRecord, SrvRecord } from 'node:dns';

/** A random number in [0, 1), like `Math.random`; injectable so weighted selection is testable. */
export type RandomSource = () => number;

/**
 * RFC 2782 target selection: ascending priority; within one priority, repeatedly pick a record with
 * probability proportional to its weight (zero-weight records first, so they get a small chance).
 * Returns every usable record in the order to try them. A sole target of "." means "no service here".
 */
export function orderSrv(records: readonly SrvRecord[], random: RandomSource = Math.random): SrvRecord[] {
  const usable = records.filter((r) => r.name !== '' && r.name !== '.');
  const priorities = [...new Set(usable.map((r) => r.priority))].sort((a, b) => a - b);
  const out: SrvRecord[] = [];
  for (const priority of priorities) {
    const left = usable.filter((r) => r.priority === priority).sort((a, b) => (a.weight === 0 ? 0 : 1) - (b.weight === 0 ? 0 : 1));
    while (left.length > 0) {
      const total = left.reduce((sum, r) => sum + r.weight, 0);
      const pick = Math.floor(random() * (total + 1));
      let running = 0;
      let index = left.length - 1;
      for (let i = 0; i < left.length; i++) {
        running += left[i].weight;
        if (running >= pick) {
          index = i;
          break;
        }
      }
      out.push(left.splice(index, 1)[0]);
    }
  }
  return out;
}

/** NAPTR records in the order RFC 3403 §4.1 gives them: ascending order, then ascending preference. */
export function orderNaptr(records: readonly NaptrRecord[]): NaptrRecord[] {
  return [...records].sort((a, b) => a.order - b.order || a.preference - b.preference);
}
