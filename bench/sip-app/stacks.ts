import { randomBytes } from 'node:crypto';
import { readEdgeMemory, rssMiB, sleep } from '../sip-edge/bench-support';
import { backendCounters } from './fixtures';
import type { LadderOptions, StepResult, Watched } from './ladder';
import { startEdge, startRegistrars, startSipApp, stop, type SipApp } from './processes';

const SECRET = 'bench-secret-0123456789';

/** One system under test: an edge and what answers behind it, driven by its own sipp runs. */
export interface Stack {
  name: string;
  ladder: LadderOptions;
  steps: StepResult[];
  /** Set once a step at or above the p99 rate fell short of its offered rate: higher steps are skipped. */
  saturated: boolean;
  app?: SipApp;
  stop(): Promise<void>;
}

export interface StackSettings {
  dir: string;
  csv: string;
  scenario: string;
  seconds: number;
}

/** The edge and `n` instances of bench/sip-edge's minimal registrar (every password `pw`, no database). */
export async function startBareStack(s: StackSettings, n: number): Promise<Stack> {
  const edge = await startEdge(s.dir, SECRET, 'bare');
  const apps = await startRegistrars(n, edge.adminPort, SECRET, randomBytes(32).toString('hex'));
  const watched: Watched[] = [
    { name: 'edge', pid: edge.pid, memFile: edge.memFile },
    ...apps.map((a, i) => ({ name: apps.length > 1 ? `registrar${i + 1}` : 'registrar', pid: a.pid as number })),
  ];
  return {
    name: 'bare',
    ladder: { target: `127.0.0.1:${edge.udpPort}`, scenario: s.scenario, csv: s.csv, seconds: s.seconds, dir: s.dir, watched },
    steps: [],
    saturated: false,
    stop: async () => {
      for (const a of apps) await stop(a);
      await stop(edge.proc);
    },
  };
}

/** The edge and one dist/apps/sip/src/main.js against the bench database and Redis DB. */
export async function startAppStack(s: StackSettings, dbUrl: string, redisUrl: string): Promise<Stack> {
  const edge = await startEdge(s.dir, SECRET, 'app');
  const app = await startSipApp(s.dir, {
    DRACHTIO_HOST: '127.0.0.1',
    DRACHTIO_PORT: String(edge.adminPort),
    DRACHTIO_SECRET: SECRET,
    DATABASE_URL: dbUrl,
    REDIS_URL: redisUrl,
    AUDIT_HMAC_KEY: randomBytes(32).toString('hex'),
    LOG_LEVEL: process.env.APP_LOG_LEVEL ?? 'info',
    SIP_FLOOD_DENSITY: '0',
    SIP_DRAIN_SECONDS: '0',
  });
  const redisPid = (await backendCounters(redisUrl, dbUrl)).redisPid;
  const watched: Watched[] = [
    { name: 'edge', pid: edge.pid, memFile: edge.memFile },
    { name: 'app', pid: app.pid, memFile: app.memFile },
    ...(redisPid ? [{ name: 'redis-server', pid: redisPid }] : []),
  ];
  return {
    name: 'app',
    ladder: { target: `127.0.0.1:${edge.udpPort}`, scenario: s.scenario, csv: s.csv, seconds: s.seconds, dir: s.dir, watched },
    steps: [],
    saturated: false,
    app,
    stop: async () => {
      await stop(app.proc, 15_000);
      await stop(edge.proc);
    },
  };
}

/** A full GC in the app (gc-preload, SIGUSR2), then its RSS and V8 heap used/total. */
export async function gcAndRss(app: SipApp): Promise<{ rss: number; heap?: string }> {
  process.kill(app.pid, 'SIGUSR2');
  await sleep(1000);
  const m = readEdgeMemory(app.memFile);
  return { rss: rssMiB(app.pid), heap: m ? `${m.heapUsed}/${m.heapTotal}` : undefined };
}
