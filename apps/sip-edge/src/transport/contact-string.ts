import { isIP } from 'node:net';
import type { TransportProto } from './transport';

export interface ListenSpec {
  proto: TransportProto;
  address: string;
  port: number;
  contact: string;
}

const PROTOS: ReadonlySet<string> = new Set(['udp', 'tcp', 'tls', 'ws', 'wss']);
const DEFAULT_PORT: Record<TransportProto, number> = { udp: 5060, tcp: 5060, tls: 5061, ws: 80, wss: 443 };

/**
 * Reads a drachtio-style contact such as `sip:0.0.0.0:5060;transport=udp` or `sips:[::]:8443;transport=wss`.
 * Without `transport`, `sip:` means udp and `sips:` means tls. Throws on anything else: this runs at
 * start-up, where failing fast with the bad string is what we want.
 */
export function parseContactString(contact: string): ListenSpec {
  const m = /^(sips?):(\[[0-9a-fA-F:.]+\]|[^:;[\]]+)(?::(\d{1,5}))?((?:;[^;]*)*)$/.exec(contact.trim());
  if (!m) throw new Error(`invalid transport contact "${contact}"`);
  const [, scheme, rawHost, rawPort, rawParams] = m;
  const address = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  if (isIP(address) === 0) throw new Error(`transport contact "${contact}" must use an IP address`);
  let proto: string = scheme === 'sips' ? 'tls' : 'udp';
  for (const param of rawParams.split(';')) {
    const [k, v] = param.split('=');
    if (k?.trim().toLowerCase() === 'transport' && v) proto = v.trim().toLowerCase();
  }
  if (!PROTOS.has(proto)) throw new Error(`transport contact "${contact}" has unknown transport "${proto}"`);
  const p = proto as TransportProto;
  const port = rawPort === undefined ? DEFAULT_PORT[p] : Number(rawPort);
  if (port > 65535) throw new Error(`transport contact "${contact}" has an invalid port`);
  return { proto: p, address, port, contact: formatContact(p, address, port) };
}

export function formatContact(proto: TransportProto, address: string, port: number): string {
  const scheme = proto === 'tls' || proto === 'wss' ? 'sips' : 'sip';
  const host = address.indexOf(':') >= 0 ? `[${address}]` : address;
  return `${scheme}:${host}:${port};transport=${proto}`;
}
