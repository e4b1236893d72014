import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SippResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export const SCENARIOS = join(__dirname, '..', 'scenarios');

/**
 * Runs sipp to completion. `-m` and `-timeout` are always set so a broken edge fails the test instead of
 * hanging it; exit code 0 means every call succeeded.
 */
export function runSipp(args: string[], opts: { calls?: number; timeoutS?: number } = {}): Promise<SippResult> {
  const full = [
    ...args,
    '-m',
    String(opts.calls ?? 1),
    '-timeout',
    `${opts.timeoutS ?? 20}s`,
    '-timeout_error',
    '-nostdin',
    '-trace_err',
  ].filter(Boolean);
  return new Promise((resolve) => {
    const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
    const child = spawn('sipp', full, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      if (code !== 0 && process.env.SIPP_DEBUG) console.log(`sipp ${full.join(' ')} exited ${code}\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Writes a sipp injection CSV (users for REGISTER with digest). */
export function writeCsv(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-csv-'));
  const file = join(dir, 'users.csv');
  writeFileSync(file, `SEQUENTIAL\n${lines.join('\n')}\n`);
  return file;
}
