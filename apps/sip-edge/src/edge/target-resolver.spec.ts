import { DnsTestServer } from '../dns/testing/dns-test-server';
import { configureTargetResolver, dialogPeer, dialogPeers, locateTarget, resolveTarget, resolveTargets, uriTarget } from './target-resolver';

describe('target-resolver', () => {
  let dns: DnsTestServer;
  beforeAll(async () => {
    dns = await DnsTestServer.start();
    configureTargetResolver({ servers: [dns.address], hosts: false, families: [4], random: () => 0 });
    dns.set('_sip._udp.carrier.test', [
      { type: 'SRV', priority: 10, weight: 0, port: 5060, target: 'sbc1.carrier.test' },
      { type: 'SRV', priority: 20, weight: 0, port: 5062, target: 'sbc2.carrier.test' },
    ]);
    dns.set('sbc1.carrier.test', [{ type: 'A', address: '198.51.100.1' }]);
    dns.set('sbc2.carrier.test', [{ type: 'A', address: '198.51.100.2' }]);
  });
  afterAll(() => dns.close());

  it('reads target, port and transport from a URI, preferring maddr', () => {
    expect(locateTarget('sips:bob@example.com;transport=tcp')).toEqual({ secure: true, host: 'example.com', port: undefined, transport: 'tcp' });
    expect(locateTarget('sip:bob@example.com:5070;maddr=192.0.2.9')).toEqual({ secure: false, host: '192.0.2.9', port: 5070, transport: undefined });
    expect(locateTarget('tel:+15551234')).toBeUndefined();
  });

  it('keeps uriTarget for self-checks: explicit values or defaults, sips forcing TLS', () => {
    expect(uriTarget('sip:10.0.0.1')).toEqual({ proto: 'udp', host: '10.0.0.1', port: 5060 });
    expect(uriTarget('sips:10.0.0.1;transport=tcp')).toEqual({ proto: 'tls', host: '10.0.0.1', port: 5061 });
    expect(uriTarget('sips:10.0.0.1;transport=ws')).toEqual({ proto: 'wss', host: '10.0.0.1', port: 443 });
  });

  it('resolves every candidate for failover and the first for single-target callers', async () => {
    expect(await resolveTargets('sip:+15551234@carrier.test;transport=udp')).toEqual([
      { proto: 'udp', address: '198.51.100.1', port: 5060 },
      { proto: 'udp', address: '198.51.100.2', port: 5062 },
    ]);
    expect(await resolveTarget('sip:+15551234@carrier.test;transport=udp')).toEqual({ proto: 'udp', address: '198.51.100.1', port: 5060 });
    expect(await resolveTarget('sip:127.0.0.1:5090;transport=tcp')).toEqual({ proto: 'tcp', address: '127.0.0.1', port: 5090 });
    expect(await resolveTarget('mailto:x@y')).toBeUndefined();
  });

  it('sends in-dialog requests over the dialog connection, else to the first Route, else the remote target', async () => {
    const peer = { proto: 'tcp' as const, address: '192.0.2.1', port: 40000, connectionId: 'c1' };
    expect(await dialogPeers({ peer, routeSet: ['<sip:carrier.test;lr>'], remoteTarget: 'sip:x@192.0.2.2' })).toEqual([peer]);
    expect(await dialogPeer({ routeSet: ['<sip:carrier.test;transport=udp;lr>'], remoteTarget: 'sip:x@192.0.2.2' })).toEqual({
      proto: 'udp',
      address: '198.51.100.1',
      port: 5060,
    });
    expect(await dialogPeer({ routeSet: [], remoteTarget: 'sip:x@192.0.2.2:5070' })).toEqual({ proto: 'udp', address: '192.0.2.2', port: 5070 });
  });
});
