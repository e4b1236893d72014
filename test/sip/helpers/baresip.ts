import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BaresipAccount {
  user: string;
  realm: string;
  password: string;
  /** The edge's TLS port on 127.0.0.1, used as the outbound proxy. */
  proxyPort: number;
  /** A CA file for sip_cafile. */
  caFile?: string;
  /** SIP transport to the edge (tls by default); proxyPort is the edge's port for it. */
  transport?: 'tls' | 'udp';
  /** Media encryption: srtp-mand offers RTP/SAVP with SDES keys only; unset is plain RTP. */
  mediaenc?: 'srtp-mand' | 'srtp';
  /** Answers calls at once. */
  autoAnswer?: boolean;
  /** The loopback address baresip sends from (127.0.0.1 by default), e.g. a trunk's address to act as a carrier. */
  listenIp?: string;
  /** false: never registers (a carrier); calls still go through the outbound proxy. */
  register?: boolean;
  /**
   * Real audio: `source` is an ausrc spec (e.g. `aufile,/tmp/tone.wav` or `ausine,440`), the decoded
   * audio received is written by the sndfile filter into `recordDir` (dump-*-dec.wav), and a
   * ctrl_tcp port lets the test dial and hang up.
   */
  audio?: { source: string; recordDir: string; ctrlPort: number };
  /** More modules to load (e.g. g711, srtp, aubridge, menu to run commands), config lines and account parameters. */
  modules?: string[];
  config?: string[];
  accountParams?: string;
  /** Extra command-line arguments (e.g. -e '/dial …', -t seconds). */
  args?: string[];
}

/**
 * Debian's baresip 1.0.0, headless: a generated config dir with only the account module loaded
 * (no UI, no audio), SIP over TLS to the edge as outbound proxy. Output is collected from
 * stdout and stderr; stop() sends SIGTERM (baresip unregisters, then exits) and SIGKILLs
 * after a deadline.
 */
export class Baresip {
  private out = '';
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly dir: string,
  ) {
    const collect = (b: Buffer) => (this.out += b.toString());
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.on('exit', () => (this.exited = true));
  }

  static start(account: BaresipAccount): Baresip {
    const dir = mkdtempSync(join(tmpdir(), 'pbx-baresip-'));
    const config = [
      'poll_method epoll',
      `sip_listen ${account.listenIp ?? '127.0.0.1'}:0`,
      ...(account.caFile ? [`sip_cafile ${account.caFile}`] : []),
      'module_path /usr/lib/baresip/modules',
      'module_tmp account.so',
      ...(account.mediaenc ? ['module srtp.so'] : []),
      ...(account.audio
        ? [
            'module g711.so',
            'module aufile.so',
            'module ausine.so',
            'module aubridge.so',
            'module sndfile.so',
            'module ctrl_tcp.so',
            'module menu.so',
            `audio_source ${account.audio.source}`,
            // No sound card here: played audio goes into a bridge nobody reads; sndfile records it first.
            'audio_player aubridge,sink',
            `snd_path ${account.audio.recordDir}`,
            `ctrl_tcp_listen 127.0.0.1:${account.audio.ctrlPort}`,
            'rtp_stats yes',
          ]
        : []),
      ...(account.modules ?? []).map((m) => `module ${m}.so`),
      ...(account.config ?? []),
    ];
    writeFileSync(join(dir, 'config'), `${config.join('\n')}\n`);
    const { user, realm, password, proxyPort } = account;
    const t = account.transport ?? 'tls';
    const params = [
      `auth_pass=${password}`,
      `outbound="sip:127.0.0.1:${proxyPort};transport=${t}"`,
      `regint=${account.register === false ? 0 : 60}`,
      ...(account.mediaenc ? [`mediaenc=${account.mediaenc}`] : []),
      ...(account.autoAnswer ? ['answermode=auto'] : []),
    ];
    const line = `<sip:${user}@${realm};transport=${t}>;${params.join(';')}${account.accountParams ?? ''}`;
    writeFileSync(join(dir, 'accounts'), `${line}\n`);
    // -s: SIP trace, so the test can read the responses baresip got.
    const child = spawn('baresip', ['-f', dir, '-s', ...(account.args ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    return new Baresip(child, dir);
  }

  get output(): string {
    return this.out;
  }

  /** Status codes of the REGISTER responses in baresip's SIP trace (-s), in order. */
  registerResponses(): number[] {
    const statuses: number[] = [];
    for (const block of this.out.split(/\n(?=(?:TLS|TCP|UDP) \S+ -> \S+\r?\n)/)) {
      const status = /^\S+ \S+ -> \S+\r?\nSIP\/2\.0 (\d{3}) /.exec(block);
      if (status && /^CSeq: \d+ REGISTER\r?$/m.test(block)) statuses.push(Number(status[1]));
    }
    return statuses;
  }

  /** Sends a ctrl_tcp command (netstring-framed JSON) and resolves with baresip's answer. */
  command(port: number, command: string, params = ''): Promise<{ ok: boolean; data?: string }> {
    return new Promise((resolve, reject) => {
      const sock = connect(port, '127.0.0.1');
      const json = JSON.stringify({ command, params, token: 't1' });
      let buf = '';
      const timer = setTimeout(() => (sock.destroy(), reject(new Error(`baresip: no answer to ${command}`))), 5000);
      sock.on('connect', () => sock.write(`${Buffer.byteLength(json)}:${json},`));
      sock.on('data', (d) => {
        buf += d.toString();
        // Netstrings: events may come before the response.
        for (let m = /^(\d+):/.exec(buf); m && buf.length >= m[0].length + Number(m[1]) + 1; m = /^(\d+):/.exec(buf)) {
          const msg = JSON.parse(buf.slice(m[0].length, m[0].length + Number(m[1]))) as { response?: boolean; ok: boolean; data?: string };
          buf = buf.slice(m[0].length + Number(m[1]) + 1);
          if (!msg.response) continue;
          clearTimeout(timer);
          sock.end();
          return resolve(msg);
        }
      });
      sock.on('error', (err) => (clearTimeout(timer), reject(err)));
    });
  }

  get running(): boolean {
    return !this.exited;
  }

  /** Polls until `check` holds; throws with baresip's output at the deadline or if it exited. */
  async waitUntil(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline || this.exited) throw new Error(`baresip: no ${what} in:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(timeoutMs = 5000): Promise<void> {
    if (!this.exited) {
      this.child.kill('SIGTERM');
      const deadline = Date.now() + timeoutMs;
      while (!this.exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      if (!this.exited) {
        this.child.kill('SIGKILL');
        const killDeadline = Date.now() + 2000;
        while (!this.exited && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 20));
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
