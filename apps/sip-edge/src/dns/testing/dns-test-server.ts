import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';

/** Records the test server answers with; `ttl` defaults to 300 s. */
export type TestRecord =
  | { type: 'A'; address: string; ttl?: number }
  | { type: 'AAAA'; address: string; ttl?: number }
  | { type: 'SRV'; priority: number; weight: number; port: number; target: string; ttl?: number }
  | { type: 'NAPTR'; order: number; preference: number; flags: string; service: string; regexp?: string; replacement: string; ttl?: number };

const TYPE_CODES = { A: 1, AAAA: 28, SRV: 33, NAPTR: 35 } as const;
const TYPE_NAMES = new Map<number, string>(Object.entries(TYPE_CODES).map(([name, code]) => [code, name]));

export interface ReceivedQuery {
  name: string;
  type: string;
}

/**
 * A tiny authoritative DNS server over UDP for unit tests: answers A/AAAA/SRV/NAPTR from a table,
 * NXDOMAIN for names it does not know, NOERROR with no answers (NODATA) for known names without that
 * type, and nothing at all for names in `silent` (to exercise timeouts).
 */
export class DnsTestServer {
  readonly zone = new Map<string, TestRecord[]>();
  readonly silent = new Set<string>();
  readonly queries: ReceivedQuery[] = [];
  private constructor(
    private readonly socket: Socket,
    readonly port: number,
  ) {}

  static async start(): Promise<DnsTestServer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    const server = new DnsTestServer(socket, socket.address().port);
    socket.on('message', (msg, rinfo) => server.onQuery(msg, rinfo));
    return server;
  }

  /** `127.0.0.1:<port>`, for `Resolver.setServers`. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  set(name: string, records: TestRecord[]): void {
    this.zone.set(name.toLowerCase(), records);
  }

  /** Queries received for one name and type. */
  count(name: string, type: string): number {
    return this.queries.filter((q) => q.name === name.toLowerCase() && q.type === type).length;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private onQuery(msg: Buffer, rinfo: RemoteInfo): void {
    if (msg.length < 12 || msg.readUInt16BE(4) !== 1) return;
    let offset = 12;
    const labels: string[] = [];
    while (offset < msg.length && msg[offset] !== 0) {
      const len = msg[offset];
      labels.push(msg.toString('latin1', offset + 1, offset + 1 + len));
      offset += len + 1;
    }
    const questionEnd = offset + 5;
    if (questionEnd > msg.length) return;
    const name = labels.join('.').toLowerCase();
    const typeCode = msg.readUInt16BE(offset + 1);
    const type = TYPE_NAMES.get(typeCode) ?? String(typeCode);
    this.queries.push({ name, type });
    if (this.silent.has(name)) return;
    const records = this.zone.get(name);
    const answers = (records ?? []).filter((r) => TYPE_CODES[r.type] === typeCode).map(encodeRecord);
    const header = Buffer.alloc(12);
    header.writeUInt16BE(msg.readUInt16BE(0), 0);
    const rd = msg[2] & 0x01;
    header[2] = 0x84 | rd; // QR, AA
    header[3] = 0x80 | (records ? 0 : 3); // RA, NOERROR or NXDOMAIN
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const reply = Buffer.concat([header, msg.subarray(12, questionEnd), ...answers]);
    this.socket.send(reply, rinfo.port, rinfo.address);
  }
}

function encodeRecord(r: TestRecord): Buffer {
  let rdata: Buffer;
  switch (r.type) {
    case 'A':
      rdata = Buffer.from(r.address.split('.').map(Number));
      break;
    case 'AAAA':
      rdata = encodeIpv6(r.address);
      break;
    case 'SRV': {
      const fixed = Buffer.alloc(6);
      fixed.writeUInt16BE(r.priority, 0);
      fixed.writeUInt16BE(r.weight, 2);
      fixed.writeUInt16BE(r.port, 4);
      rdata = Buffer.concat([fixed, encodeName(r.target)]);
      break;
    }
    case 'NAPTR': {
      const fixed = Buffer.alloc(4);
      fixed.writeUInt16BE(r.order, 0);
      fixed.writeUInt16BE(r.preference, 2);
      rdata = Buffer.concat([fixed, charString(r.flags), charString(r.service), charString(r.regexp ?? ''), encodeName(r.replacement)]);
      break;
    }
  }
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
  head.writeUInt16BE(TYPE_CODES[r.type], 2);
  head.writeUInt16BE(1, 4); // IN
  head.writeUInt32BE(r.ttl ?? 300, 6);
  head.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([head, rdata]);
}

function encodeName(name: string): Buffer {
  const parts = name.split('.').filter((l) => l.length > 0);
  return Buffer.concat([...parts.map(charString), Buffer.from([0])]);
}

function charString(s: string): Buffer {
  const b = Buffer.from(s, 'latin1');
  return Buffer.concat([Buffer.from([b.length]), b]);
}

function encodeIpv6(address: string): Buffer {
  if (!isIPv6(address)) throw new Error(`not an IPv6 address: ${address}`);
  const [head, tail] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail.length > 0 ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}
