import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostsFile, parseHosts } from './hosts-file';

describe('parseHosts', () => {
  it('maps every alias to its addresses and skips comments and junk', () => {
    const names = parseHosts('# comment\n127.0.0.1 localhost\n10.0.0.5  sbc.internal SBC  # trunk\n::1 localhost\nnot-an-ip foo\n');
    expect(names.get('localhost')).toEqual(['127.0.0.1', '::1']);
    expect(names.get('sbc')).toEqual(['10.0.0.5']);
    expect(names.get('foo')).toBeUndefined();
  });
});

describe('HostsFile', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'hosts-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reads the file lazily and re-reads it only after it changed and the recheck interval passed', async () => {
    const path = join(dir, 'hosts');
    await writeFile(path, '10.0.0.1 pbx.local\n');
    let now = 0;
    const hosts = new HostsFile({ path, recheckMs: 1000, now: () => now });
    expect(await hosts.lookup('PBX.local.')).toEqual(['10.0.0.1']);
    await writeFile(path, '10.0.0.2 pbx.local\n');
    await utimes(path, new Date(), new Date(Date.now() + 5000));
    expect(await hosts.lookup('pbx.local')).toEqual(['10.0.0.1']);
    now = 1000;
    expect(await hosts.lookup('pbx.local')).toEqual(['10.0.0.2']);
  });

  it('treats a missing file as empty', async () => {
    expect(await new HostsFile({ path: join(dir, 'absent') }).lookup('localhost')).toEqual([]);
  });
});
