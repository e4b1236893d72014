import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';

/**
 * A private rtpengine for a suite that stops or kills it (the shared one that scripts/rtpengine.sh
 * starts serves every other suite): Debian's rtpengine-daemon, userspace only, on its own ng port and
 * media port range.
 */
export class TestRtpengine {
  private out = '';
  private exited = false;

  private constructor(
    private child: ChildProcess,
    readonly ngPort: number,
    private readonly args: string[],
  ) {
    this.watch();
  }

  static async start(ngPort: number, portMin: number, portMax: number, extra: string[] = []): Promise<TestRtpengine> {
    const args = [
      '--config-file=none',
      '--table=-1',
      '--interface=127.0.0.1',
      `--listen-ng=127.0.0.1:${ngPort}`,
      `--port-min=${portMin}`,
      `--port-max=${portMax}`,
      '--foreground',
      '--log-stderr',
      '--log-level=6',
      ...extra,
    ];
    const r = new TestRtpengine(spawn('rtpengine', args, { stdio: ['ignore', 'pipe', 'pipe'] }), ngPort, args);
    await r.waitUp();
    return r;
  }

  get output(): string {
    return this.out;
  }

  /** SIGKILL, as a crash would: no call is deleted, nothing is answered any more. */
  async kill(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGKILL');
    for (const deadline = Date.now() + 3000; !this.exited && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
  }

  /** Starts it again with the same settings (an empty call table, as after any restart). */
  async restart(): Promise<void> {
    await this.kill();
    this.child = spawn('rtpengine', this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = false;
    this.watch();
    await this.waitUp();
  }

  async stop(): Promise<void> {
    await this.kill();
  }

  private watch(): void {
    const collect = (b: Buffer) => (this.out = (this.out + b.toString()).slice(-200_000));
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.child.on('exit', () => (this.exited = true));
  }

  private async waitUp(): Promise<void> {
    for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
      if (this.exited) throw new Error(`rtpengine exited:\n${this.out}`);
      if (await ngPing(this.ngPort)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`rtpengine not answering on ${this.ngPort}:\n${this.out}`);
  }
}

export function ngPing(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const done = (ok: boolean) => {
      clearTimeout(timer);
      s.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 300);
    s.on('message', (m) => done(/pong/.test(m.toString())));
    s.on('error', () => done(false));
    s.send('test d7:command4:pinge', port, host);
  });
}
