import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';

export interface SipJsResult {
  registered: boolean;
  registerStatus: number;
  unregisterStatus: number;
  /** A call placed (`call`) or received (`answer`) reached the established state. */
  answered: boolean;
  /** The SDP of the 200 to the call placed. */
  answerBody: string;
  byeSent: boolean;
  inviteReceived: boolean;
  byeReceived: boolean;
  error: string;
  /** sip.js's own warnings and errors. */
  log: string[];
}

export interface SipJsRun {
  server: string;
  aor: string;
  user: string;
  password: string;
  /** 'register' keeps the binding (the transport is dropped without an unregister); 'unregister' removes it;
   * 'answer' registers, answers the first INVITE and waits for its BYE. */
  mode: 'register' | 'unregister' | 'answer';
  instanceId?: string;
  /** A URI to call after registering; the call is hung up 300 ms after it is answered. */
  call?: string;
  /** The SDP offered or answered instead of a plain RTP one. */
  sdp?: string;
  answerWithinMs?: number;
  timeoutMs?: number;
}

const SCRIPT = join(__dirname, '..', '..', 'sip-edge', 'helpers', 'sipjs-client.mjs');

/** Runs the sip.js user agent of test/sip-edge in a child process (sip.js is ESM-only, jest is CJS). */
export function runSipJs(run: SipJsRun): Promise<SipJsResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [SCRIPT, JSON.stringify(run)], { timeout: (run.timeoutMs ?? 15_000) + 5000 }, (err, stdout) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as SipJsResult);
      } catch {
        reject(err ?? new Error(`no result from sip.js client: ${stdout}`));
      }
    });
  });
}

/** Starts sip.js in `answer` mode: `ready` once it is registered, `result` when the call it answered has ended. */
export function answerWithSipJs(run: Omit<SipJsRun, 'mode'>): { ready: Promise<void>; result: Promise<SipJsResult> } {
  const child = spawn(process.execPath, [SCRIPT, JSON.stringify({ ...run, mode: 'answer' })], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (onReady = r));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('{"ready":true}')) onReady();
  });
  const result = new Promise<SipJsResult>((resolve, reject) => {
    child.on('close', () => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as SipJsResult);
      } catch {
        reject(new Error(`no result from sip.js client: ${out}`));
      }
    });
  });
  // A failure before registering ends the child: `ready` then never resolves, `result` says why.
  void result.then(onReady, onReady);
  return { ready, result };
}
