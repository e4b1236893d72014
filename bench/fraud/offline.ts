import { emptyDeviceState, emptyTenantState, scoreEvent, toScoredEvent, type DeviceState, type TenantState } from '@pbx/fraud';
import { contextsOf, holdChecker } from './containment';
import { generate } from './generator';
import { evaluate, type Recorded } from './report';

/**
 * The same labelled stream scored in process by the pure detectors, without Redis or the queue:
 * detection quality only, in seconds, for tuning. `node dist/bench/fraud/offline.js [--seed N]`
 */
function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

const stream = generate({ seed: arg('seed', 1), devices: arg('devices', 400), warmupDays: arg('warmup', 1), attacksPerKind: arg('attacks', 20) });
const contexts = contextsOf(stream);
const tenants = new Map<string, TenantState>();
const devices = new Map<string, DeviceState>();
const recorded: Recorded[] = [];
const started = Date.now();
for (const job of stream.events) {
  const ctx = contexts.get(job.tenantId)!;
  const ev = toScoredEvent(job, ctx);
  const r = scoreEvent(ev, ctx, { device: ev.deviceId ? (devices.get(ev.deviceId) ?? emptyDeviceState()) : null, tenant: tenants.get(job.tenantId) ?? emptyTenantState() });
  tenants.set(job.tenantId, r.nextState.tenant);
  if (ev.deviceId && r.nextState.device) devices.set(ev.deviceId, r.nextState.device);
  for (const finding of r.findings) recorded.push({ finding, recordedAt: 0 });
}
const elapsed = Date.now() - started;
const report = evaluate(stream, recorded, new Map());
for (const k of report.kinds)
  console.log(`${k.kind.padEnd(15)} ${k.detected}/${k.attacks} recall ${k.recall.toFixed(2)} detect p50 ${(k.detectionP50 / 1000).toFixed(0)}s p95 ${(k.detectionP95 / 1000).toFixed(0)}s  ${k.firstKinds}`);
const holds = holdChecker(stream);
const found = report.firsts.filter((x) => x.attack.deviceId);
const loose = found.filter((x) => !holds(x.attack, x.finding));
console.log(`first finding stops the attack (default playbook): ${found.length - loose.length}/${found.length} [not: ${loose.map((x) => `${x.attack.kind}/${x.finding.kind}`).join(' ') || 'none'}]`);
console.log(`false alerts ${report.falseAlerts} = ${report.falsePerThousandDevicesPerDay.toFixed(2)}/1000 devices/day [${report.falseByKind}]; warm-up findings ${report.warmupFindings}`);
console.log(`${stream.events.length} events scored in ${elapsed} ms (${Math.round(stream.events.length / (elapsed / 1000))}/s in process)`);
if (process.argv.includes('--false')) {
  for (const f of report.falseFindingsList) console.log(new Date(f.at).toISOString(), f.deviceId, f.kind, f.title, JSON.stringify(f.evidence));
}
if (process.argv.includes('--missed')) {
  for (const a of stream.attacks) {
    const hit = recorded.some((r) => r.finding.tenantId === a.tenantId && r.finding.at >= a.start && r.finding.at <= a.end + 3_600_000 && (a.deviceId ? r.finding.deviceId === a.deviceId : r.finding.kind === 'wangiri'));
    if (hit) continue;
    const near = recorded.filter((r) => r.finding.tenantId === a.tenantId && r.finding.kind === 'wangiri' && Math.abs(r.finding.at - a.start) < 3_600_000);
    console.log('missed', a.kind, new Date(a.start).toISOString(), new Date(a.end).toISOString(), near.map((r) => `${new Date(r.finding.at).toISOString()} ${r.finding.dedupeKey}`));
  }
}
