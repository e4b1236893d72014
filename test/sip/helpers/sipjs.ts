import { execFile } from 'node:child_process';
import { join } from 'node:path';

export interface SipJsResult {
  registered: boolean;
  registerStatus: number;
  unregisterStatus: number;
  error: string;
  /** sip.js's own warnings and errors. */
  log: string[];
}

export interface SipJsRun {
  server: string;
  aor: string;
  user: string;
  password: string;
  /** 'register' keeps the binding (the transport is dropped without an unregister); 'unregister' removes it. */
  mode: 'register' | 'unregister';
  instanceId?: string;
}

/** Runs the sip.js user agent of test/sip-edge in a child process (sip.js is ESM-only, jest is CJS). */
export function runSipJs(run: SipJsRun): Promise<SipJsResult> {
  const script = join(__dirname, '..', '..', 'sip-edge', 'helpers', 'sipjs-client.mjs');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, JSON.stringify(run)], { timeout: 20_000 }, (err, stdout) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as SipJsResult);
      } catch {
        reject(err ?? new Error(`no result from sip.js client: ${stdout}`));
      }
    });
  });
}
