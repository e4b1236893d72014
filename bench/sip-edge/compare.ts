import { readFileSync } from 'node:fs';
import type { BenchSummary } from './bench-support';

/**
 * Side-by-side of two bench runs (BENCH_SUMMARY_FILE of each): the edge and drachtio-server under the same
 * load, apps and sipp scenarios. Ratio = edge / drachtio-server (above 1 is better for rates, below 1 for
 * latency, CPU and memory).
 */
function main(): void {
  const [edgeFile, baseFile] = process.argv.slice(2);
  if (!edgeFile || !baseFile) throw new Error('usage: compare.js <edge summary.json> <drachtio summary.json>');
  const e = JSON.parse(readFileSync(edgeFile, 'utf8')) as BenchSummary;
  const b = JSON.parse(readFileSync(baseFile, 'utf8')) as BenchSummary;
  const rows: Array<[string, number, number, string]> = [
    ['UDP registrations/s', e.udp.rate, b.udp.rate, '/s'],
    ['UDP registration p50', e.udp.p50, b.udp.p50, 'ms'],
    ['UDP registration p99', e.udp.p99, b.udp.p99, 'ms'],
    ['UDP server CPU per registration', e.udp.cpuUs, b.udp.cpuUs, 'µs'],
    ['TLS registrations/s', e.tls.rate, b.tls.rate, '/s'],
    ['TLS registration p99', e.tls.p99, b.tls.p99, 'ms'],
    ['TLS server CPU per registration', e.tls.cpuUs, b.tls.cpuUs, 'µs'],
    ['B2BUA call setups/s', e.calls.setupRate, b.calls.setupRate, '/s'],
    ['calls held at peak', e.calls.maxConcurrent, b.calls.maxConcurrent, ''],
    ['failed calls', e.calls.failed, b.calls.failed, ''],
    ['server CPU per call', e.calls.cpuUs, b.calls.cpuUs, 'µs'],
    ['RSS at start', e.rss.start, b.rss.start, 'MiB'],
    ['RSS peak', Math.max(e.rss.regPeak, e.rss.callPeak || 0), Math.max(b.rss.regPeak, b.rss.callPeak || 0), 'MiB'],
    ['RSS after the load', e.rss.after, b.rss.after, 'MiB'],
  ];
  const fmt = (n: number) => (Number.isFinite(n) ? (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(1)) : 'n/a');
  console.log(`\n== side by side: ${e.server} vs ${b.server} (same apps, scenarios and machine)`);
  console.log(`   ${'measure'.padEnd(34)} ${e.server.padStart(12)} ${b.server.padStart(16)}   ratio`);
  for (const [name, ev, bv, unit] of rows) {
    const ratio = Number.isFinite(ev) && Number.isFinite(bv) && bv !== 0 ? `${(ev / bv).toFixed(2)}×` : 'n/a';
    console.log(`   ${name.padEnd(34)} ${`${fmt(ev)} ${unit}`.padStart(12)} ${`${fmt(bv)} ${unit}`.padStart(16)}   ${ratio}`);
  }
}

main();
