import { formatSoftphoneSettings, softphoneServers } from './softphone-settings';

const CONTACTS = [
  'sip:0.0.0.0:5060;transport=udp',
  'sip:0.0.0.0:5060;transport=tcp',
  'sips:0.0.0.0:5061;transport=tls',
  'sips:0.0.0.0:8443;transport=wss',
];
const base = {
  contacts: CONTACTS,
  realm: 'demo.pbx.local',
  tenantName: 'Demo',
  caFile: '/srv/pbx/var/tls/ca.crt',
  rotateCommand: 'npm run demo:passwords',
};
const phones = (password?: string) => [
  { username: '1001', extension: '1001', transports: ['tls', 'wss'], password: password && `${password}1` },
  { username: '1002', extension: '1002', transports: ['tls', 'wss'], password: password && `${password}2` },
];
const machineLines = (lines: string[]) => lines.filter((l) => l.startsWith('softphone: '));

describe('softphoneServers', () => {
  it('keeps only the transports a device allows, preferred first, wildcards reached on loopback', () => {
    expect(softphoneServers(CONTACTS, ['wss', 'tls'])).toEqual([
      { transport: 'tls', host: '127.0.0.1', port: 5061 },
      { transport: 'wss', host: '127.0.0.1', port: 8443, url: 'wss://127.0.0.1:8443/' },
    ]);
  });

  it('lists UDP and TCP when a device allows them, with the ports the edge parses (defaults included)', () => {
    expect(softphoneServers(['sip:10.1.2.3;transport=tcp', 'sip:[::1]:5070'], ['udp', 'tcp'])).toEqual([
      { transport: 'tcp', host: '10.1.2.3', port: 5060 },
      { transport: 'udp', host: '::1', port: 5070 },
    ]);
  });
});

describe('formatSoftphoneSettings', () => {
  it('on the run that set the passwords, prints one machine line per device and allowed server', () => {
    const lines = formatSoftphoneSettings({ ...base, devices: phones('pw') });
    expect(machineLines(lines)).toEqual([
      'softphone: transport=tls host=127.0.0.1 port=5061 domain=demo.pbx.local username=1001 password=pw1 ca=/srv/pbx/var/tls/ca.crt',
      'softphone: transport=wss host=127.0.0.1 port=8443 url=wss://127.0.0.1:8443/ domain=demo.pbx.local username=1001 password=pw1 ca=/srv/pbx/var/tls/ca.crt',
      'softphone: transport=tls host=127.0.0.1 port=5061 domain=demo.pbx.local username=1002 password=pw2 ca=/srv/pbx/var/tls/ca.crt',
      'softphone: transport=wss host=127.0.0.1 port=8443 url=wss://127.0.0.1:8443/ domain=demo.pbx.local username=1002 password=pw2 ca=/srv/pbx/var/tls/ca.crt',
    ]);
    const text = lines.join('\n');
    expect(text).toContain(
      '<sip:1001@demo.pbx.local;transport=tls>;auth_pass=pw1;outbound="sip:127.0.0.1:5061;transport=tls"',
    );
    expect(text).toContain("transportOptions: { server: 'wss://127.0.0.1:8443/' }");
    expect(text).toContain('sip_cafile /srv/pbx/var/tls/ca.crt');
    expect(text).not.toMatch(/UDP|TCP /);
  });

  it('on later runs reveals no password and names the command that makes new ones', () => {
    const lines = formatSoftphoneSettings({ ...base, devices: phones() });
    expect(machineLines(lines)).toEqual([]);
    expect(lines.join('\n')).not.toMatch(/password=|auth_pass/);
    expect(lines.join('\n')).toContain('`npm run demo:passwords` gives them new passwords');
  });

  it('says so when the edge listens on none of the devices transports, and when the CA did not issue the certificate', () => {
    const lines = formatSoftphoneSettings({
      ...base,
      caFile: undefined,
      contacts: ['sip:0.0.0.0:5060;transport=udp'],
      devices: phones('pw'),
    });
    expect(lines.join('\n')).toContain('none: the edge listens on none of the devices');
    expect(lines.join('\n')).toContain('not issued by the development CA');
    expect(machineLines(lines)).toEqual([]);
  });
});
