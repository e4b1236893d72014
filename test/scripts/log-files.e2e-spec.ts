import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LIB = join(__dirname, '../../scripts/stack-lib.sh');

function prepare(file: string): void {
  execFileSync('bash', ['-c', `source "${LIB}" && prepare_log_file "$1" && echo line >>"$1"`, 'test', file]);
}

describe('log files of the stack (scripts/stack-lib.sh)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pbx-logs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are created 0640 in a 0750 directory, whatever the umask', () => {
    const file = join(dir, 'log', 'api.log');
    execFileSync('bash', ['-c', `umask 000 && source "${LIB}" && prepare_log_file "$1"`, 'test', file]);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(statSync(join(dir, 'log')).mode & 0o777).toBe(0o750);
  });

  it('tighten a world-readable file left by an older run, keeping its lines', () => {
    const file = join(dir, 'old.log');
    writeFileSync(file, 'earlier\n');
    chmodSync(file, 0o644);
    prepare(file);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(execFileSync('cat', [file]).toString()).toBe('earlier\nline\n');
  });
});
