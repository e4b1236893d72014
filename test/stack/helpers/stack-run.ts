import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { Client } from 'pg';
import type { SoftphoneSettings } from './sip-register-client';

/** Small tools of the stack test: run a script of the repository, read what it printed, probe ports. */
const ROOT = join(__dirname, '..', '..', '..');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runScript(script: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn('bash', [script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The `softphone:` lines: key=value fields, `ca` last (a path may hold spaces). */
export function parseSoftphones(stdout: string): SoftphoneSettings[] {
  return [...stdout.matchAll(/^softphone: (.*)$/gm)].map((m) => {
    const [fields, ca = ''] = m[1].split(' ca=');
    const f = Object.fromEntries(
      fields.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    return {
      transport: f.transport,
      host: f.host,
      port: Number(f.port),
      url: f.url,
      domain: f.domain,
      username: f.username,
      password: f.password,
      ca,
    };
  });
}

export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

export async function sql<T>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/** The TLS handshake's verdict on the edge's certificate, trusting only `ca` (or Node's default roots). */
export function tlsVerdict(port: number, ca?: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca }, () => {
      s.destroy();
      resolve('trusted');
    });
    s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

export function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}
