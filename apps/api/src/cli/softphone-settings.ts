import { parseContactString } from '../../../sip-edge/src/transport/contact-string';

/** A demo device as the softphone settings show it; `password` only on the run that set it. */
export interface SoftphoneDevice {
  username: string;
  extension: string;
  transports: readonly string[];
  password?: string;
}

export interface SoftphoneServer {
  transport: 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';
  host: string;
  port: number;
  /** WebSocket transports only: what a browser client connects to (the edge accepts any path). */
  url?: string;
}

export interface SoftphoneSettingsInput {
  /** The edge's listeners, EDGE_CONTACTS, as the edge parses them. */
  contacts: readonly string[];
  realm: string;
  tenantName: string;
  devices: readonly SoftphoneDevice[];
  /** Absolute path of the development CA that issued the edge's certificate, if it did. */
  caFile?: string;
  /** The command that gives the demo devices new passwords. */
  rotateCommand: string;
}

// Preferred first: what a person should pick when a phone offers several.
const ORDER = ['tls', 'wss', 'tcp', 'udp', 'ws'] as const;

/** A wildcard listener is reached on loopback here; the development certificate names 127.0.0.1. */
function reachableHost(address: string): string {
  return address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address;
}

function hostForUri(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The edge's listeners a device may use, in order of preference. */
export function softphoneServers(
  contacts: readonly string[],
  transports: readonly string[],
): SoftphoneServer[] {
  const servers = contacts
    .map((c) => parseContactString(c))
    .filter((l) => transports.includes(l.proto))
    .map((l): SoftphoneServer => {
      const host = reachableHost(l.address);
      const server: SoftphoneServer = { transport: l.proto, host, port: l.port };
      if (l.proto === 'ws' || l.proto === 'wss') server.url = `${l.proto}://${hostForUri(host)}:${l.port}/`;
      return server;
    });
  return servers.sort((a, b) => ORDER.indexOf(a.transport) - ORDER.indexOf(b.transport));
}

function serverLabel(s: SoftphoneServer): string {
  const where = s.url ?? `${hostForUri(s.host)}:${s.port}`;
  const note = s.url ? '   (SIP over WebSocket, subprotocol "sip": sip.js, JsSIP)' : '';
  return `${s.transport.toUpperCase().padEnd(4)} ${where}${note}`;
}

function baresipLine(d: SoftphoneDevice, realm: string, s: SoftphoneServer): string {
  // SRTP is required on device legs by default (tenants.srtp_required): baresip must offer SDES (its srtp module).
  return `<sip:${d.username}@${realm};transport=${s.transport}>;auth_pass=${d.password ?? ''};outbound="sip:${hostForUri(s.host)}:${s.port};transport=${s.transport}";mediaenc=srtp-mand`;
}

/**
 * What `npm run up` prints for softphones: readable lines, then one `softphone:` line per device and
 * server (key=value, `ca` last) for scripts and the stack test. Passwords appear only when given.
 */
export function formatSoftphoneSettings(input: SoftphoneSettingsInput): string[] {
  const { realm, devices, caFile } = input;
  const servers = softphoneServers(input.contacts, [...new Set(devices.flatMap((d) => d.transports))]);
  const withPasswords = devices.filter((d) => d.password !== undefined);
  const names = devices.map((d) => d.username).join(' and ');
  const out: string[] = [];
  if (withPasswords.length === 0) {
    out.push(
      `Demo softphones: devices ${names} of tenant "${input.tenantName}" (domain ${realm}) exist; their passwords were shown once, when they were set.`,
      `  \`${input.rotateCommand}\` gives them new passwords and prints them (the old ones stop working at once).`,
    );
  } else {
    out.push(
      `Demo softphones (passwords shown once: only their digests are stored; \`${input.rotateCommand}\` makes new ones):`,
      `  domain/realm    ${realm}   (tenant "${input.tenantName}")`,
    );
  }
  out.push(
    caFile
      ? `  trust           ${caFile}   (the development CA that issued the edge's certificate)`
      : `  trust           the issuer of EDGE_TLS_CERT (not issued by the development CA)`,
  );
  if (servers.length === 0) {
    out.push(
      `  servers         none: the edge listens on none of the devices' transports; check EDGE_CONTACTS`,
    );
    return out;
  }
  servers.forEach((s, i) => out.push(`  ${i === 0 ? 'servers' : ''.padEnd(7)}         ${serverLabel(s)}`));
  if (withPasswords.length === 0) return out;
  for (const d of withPasswords)
    out.push(
      `  ${d.username.padEnd(14)}  username ${d.username}   password ${d.password}   (extension ${d.extension})`,
    );
  const stream = servers.find((s) => s.transport === 'tls' || s.transport === 'tcp' || s.transport === 'udp');
  if (stream) {
    out.push(
      `  baresip         one line per phone in ~/.baresip/accounts${caFile ? `, and \`sip_cafile ${caFile}\` in ~/.baresip/config` : ''} (with \`module srtp.so\`):`,
    );
    for (const d of withPasswords) out.push(`                    ${baresipLine(d, realm, stream)}`);
    out.push(
      `                  (baresip 1.0, as in Debian 12, computes MD5 only and gives up when SHA-256 is offered too: for it,`,
      `                   PATCH /api/v1/devices/{id} with {"digest_algorithms":["MD5"]}; newer baresip answers SHA-256)`,
    );
  }
  const ws = servers.find((s) => s.url !== undefined);
  if (ws) {
    const d = withPasswords[0];
    out.push(
      `  sip.js          new UserAgent({ uri: UserAgent.makeURI('sip:${d.username}@${realm}'), authorizationUsername: '${d.username}',`,
      `                    authorizationPassword: '${d.password}', transportOptions: { server: '${ws.url}' } })`,
      `                  (likewise for the other phone; the browser must trust the CA above)`,
    );
  }
  out.push('');
  for (const d of withPasswords) {
    for (const s of servers.filter((server) => d.transports.includes(server.transport))) {
      const fields = [`transport=${s.transport}`, `host=${s.host}`, `port=${s.port}`];
      if (s.url) fields.push(`url=${s.url}`);
      fields.push(`domain=${realm}`, `username=${d.username}`, `password=${d.password}`);
      if (caFile) fields.push(`ca=${caFile}`);
      out.push(`softphone: ${fields.join(' ')}`);
    }
  }
  return out;
}
