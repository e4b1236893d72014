import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';

/**
 * stunnel4 in client mode in front of sipp (Debian's sipp has no TLS): plain TCP on `acceptPort`,
 * TLS to the edge on `tlsPort`. Resolves once the accept port takes connections.
 */
export async function startStunnel(dir: string, acceptPort: number, tlsPort: number): Promise<ChildProcess> {
  const conf = join(dir, `stunnel-${acceptPort}.conf`);
  writeFileSync(
    conf,
    ['foreground = yes', 'pid =', 'debug = 3', '[sip]', 'client = yes', `accept = 127.0.0.1:${acceptPort}`, `connect = 127.0.0.1:${tlsPort}`, 'verifyChain = no', ''].join('\n'),
  );
  const child = spawn('stunnel4', [conf], { stdio: 'ignore' });
  const deadline = Date.now() + 5000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ port: acceptPort, host: '127.0.0.1' }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return child;
    if (Date.now() > deadline) {
      child.kill();
      throw new Error('stunnel did not start');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stops stunnel and waits until it has exited, so no child process outlives the suite. */
export async function stopStunnel(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill();
  await exited;
}
