import { ConfigError } from '@pbx/config';
import { loadEdgeConfig } from './edge-config';

const base = { EDGE_SECRET: 'a-long-enough-secret', EDGE_CONTACTS: 'sip:127.0.0.1:5060;transport=udp' };

describe('loadEdgeConfig', () => {
  it('applies defaults (admin 127.0.0.1:9022, RFC 3261 timers)', () => {
    const c = loadEdgeConfig(base);
    expect(c.admin).toEqual({ address: '127.0.0.1', port: 9022, secret: 'a-long-enough-secret' });
    expect(c.contacts).toEqual(['sip:127.0.0.1:5060;transport=udp']);
    expect(c.timers).toEqual({ t1: 500, t2: 4000, t4: 5000 });
    expect(c.cdrs).toBe(false);
  });

  it('names a missing secret and never defaults it', () => {
    expect(() => loadEdgeConfig({ EDGE_CONTACTS: base.EDGE_CONTACTS })).toThrow(/EDGE_SECRET is required/);
  });

  it('requires key and cert files for tls/wss contacts', () => {
    const env = { ...base, EDGE_CONTACTS: 'sip:0.0.0.0:5060;transport=udp,sips:0.0.0.0:5061;transport=tls' };
    expect(() => loadEdgeConfig(env)).toThrow(ConfigError);
    const c = loadEdgeConfig({ ...env, EDGE_TLS_KEY: '/k.pem', EDGE_TLS_CERT: '/c.pem' });
    expect(c.tls).toEqual({ keyFile: '/k.pem', certFile: '/c.pem', chainFile: undefined });
    expect(c.contacts).toHaveLength(2);
  });

  it('takes an external IP for Via/Contact and rejects a host name there', () => {
    expect(loadEdgeConfig({ ...base, EDGE_EXTERNAL_IP: '203.0.113.7' }).externalIp).toBe('203.0.113.7');
    expect(() => loadEdgeConfig({ ...base, EDGE_EXTERNAL_IP: 'sip.example.com' })).toThrow(/EDGE_EXTERNAL_IP/);
  });

  it('parses outbound request handlers (tcp:// only)', () => {
    expect(loadEdgeConfig({ ...base, EDGE_REQUEST_HANDLERS: 'INVITE=tcp://10.0.0.5:9025' }).requestHandlers).toEqual({ invite: 'tcp://10.0.0.5:9025' });
    expect(loadEdgeConfig({ ...base, EDGE_REQUEST_HANDLERS: '*=https://router.example/route' }).requestHandlers).toEqual({ '*': 'https://router.example/route' });
    expect(loadEdgeConfig({ ...base, EDGE_REQUEST_HANDLER_HTTP_METHOD: 'POST' }).requestHandlerHttpMethod).toBe('POST');
    expect(() => loadEdgeConfig({ ...base, EDGE_REQUEST_HANDLERS: 'invite=ftp://x/y' })).toThrow(/EDGE_REQUEST_HANDLERS/);
    expect(() => loadEdgeConfig({ ...base, EDGE_REQUEST_HANDLERS: 'invite=tcp://x' })).toThrow(/EDGE_REQUEST_HANDLERS/);
    expect(() => loadEdgeConfig({ ...base, EDGE_REQUEST_HANDLERS: 'invite=https://user:s3cret@router/x' })).toThrow(/EDGE_REQUEST_HANDLERS/);
    expect(() => loadEdgeConfig({ ...base, EDGE_REQUEST_HANDLERS: 'invite=https://user:s3cret@router/x' })).not.toThrow(/s3cret/);
    expect(() => loadEdgeConfig({ ...base, EDGE_REQUEST_HANDLER_HTTP_METHOD: 'DELETE' })).toThrow(/EDGE_REQUEST_HANDLER_HTTP_METHOD/);
  });

  it('takes DNS servers as IPs with optional ports, empty by default', () => {
    expect(loadEdgeConfig(base).dnsServers).toEqual([]);
    const servers = '10.0.0.53,127.0.0.1:5353,[2001:db8::53]:53,2001:db8::54';
    expect(loadEdgeConfig({ ...base, EDGE_DNS_SERVERS: servers }).dnsServers).toEqual(servers.split(','));
    expect(() => loadEdgeConfig({ ...base, EDGE_DNS_SERVERS: 'dns.example.com' })).toThrow(/EDGE_DNS_SERVERS/);
    expect(() => loadEdgeConfig({ ...base, EDGE_DNS_SERVERS: '10.0.0.53:70000' })).toThrow(/EDGE_DNS_SERVERS/);
  });

  it('guards against flooding sources by default (300 per 2 s), can be switched off, and validates the allow list', () => {
    expect(loadEdgeConfig(base).flood).toEqual({ density: 300, releaseAfterMs: 30_000, maxSources: 100_000, allowCidrs: [] });
    expect(loadEdgeConfig({ ...base, EDGE_FLOOD_DENSITY: '0' }).flood.density).toBe(0);
    const allow = '198.51.100.0/24,2001:db8::/32,203.0.113.9';
    expect(loadEdgeConfig({ ...base, EDGE_FLOOD_ALLOW_CIDRS: allow }).flood.allowCidrs).toEqual(allow.split(','));
    expect(() => loadEdgeConfig({ ...base, EDGE_FLOOD_ALLOW_CIDRS: '10.0.0.0/8,office.example' })).toThrow(/EDGE_FLOOD_ALLOW_CIDRS/);
    expect(() => loadEdgeConfig({ ...base, EDGE_FLOOD_DENSITY: '-1' })).toThrow(/EDGE_FLOOD_DENSITY/);
  });

  it('rejects an empty contact list and a bad port', () => {
    expect(() => loadEdgeConfig({ ...base, EDGE_CONTACTS: '' })).toThrow(/EDGE_CONTACTS/);
    expect(() => loadEdgeConfig({ ...base, EDGE_ADMIN_PORT: '70000' })).toThrow(/EDGE_ADMIN_PORT/);
  });
});
