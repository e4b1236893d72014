import { spawn, type ChildProcess } from 'node:child_process';
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
      'sip_listen 127.0.0.1:0',
      ...(account.caFile ? [`sip_cafile ${account.caFile}`] : []),
      'module_path /usr/lib/baresip/modules',
      'module_tmp account.so',
      ...(account.modules ?? []).map((m) => `module ${m}.so`),
      ...(account.config ?? []),
    ];
    writeFileSync(join(dir, 'config'), `${config.join('\n')}\n`);
    const { user, realm, password, proxyPort } = account;
    const line = `<sip:${user}@${realm};transport=tls>;auth_pass=${password};outbound="sip:127.0.0.1:${proxyPort};transport=tls";regint=60${account.accountParams ?? ''}`;
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
