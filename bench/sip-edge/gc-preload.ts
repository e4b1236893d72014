import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

/**
 * Preloaded into the benchmarked edge (`node --expose-gc -r …`): SIGUSR2 runs a full GC, so the bench can
 * tell retained memory from garbage that V8 simply has not collected yet on an idle process. With
 * BENCH_MEM_FILE set, the edge's own view of its memory is written there every second and after each
 * forced GC, so the bench can tell the V8 heap from Buffers (external) and from what malloc keeps.
 */
export interface MemorySnapshot {
  at: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** Memory V8 itself got from malloc (outside the JS heap). */
  mallocedMemory: number;
  afterGc: boolean;
  /** Event-loop delay since the previous snapshot (ms): how long a datagram may have waited to be read. */
  loopDelayP99: number;
  loopDelayMax: number;
  /** Time spent in GC pauses since the previous snapshot (ms), and the longest one. */
  gcPauseMs: number;
  gcPauseMaxMs: number;
}

const collect = (globalThis as { gc?: () => void }).gc;
const file = process.env.BENCH_MEM_FILE;
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
let gcPause = 0;
let gcPauseMax = 0;
if (file) {
  loopDelay.enable();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcPause += e.duration;
      gcPauseMax = Math.max(gcPauseMax, e.duration);
    }
  }).observe({ entryTypes: ['gc'] });
}

function write(afterGc: boolean): void {
  if (!file) return;
  const m = process.memoryUsage();
  const snapshot: MemorySnapshot = {
    at: Date.now(),
    rss: m.rss,
    heapTotal: m.heapTotal,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    mallocedMemory: getHeapStatistics().malloced_memory,
    afterGc,
    loopDelayP99: loopDelay.percentile(99) / 1e6,
    loopDelayMax: loopDelay.max / 1e6,
    gcPauseMs: gcPause,
    gcPauseMaxMs: gcPauseMax,
  };
  loopDelay.reset();
  gcPause = 0;
  gcPauseMax = 0;
  writeFileSync(file, JSON.stringify(snapshot));
}

if (file) setInterval(() => write(false), 1000).unref();
if (collect)
  process.on('SIGUSR2', () => {
    collect();
    write(true);
  });
