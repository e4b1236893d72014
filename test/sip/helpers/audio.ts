import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'rtpengine-client';

/**
 * A sine tone of `hz` as mono 16-bit WAV, 8 kHz by default: baresip 1.0's aufile does not resample, so a
 * phone's tone must be at G.711's rate (Chromium's fake capture device takes 48 kHz).
 */
export function writeTone(file: string, hz: number, opts: { seconds?: number; rate?: number; volume?: number } = {}): void {
  const { seconds = 16, rate = 8000, volume = 1 } = opts;
  execFileSync('sox', ['-n', '-r', String(rate), '-c', '1', '-b', '16', file, 'synth', String(seconds), 'sine', String(hz), 'vol', String(volume)]);
}

/** sox's statistics of a recording: RMS amplitude and zero-crossing ("rough") frequency. */
export function soxStat(file: string): { rms: number; frequency: number; seconds: number } {
  // sox prints its statistics on stderr.
  const text = execFileSync('sh', ['-c', 'sox "$1" -n stat 2>&1', 'sh', file], { encoding: 'utf8' });
  const num = (label: string) => Number(new RegExp(`${label}:\\s+([-0-9.]+)`).exec(text)?.[1] ?? NaN);
  return { rms: num('RMS\\s+amplitude'), frequency: num('Rough\\s+frequency'), seconds: num('Length \\(seconds\\)') };
}

/** The decoded audio baresip's sndfile module recorded in `dir` (dump-*-dec.wav). */
export function decodedRecording(dir: string): string {
  const f = readdirSync(dir).find((n) => n.endsWith('-dec.wav'));
  if (!f) throw new Error(`no decoded recording in ${dir}: ${readdirSync(dir).join(', ')}`);
  return join(dir, f);
}

/** The phone's own RTP port in its last call, from the SDP it sent (rtpengine's are in relay.min..relay.max). */
export function mediaPortOf(trace: string, profile: string, relay: { min: number; max: number }): number {
  const ports = [...trace.matchAll(new RegExp(`^m=audio (\\d+) ${profile.replace(/\//g, '\\/')} `, 'gm'))]
    .map((m) => Number(m[1]))
    .filter((port) => port < relay.min || port > relay.max);
  if (ports.length === 0) throw new Error(`no ${profile} media port of the phone in:\n${trace}`);
  return ports[ports.length - 1];
}

/** tcpdump on loopback writing the UDP packets of rtpengine's port range to `file`; stop() flushes it. */
export async function captureRelay(file: string, relay: { min: number; max: number }): Promise<{ stop: () => Promise<void> }> {
  const tcpdump: ChildProcess = spawn('tcpdump', ['-i', 'lo', '-U', '-n', '-w', file, 'udp', 'portrange', `${relay.min}-${relay.max}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  tcpdump.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  for (const deadline = Date.now() + 5000; !/listening on/.test(err); await new Promise((r) => setTimeout(r, 50)))
    if (Date.now() > deadline) {
      tcpdump.kill('SIGKILL');
      throw new Error(`tcpdump did not start: ${err}`);
    }
  return {
    stop: async () => {
      if (tcpdump.exitCode !== null) return;
      tcpdump.kill('SIGINT');
      await new Promise((r) => tcpdump.once('exit', r));
    },
  };
}

/**
 * Waits until rtpengine has a MOS for `streams` SSRCs of its only call, i.e. it has had the phones' RTCP
 * receiver reports (baresip sends one every 5 s, so the first ones can take a while on a busy machine).
 */
export async function untilRtcpMos(ngPort: number, streams: number, timeoutMs: number): Promise<void> {
  const ng = new Client({ timeout: 1000 });
  ng.on('error', () => undefined);
  const dest = { host: '127.0.0.1', port: ngPort };
  let seen = 'no call listed';
  try {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      const listed = await ng.list(dest, { limit: '1' }).catch(() => null);
      const callId = (listed?.calls as string[] | undefined)?.[0];
      if (!callId) continue;
      const q = await ng.query(dest, { 'call-id': callId }).catch(() => null);
      const ssrcs = Object.entries((q?.SSRC ?? {}) as Record<string, { 'average MOS'?: { MOS?: number } }>);
      seen = ssrcs.map(([ssrc, x]) => `${ssrc}: MOS ${x['average MOS']?.MOS ?? 'none'}`).join(', ') || 'no SSRC yet';
      if (ssrcs.filter(([, x]) => x['average MOS']?.MOS).length >= streams) return;
    }
  } finally {
    ng.close();
  }
  // Say so here rather than let the CDR's missing MOS fail the test later with less to go on.
  throw new Error(`rtpengine had no MOS for ${streams} streams after ${timeoutMs} ms (${seen})`);
}
