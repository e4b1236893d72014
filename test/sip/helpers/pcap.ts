import { readFileSync } from 'node:fs';

export interface UdpPacket {
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  payload: Buffer;
}

/**
 * The IPv4 UDP packets of a classic pcap file as tcpdump writes it on Linux (`-i lo`: Ethernet
 * framing, or Linux cooked capture for `-i any`). Enough for tests that check what went on the wire.
 */
export function readUdpPackets(file: string): UdpPacket[] {
  const buf = readFileSync(file);
  if (buf.length < 24) return [];
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20);
  const linkHeader = linkType === 1 ? 14 : linkType === 113 ? 16 : linkType === 0 ? 4 : -1;
  if (linkHeader < 0) throw new Error(`pcap link type ${linkType} not supported`);
  const out: UdpPacket[] = [];
  for (let off = 24; off + 16 <= buf.length; ) {
    const caplen = u32(off + 8);
    const frame = buf.subarray(off + 16, off + 16 + caplen);
    off += 16 + caplen;
    const ip = frame.subarray(linkHeader);
    if (ip.length < 28 || ip[0] >> 4 !== 4 || ip[9] !== 17) continue;
    const ihl = (ip[0] & 0x0f) * 4;
    const udp = ip.subarray(ihl);
    const addr = (o: number) => `${ip[o]}.${ip[o + 1]}.${ip[o + 2]}.${ip[o + 3]}`;
    out.push({
      src: addr(12),
      dst: addr(16),
      srcPort: udp.readUInt16BE(0),
      dstPort: udp.readUInt16BE(2),
      payload: udp.subarray(8, udp.readUInt16BE(4)),
    });
  }
  return out;
}
