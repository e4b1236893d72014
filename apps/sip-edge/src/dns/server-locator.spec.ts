import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostsFile } from './hosts-file';
import { ServerLocator, type ServerLocatorOptions } from './server-locator';
import { DnsTestServer } from './testing/dns-test-server';

describe('ServerLocator (RFC 3263)', () => {
  let dns: DnsTestServer;
  let now: number;
  const locator = (opts: ServerLocatorOptions = {}) =>
    new ServerLocator({ servers: [dns.address], hosts: false, now: () => now, random: () => 0, ...opts });

  beforeAll(async () => (dns = await DnsTestServer.start()));
  afterAll(() => dns.close());
  beforeEach(() => {
    now = 1_000_000;
    dns.zone.clear();
    dns.silent.clear();
    dns.queries.length = 0;
  });

  it('uses a numeric host as is, with the default port of the transport', async () => {
    const l = locator();
    expect(await l.locate({ secure: false, host: '192.0.2.1' })).toEqual([{ proto: 'udp', address: '192.0.2.1', port: 5060 }]);
    expect(await l.locate({ secure: true, host: '2001:db8::1' })).toEqual([{ proto: 'tls', address: '2001:db8::1', port: 5061 }]);
    expect(await l.locate({ secure: false, host: '192.0.2.1', transport: 'ws' })).toEqual([{ proto: 'ws', address: '192.0.2.1', port: 80 }]);
    expect(dns.queries).toEqual([]);
  });

  it('with an explicit port, asks only for A/AAAA (§4.2)', async () => {
    dns.set('pbx.test', [
      { type: 'A', address: '192.0.2.10' },
      { type: 'AAAA', address: '2001:db8::10' },
      { type: 'NAPTR', order: 1, preference: 1, flags: 's', service: 'SIP+D2T', replacement: '_sip._tcp.pbx.test' },
    ]);
    expect(await locator().locate({ secure: false, host: 'pbx.test', port: 5080 })).toEqual([
      { proto: 'udp', address: '192.0.2.10', port: 5080 },
      { proto: 'udp', address: '2001:db8::10', port: 5080 },
    ]);
    expect(dns.queries.map((q) => q.type).sort()).toEqual(['A', 'AAAA']);
  });

  it('with a transport param, asks for that SRV and skips NAPTR (§4.1)', async () => {
    dns.set('_sip._tcp.pbx.test', [{ type: 'SRV', priority: 10, weight: 0, port: 5070, target: 'edge1.pbx.test' }]);
    dns.set('edge1.pbx.test', [{ type: 'A', address: '192.0.2.11' }]);
    expect(await locator({ families: [4] }).locate({ secure: false, host: 'pbx.test', transport: 'tcp' })).toEqual([
      { proto: 'tcp', address: '192.0.2.11', port: 5070 },
    ]);
    expect(dns.count('pbx.test', 'NAPTR')).toBe(0);
  });

  it('with a transport param but no SRV, uses A/AAAA and the default port; WebSocket never asks for SRV', async () => {
    dns.set('pbx.test', [{ type: 'A', address: '192.0.2.12' }]);
    const l = locator({ families: [4] });
    expect(await l.locate({ secure: false, host: 'pbx.test', transport: 'tcp' })).toEqual([{ proto: 'tcp', address: '192.0.2.12', port: 5060 }]);
    expect(await l.locate({ secure: true, host: 'pbx.test', transport: 'ws' })).toEqual([{ proto: 'wss', address: '192.0.2.12', port: 443 }]);
    expect(dns.queries.filter((q) => q.type === 'SRV').map((q) => q.name)).toEqual(['_sip._tcp.pbx.test']);
  });

  it('orders SRV targets by priority and spreads each priority by weight (RFC 2782)', async () => {
    dns.set('_sip._udp.pbx.test', [
      { type: 'SRV', priority: 20, weight: 100, port: 5060, target: 'backup.pbx.test' },
      { type: 'SRV', priority: 10, weight: 10, port: 5060, target: 'light.pbx.test' },
      { type: 'SRV', priority: 10, weight: 90, port: 5062, target: 'heavy.pbx.test' },
    ]);
    dns.set('backup.pbx.test', [{ type: 'A', address: '192.0.2.30' }]);
    dns.set('light.pbx.test', [{ type: 'A', address: '192.0.2.31' }]);
    dns.set('heavy.pbx.test', [{ type: 'A', address: '192.0.2.32' }]);
    const target = { secure: false, host: 'pbx.test', transport: 'udp' } as const;
    const order = async (random: number) =>
      (await locator({ families: [4], random: () => random }).locate(target)).map((p) => `${p.address}:${p.port}`);
    expect(await order(0.05)).toEqual(['192.0.2.31:5060', '192.0.2.32:5062', '192.0.2.30:5060']);
    expect(await order(0.5)).toEqual(['192.0.2.32:5062', '192.0.2.31:5060', '192.0.2.30:5060']);
  });

  it('follows NAPTR to SRV in NAPTR order, keeping only services and transports it supports', async () => {
    dns.set('pbx.test', [
      { type: 'NAPTR', order: 20, preference: 10, flags: 's', service: 'SIP+D2U', replacement: '_sip._udp.pbx.test' },
      { type: 'NAPTR', order: 10, preference: 10, flags: 's', service: 'SIP+D2T', replacement: '_sip._tcp.pbx.test' },
      { type: 'NAPTR', order: 5, preference: 10, flags: 's', service: 'SIP+D2S', replacement: '_sip._sctp.pbx.test' },
      { type: 'NAPTR', order: 5, preference: 10, flags: 's', service: 'SIPS+D2W', replacement: '_sips._ws.pbx.test' },
    ]);
    dns.set('_sip._tcp.pbx.test', [{ type: 'SRV', priority: 1, weight: 1, port: 5070, target: 'tcp.pbx.test' }]);
    dns.set('_sip._udp.pbx.test', [{ type: 'SRV', priority: 1, weight: 1, port: 5080, target: 'udp.pbx.test' }]);
    dns.set('tcp.pbx.test', [{ type: 'A', address: '192.0.2.40' }]);
    dns.set('udp.pbx.test', [{ type: 'A', address: '192.0.2.41' }]);
    expect(await locator({ families: [4] }).locate({ secure: false, host: 'pbx.test' })).toEqual([
      { proto: 'tcp', address: '192.0.2.40', port: 5070 },
      { proto: 'udp', address: '192.0.2.41', port: 5080 },
    ]);
    expect(dns.count('_sip._sctp.pbx.test', 'SRV')).toBe(0);
    // An edge listening on UDP only skips the TCP service.
    expect(await locator({ families: [4], transports: ['udp'] }).locate({ secure: false, host: 'pbx.test' })).toEqual([
      { proto: 'udp', address: '192.0.2.41', port: 5080 },
    ]);
  });

  it('without NAPTR, tries SRV for each transport it supports, then A/AAAA on the default UDP port', async () => {
    dns.set('_sip._tcp.srv.test', [{ type: 'SRV', priority: 1, weight: 1, port: 5090, target: 'host.srv.test' }]);
    dns.set('host.srv.test', [{ type: 'A', address: '192.0.2.50' }]);
    dns.set('plain.test', [
      { type: 'A', address: '192.0.2.51' },
      { type: 'AAAA', address: '2001:db8::51' },
    ]);
    const l = locator();
    expect(await l.locate({ secure: false, host: 'srv.test' })).toEqual([{ proto: 'tcp', address: '192.0.2.50', port: 5090 }]);
    expect(await l.locate({ secure: false, host: 'plain.test' })).toEqual([
      { proto: 'udp', address: '192.0.2.51', port: 5060 },
      { proto: 'udp', address: '2001:db8::51', port: 5060 },
    ]);
    expect(dns.queries.filter((q) => q.type === 'SRV' && q.name.endsWith('plain.test')).map((q) => q.name).sort()).toEqual([
      '_sip._tcp.plain.test',
      '_sip._udp.plain.test',
      '_sips._tcp.plain.test',
    ]);
  });

  it('sends a sips: URI only over TLS', async () => {
    dns.set('secure.test', [
      { type: 'NAPTR', order: 10, preference: 10, flags: 's', service: 'SIP+D2U', replacement: '_sip._udp.secure.test' },
      { type: 'NAPTR', order: 20, preference: 10, flags: 's', service: 'SIPS+D2T', replacement: '_sips._tcp.secure.test' },
      { type: 'A', address: '192.0.2.61' },
    ]);
    dns.set('_sip._udp.secure.test', [{ type: 'SRV', priority: 1, weight: 1, port: 5060, target: 'secure.test' }]);
    dns.set('_sips._tcp.secure.test', [{ type: 'SRV', priority: 1, weight: 1, port: 5071, target: 'secure.test' }]);
    dns.set('nosrv.test', [{ type: 'A', address: '192.0.2.62' }]);
    const l = locator({ families: [4] });
    expect(await l.locate({ secure: true, host: 'secure.test' })).toEqual([{ proto: 'tls', address: '192.0.2.61', port: 5071 }]);
    expect(await l.locate({ secure: true, host: 'nosrv.test' })).toEqual([{ proto: 'tls', address: '192.0.2.62', port: 5061 }]);
    expect(dns.queries.filter((q) => q.type === 'SRV' && q.name.endsWith('nosrv.test')).map((q) => q.name)).toEqual(['_sips._tcp.nosrv.test']);
    expect(await l.locate({ secure: true, host: 'nosrv.test', transport: 'tcp' })).toEqual([{ proto: 'tls', address: '192.0.2.62', port: 5061 }]);
  });

  it('caches NXDOMAIN for the negative TTL and asks again after it', async () => {
    const l = locator({ negativeTtlS: 30 });
    expect(await l.locate({ secure: false, host: 'nowhere.test', port: 5060 })).toEqual([]);
    const asked = dns.queries.length;
    expect(asked).toBeGreaterThan(0);
    expect(await l.locate({ secure: false, host: 'nowhere.test', port: 5060 })).toEqual([]);
    expect(dns.queries).toHaveLength(asked);
    now += 30_000;
    dns.set('nowhere.test', [{ type: 'A', address: '192.0.2.70' }]);
    expect(await l.locate({ secure: false, host: 'nowhere.test', port: 5060 })).toEqual([{ proto: 'udp', address: '192.0.2.70', port: 5060 }]);
  });

  it('keeps an address for its TTL and asks again when it expires', async () => {
    dns.set('ttl.test', [{ type: 'A', address: '192.0.2.80', ttl: 60 }]);
    const l = locator({ families: [4] });
    const target = { secure: false, host: 'ttl.test', port: 5060 };
    expect((await l.locate(target))[0].address).toBe('192.0.2.80');
    dns.set('ttl.test', [{ type: 'A', address: '192.0.2.81', ttl: 60 }]);
    now += 59_000;
    expect((await l.locate(target))[0].address).toBe('192.0.2.80');
    now += 1_000;
    expect((await l.locate(target))[0].address).toBe('192.0.2.81');
    expect(dns.count('ttl.test', 'A')).toBe(2);
  });

  it('bounds its cache: past cacheEntries names, the least recently used is asked again', async () => {
    for (const n of ['a', 'b', 'c']) dns.set(`${n}.test`, [{ type: 'A', address: '192.0.2.90' }]);
    const l = locator({ families: [4], cacheEntries: 2 });
    for (const n of ['a', 'b', 'a', 'c', 'a', 'b']) await l.locate({ secure: false, host: `${n}.test`, port: 5060 });
    expect(dns.count('a.test', 'A')).toBe(1);
    expect(dns.count('b.test', 'A')).toBe(2);
    expect(dns.count('c.test', 'A')).toBe(1);
  });

  it('gives up on a query after the timeout and does not cache the failure', async () => {
    dns.silent.add('slow.test');
    const l = locator({ families: [4], timeoutMs: 150 });
    const started = Date.now();
    expect(await l.locate({ secure: false, host: 'slow.test', port: 5060 })).toEqual([]);
    expect(Date.now() - started).toBeLessThan(1000);
    dns.silent.delete('slow.test');
    dns.set('slow.test', [{ type: 'A', address: '192.0.2.100' }]);
    expect(await l.locate({ secure: false, host: 'slow.test', port: 5060 })).toEqual([{ proto: 'udp', address: '192.0.2.100', port: 5060 }]);
  });

  it('shares one query among concurrent lookups of a name', async () => {
    dns.set('busy.test', [{ type: 'A', address: '192.0.2.110' }]);
    const l = locator({ families: [4] });
    const results = await Promise.all([1, 2, 3].map(() => l.locate({ secure: false, host: 'busy.test', port: 5060 })));
    expect(results.every((r) => r[0]?.address === '192.0.2.110')).toBe(true);
    expect(dns.count('busy.test', 'A')).toBe(1);
  });

  it('returns at most maxTargets candidates', async () => {
    dns.set('_sip._udp.many.test', Array.from({ length: 10 }, (_, i) => ({ type: 'SRV' as const, priority: i, weight: 0, port: 5060, target: `h${i}.many.test` })));
    for (let i = 0; i < 10; i++) dns.set(`h${i}.many.test`, [{ type: 'A', address: `192.0.2.${120 + i}` }]);
    const peers = await locator({ families: [4], maxTargets: 3 }).locate({ secure: false, host: 'many.test', transport: 'udp' });
    expect(peers.map((p) => p.address)).toEqual(['192.0.2.120', '192.0.2.121', '192.0.2.122']);
    // Only this lookup's names: a slower test's resolver may still retry its own name meanwhile.
    expect(dns.queries.filter((q) => q.type === 'A' && q.name.endsWith('.many.test'))).toHaveLength(3);
  });

  it('does not send malformed or .invalid names to DNS', async () => {
    expect(await locator().locate({ secure: false, host: 'bad..name' })).toEqual([]);
    expect(await locator().locate({ secure: false, host: `${'x'.repeat(64)}.test` })).toEqual([]);
    expect(await locator().locate({ secure: false, host: 'df7jal23ls0d.invalid', transport: 'ws' })).toEqual([]);
    expect(dns.queries).toEqual([]);
  });

  describe('names that need no DNS', () => {
    let dir: string;
    beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'locator-'))));
    afterEach(() => rm(dir, { recursive: true, force: true }));

    it('answers /etc/hosts names from the file, skipping NAPTR and SRV', async () => {
      const path = join(dir, 'hosts');
      await writeFile(path, '10.1.2.3 trunk.lan\n');
      const l = locator({ hosts: new HostsFile({ path }) });
      expect(await l.locate({ secure: false, host: 'trunk.lan' })).toEqual([{ proto: 'udp', address: '10.1.2.3', port: 5060 }]);
      expect(await l.locate({ secure: false, host: 'trunk.lan', transport: 'tcp', port: 5070 })).toEqual([{ proto: 'tcp', address: '10.1.2.3', port: 5070 }]);
      expect(dns.queries).toEqual([]);
    });

    it('answers localhost with loopback (RFC 6761) even when the hosts file lacks it', async () => {
      const l = locator({ hosts: new HostsFile({ path: join(dir, 'absent') }) });
      expect(await l.locate({ secure: false, host: 'localhost', port: 5090 })).toEqual([
        { proto: 'udp', address: '127.0.0.1', port: 5090 },
        { proto: 'udp', address: '::1', port: 5090 },
      ]);
      expect(dns.queries).toEqual([]);
    });
  });
});
