import { ClientTransactionUser } from './client-transaction';
import { TransactionLayer, type RequestKeyParts } from './transaction-layer';
import type { SipPeer } from './transaction-types';

const udp: SipPeer = { proto: 'udp', address: '127.0.0.1', port: 5070 };
const tcp: SipPeer = { proto: 'tcp', address: '127.0.0.1', port: 5070 };
const T = { t1: 500, t2: 4000, t4: 5000 };

function parts(over: Partial<RequestKeyParts> = {}): RequestKeyParts {
  return { method: 'INVITE', branch: 'z9hG4bK-1', sentBy: '127.0.0.1:5070', callId: 'c1', fromTag: 'f1', toTag: '', cseq: 1, ...over };
}

describe('TransactionLayer (RFC 3261 §17, RFC 6026)', () => {
  let sent: Array<{ at: number; data: string }>;
  let layer: TransactionLayer;
  const start = Date.now();

  beforeEach(() => {
    jest.useFakeTimers({ now: start });
    sent = [];
    layer = new TransactionLayer({ send: (_p, d) => sent.push({ at: Date.now() - start, data: d.toString() }), timers: T, maxTransactions: 3 });
  });
  afterEach(() => {
    layer.close();
    jest.useRealTimers();
  });

  it('non-INVITE server: the final response answers retransmissions until Timer J', () => {
    const p = parts({ method: 'REGISTER' });
    const txn = layer.createServer(p, udp);
    txn.respond(200, Buffer.from('200'));
    expect(layer.matchRequest(p)).toEqual({ kind: 'retransmission', txn });
    txn.onRequestRetransmission();
    expect(sent.map((s) => s.data)).toEqual(['200', '200']);
    jest.advanceTimersByTime(64 * T.t1 + 50);
    expect(txn.state).toBe('terminated');
    expect(layer.matchRequest(p).kind).toBe('new');
  });

  it('completed UDP transactions linger in one queue: byte-exact retransmissions, nothing of the TU kept, each ends after Timer J', () => {
    const big = new TransactionLayer({ send: (_p, d) => sent.push({ at: Date.now() - start, data: d.toString() }), timers: T });
    const response = Buffer.from('SIP/2.0 200 OK\r\nFrom: "Zoë" <sip:z@x>\r\n\r\n');
    const txns = [];
    for (let i = 0; i < 3000; i++) {
      const p = parts({ method: 'REGISTER', branch: `z9hG4bK-r${i}`, callId: `c${i}` });
      const txn = big.createServer(p, udp);
      txn.context = { big: Buffer.alloc(1024) };
      txn.respond(200, response);
      expect(txn.context).toBeUndefined();
      txns.push({ p, txn });
      jest.advanceTimersByTime(i % 100 === 0 ? 1 : 0);
    }
    expect(big.lingeringCount).toBe(3000);
    expect(big.matchRequest(txns[1234].p)).toEqual({ kind: 'retransmission', txn: txns[1234].txn });
    txns[1234].txn.onRequestRetransmission();
    expect(Buffer.from(sent[sent.length - 1].data).equals(response)).toBe(true);
    expect(txns[1234].txn.lastResponse?.equals(response)).toBe(true);
    jest.advanceTimersByTime(64 * T.t1 - 40);
    expect(big.lingeringCount).toBe(3000);
    jest.advanceTimersByTime(40 + 10);
    // The first ones (scheduled at t=0) are gone within a tick of Timer J, the rest follow in order.
    expect(big.lingeringCount).toBeLessThan(3000);
    expect(txns[0].txn.state).toBe('terminated');
    jest.advanceTimersByTime(100);
    expect(big.lingeringCount).toBe(0);
    expect(big.serverCount).toBe(0);
    expect(txns.every((t) => t.txn.state === 'terminated')).toBe(true);
    expect(big.matchRequest(txns[2999].p).kind).toBe('new');
    big.close();
  });

  it('non-INVITE server over TCP ends at once (Timer J = 0)', () => {
    const txn = layer.createServer(parts({ method: 'OPTIONS' }), tcp);
    txn.respond(200, Buffer.from('200'));
    expect(txn.state).toBe('terminated');
    expect(layer.serverCount).toBe(0);
  });

  it('INVITE server non-2xx: Timer G doubles up to T2, the ACK stops it (Confirmed, Timer I)', () => {
    const p = parts();
    const txn = layer.createServer(p, udp);
    txn.respond(486, Buffer.from('486'));
    jest.advanceTimersByTime(500 + 1000 + 2000 + 4000 + 4000 + 100);
    expect(sent.map((s) => Math.round(s.at / 100) * 100)).toEqual([0, 500, 1500, 3500, 7500, 11500]);
    expect(sent.every((x) => x.data === '486')).toBe(true);
    expect(layer.matchRequest({ ...p, method: 'ACK' })).toEqual({ kind: 'ack', txn });
    expect(txn.onAck()).toBe(true);
    expect(txn.state).toBe('confirmed');
    // Nothing is sent from Confirmed, so the response is not kept for Timer I.
    expect(txn.lastResponse).toBeUndefined();
    jest.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(6);
    expect(txn.state).toBe('terminated');
  });

  it('INVITE server 2xx goes to Accepted (RFC 6026) and ignores a later non-2xx', () => {
    const txn = layer.createServer(parts(), udp);
    txn.respond(180, Buffer.from('180'));
    expect(txn.respond(200, Buffer.from('200'))).toBe(true);
    expect(txn.state).toBe('accepted');
    expect(txn.lastResponse).toBeUndefined();
    expect(txn.respond(500, Buffer.from('500'))).toBe(false);
    jest.advanceTimersByTime(64 * T.t1 + 50);
    expect(txn.state).toBe('terminated');
  });

  it('detects a merged request (same Call-ID/From-tag/CSeq, other branch) and bounds live transactions', () => {
    layer.createServer(parts(), udp);
    expect(layer.matchRequest(parts({ branch: 'z9hG4bK-2' })).kind).toBe('merged');
    expect(layer.matchRequest(parts({ branch: 'z9hG4bK-2', toTag: 'x' })).kind).not.toBe('merged');
    layer.createServer(parts({ branch: 'z9hG4bK-3', callId: 'c3' }), udp);
    layer.createServer(parts({ branch: 'z9hG4bK-4', callId: 'c4' }), udp);
    expect(layer.matchRequest(parts({ branch: 'z9hG4bK-5', callId: 'c5' })).kind).toBe('overloaded');
  });

  it('matches CANCEL to the INVITE it cancels', () => {
    const invite = layer.createServer(parts(), udp);
    expect(layer.matchRequest(parts({ method: 'CANCEL' }))).toEqual({ kind: 'cancel', invite });
  });

  it('non-INVITE client: Timer E doubles to T2, Timer F reports 408', () => {
    const tu: ClientTransactionUser = { onResponse: jest.fn(), onFailure: jest.fn() };
    layer.createClient('z9hG4bK-c1', 'OPTIONS', udp, Buffer.from('OPTIONS'), tu);
    jest.advanceTimersByTime(64 * T.t1 + 50);
    const times = sent.map((s) => Math.round(s.at / 100) * 100);
    expect(times.slice(0, 6)).toEqual([0, 500, 1500, 3500, 7500, 11500]);
    expect(tu.onFailure).toHaveBeenCalledWith(expect.anything(), 408, 'Request Timeout');
    expect(layer.clientCount).toBe(0);
  });

  it('INVITE client: ACKs a non-2xx itself and again for each retransmitted final', () => {
    const tu: ClientTransactionUser = { onResponse: jest.fn(), onFailure: jest.fn() };
    const txn = layer.createClient('z9hG4bK-c2', 'INVITE', udp, Buffer.from('INVITE'), tu, () => Buffer.from('ACK'));
    txn.onResponse(180, {});
    jest.advanceTimersByTime(2000);
    expect(sent.map((s) => s.data)).toEqual(['INVITE']);
    txn.onResponse(486, {});
    txn.onResponse(486, {});
    expect(sent.map((s) => s.data)).toEqual(['INVITE', 'ACK', 'ACK']);
    expect(tu.onResponse).toHaveBeenCalledTimes(2);
    expect(layer.findClient('z9hG4bK-c2', 'INVITE')).toBe(txn);
  });

  it('INVITE client: passes every 2xx to the TU while Accepted (RFC 6026 §8.4)', () => {
    const tu: ClientTransactionUser = { onResponse: jest.fn(), onFailure: jest.fn() };
    const txn = layer.createClient('z9hG4bK-c3', 'INVITE', udp, Buffer.from('INVITE'), tu);
    txn.onResponse(200, {});
    txn.onResponse(200, {});
    expect(tu.onResponse).toHaveBeenCalledTimes(2);
    expect(txn.state).toBe('accepted');
  });
});
