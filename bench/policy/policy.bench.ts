/**
 * Policy engine benchmark: `npm run build && node dist/bench/policy/policy.bench.js [decisions]`.
 * Builds a realistic tenant policy, then times decide() on random numbers in batches (throughput,
 * mean) and one by one (percentiles).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  compilePolicy,
  decide,
  DEFAULT_CALLING_CODES,
  type CallAttempt,
  type DevicePolicy,
  type PolicyCounters,
  type PolicyData,
  type PrefixRule,
  type RateEntry,
} from '@pbx/policy';
import { createPrng, randomDigits, randomInt } from '@pbx/policy/testing/prng';

const DECISIONS = Number(process.argv[2] ?? 1_000_000);
const BATCH = 1_000;
const SAMPLES = 200_000;
const next = createPrng(20260322);
const callingCodes = Object.keys(DEFAULT_CALLING_CODES);

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(next() * items.length)];
}

function randomE164(): string {
  const code = pick(callingCodes);
  return `+${code}${randomDigits(next, Math.max(4, randomInt(next, 10, 12) - code.length))}`;
}

function buildPolicy(): PolicyData {
  const prefixRules: PrefixRule[] = [];
  for (let i = 0; i < 5_000; i++) {
    const code = pick(callingCodes);
    const prefix = code + randomDigits(next, randomInt(next, 0, 4));
    prefixRules.push({ id: `rule-${i}`, prefix: `+${prefix}`, action: next() < 0.7 ? 'allow' : 'deny' });
  }
  const rates: RateEntry[] = [];
  for (const code of callingCodes) {
    rates.push({ prefix: code, perMinute: Math.round(next() * 100) / 100 });
    for (let i = 0; i < 60; i++) {
      const perMinute = Math.round(next() * 300) / 100;
      rates.push({
        prefix: code + randomDigits(next, randomInt(next, 1, 4)),
        perMinute,
        firstIncrementSeconds: 30,
      });
    }
  }
  const devices: DevicePolicy[] = [];
  for (let i = 0; i < 500; i++) {
    devices.push({
      deviceId: `dev-${i}`,
      lockLevel: i % 50 === 0 ? 1 : 0,
      limits: { maxConcurrent: 2, maxDurationSeconds: 7200 },
      destinations: {
        prefixRules: Array.from({ length: 10 }, (_, k) => ({
          id: `dev-${i}-${k}`,
          prefix: `+${pick(callingCodes)}${randomDigits(next, 2)}`,
          action: k % 2 === 0 ? ('allow' as const) : ('deny' as const),
        })),
      },
      ...(i % 10 === 0 ? { source: { allowedCidrs: ['10.0.0.0/8', '2001:db8::/32'] } } : {}),
    });
  }
  return {
    tenantId: 'bench-tenant',
    country: 'GB',
    timezone: 'Europe/London',
    lockLevel: 0,
    destinations: { prefixRules, countries: { CU: 'allow', DE: 'deny' } },
    limits: { maxConcurrent: 4, maxCallsPerMinute: 20, maxCallsPerHour: 300, tenantMaxConcurrent: 200 },
    source: { allowedCidrs: ['192.0.2.0/24', '198.51.100.0/24', '10.0.0.0/8'], deniedCountries: ['KP'] },
    spendCaps: { daily: 500, monthly: 10_000 },
    rates,
    stepUp: { firstCalls: 3, maxDurationSeconds: 300 },
    wangiri: { windowSeconds: 3600 },
    internationalHours: { days: [1, 2, 3, 4, 5], start: '07:00', end: '22:00' },
    devices,
  };
}

function buildCounters(): PolicyCounters {
  const deviceCountryCalls: Record<string, number> = {};
  for (const country of Object.values(DEFAULT_CALLING_CODES))
    if (next() < 0.2) deviceCountryCalls[country] = 5;
  return {
    deviceActiveCalls: 0,
    tenantActiveCalls: 40,
    deviceCallsLastMinute: 1,
    deviceCallsLastHour: 12,
    tenantCallsLastMinute: 30,
    tenantCallsLastHour: 900,
    spendToday: 120,
    spendThisMonth: 2_400,
    deviceCountryCalls,
    recentShortInbound: Array.from({ length: 20 }, (_, i) => ({
      number: randomE164(),
      at: Date.now() - i * 60_000,
    })),
  };
}

function buildAttempts(count: number): CallAttempt[] {
  const timestamp = Date.UTC(2026, 2, 4, 12, 0, 0);
  return Array.from({ length: count }, () => {
    const roll = next();
    const kind = roll < 0.01 ? 'emergency' : roll < 0.1 ? 'internal' : 'e164';
    return {
      deviceId: `dev-${randomInt(next, 0, 999)}`,
      destination:
        kind === 'emergency' ? '999' : kind === 'internal' ? String(randomInt(next, 200, 299)) : randomE164(),
      kind,
      sourceIp: next() < 0.5 ? `192.0.2.${randomInt(next, 1, 254)}` : `10.1.${randomInt(next, 0, 255)}.7`,
      sourceCountry: 'GB',
      timestamp,
    };
  });
}

function heapAfterGc(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function main(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const data = buildPolicy();
  const counters = buildCounters();
  const attempts = buildAttempts(100_000);

  const heapBefore = heapAfterGc(gc);
  const compileStart = process.hrtime.bigint();
  const compiled = compilePolicy(data);
  const compileMs = Number(process.hrtime.bigint() - compileStart) / 1e6;
  const heapDelta = heapAfterGc(gc) - heapBefore;

  const outcomes = new Map<string, number>();
  for (const attempt of attempts) {
    const { decision } = decide(compiled, counters, attempt);
    outcomes.set(decision, (outcomes.get(decision) ?? 0) + 1);
  }

  let sink = 0;
  const batchStart = process.hrtime.bigint();
  for (let done = 0, i = 0; done < DECISIONS; done += BATCH) {
    for (let k = 0; k < BATCH; k++, i++)
      sink += decide(compiled, counters, attempts[i % attempts.length]).ruleId.length;
  }
  const batchNs = Number(process.hrtime.bigint() - batchStart);

  const samples = new Float64Array(SAMPLES);
  for (let i = 0; i < SAMPLES; i++) {
    const attempt = attempts[i % attempts.length];
    const start = process.hrtime.bigint();
    sink += decide(compiled, counters, attempt).ruleId.length;
    samples[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  samples.sort();

  let timerOverhead = 0;
  for (let i = 0; i < 10_000; i++) {
    const start = process.hrtime.bigint();
    timerOverhead += Number(process.hrtime.bigint() - start);
  }

  const explainStart = process.hrtime.bigint();
  for (let i = 0; i < 100_000; i++) {
    sink += decide(compiled, counters, attempts[i % attempts.length], { explain: true }).trace?.length ?? 0;
  }
  const explainUs = Number(process.hrtime.bigint() - explainStart) / 1000 / 100_000;

  const mix = [...outcomes].map(
    ([decision, count]) => `${decision} ${((count / attempts.length) * 100).toFixed(1)}%`,
  );
  const us = (value: number) => `${value.toFixed(2)} µs`;
  console.log(
    `policy: ${compiled.stats.prefixRules} prefix rules (${data.devices?.length} devices), ${compiled.stats.rates} rates, ${compiled.stats.countryPrefixes} country prefixes, ${compiled.stats.fraudRanges} fraud ranges`,
  );
  console.log(
    `compile: ${compileMs.toFixed(1)} ms; tries ${compiled.stats.trieNodes} nodes, ${(compiled.stats.trieBytes / 1024 / 1024).toFixed(2)} MiB typed arrays; heap +${(heapDelta / 1024 / 1024).toFixed(2)} MiB`,
  );
  console.log(`decision mix: ${mix.join(', ')}`);
  console.log(
    `batched: ${DECISIONS} decisions in ${(batchNs / 1e6).toFixed(0)} ms → ${Math.round(DECISIONS / (batchNs / 1e9)).toLocaleString('en-US')} decisions/s, mean ${us(batchNs / DECISIONS / 1000)}`,
  );
  console.log(
    `sampled (${SAMPLES} single calls, timer overhead ~${us(timerOverhead / 10_000 / 1000)} included): p50 ${us(percentile(samples, 50))}, p90 ${us(percentile(samples, 90))}, p99 ${us(percentile(samples, 99))}, p99.9 ${us(percentile(samples, 99.9))}, max ${us(samples[samples.length - 1])}`,
  );
  console.log(`explain: true mean ${us(explainUs)}`);
  if (sink === 0) console.log('unreachable');
}

main();
