import { createServer, type AddressInfo } from 'node:net';
import { EDGE_SECRET, startTestEdge, waitUntil, type TestEdge } from './helpers/edge-harness';
import { RawUa as Peer } from './helpers/raw-ua';
import { fieldsOf, sipOf, WireClient } from './helpers/wire-client';

const header = (msg: string, name: string) => new RegExp(`\\r\\n${name}: *([^\\r\\n]*)`, 'i').exec(msg)?.[1] ?? '';
const tag = (value: string) => /;tag=([^;>\s]+)/.exec(value)?.[1] ?? '';
const settle = () => new Promise((r) => setTimeout(r, 300));

/**
 * The edge must not relay for strangers: a Route naming the edge, or a response whose top Via names it,
 * gets forwarded only for a dialog or a request the edge really proxied.
 */
describe('sip-edge: no open relay (stateless forwarding only for what the edge proxied)', () => {
  let edge: TestEdge;
  let app: WireClient;
  let uac: Peer;
  let uas: Peer;
  let victim: Peer;
  let edgePort: number;

  beforeAll(async () => {
    edge = await startTestEdge({ t1: 50 });
    edgePort = edge.port('udp');
    app = await WireClient.open(edge.adminPort);
    await app.reply(app.send(`authenticate|${EDGE_SECRET}|`));
    await app.reply(app.send('route|invite'));
    await app.reply(app.send('route|info'));
    [uac, uas, victim] = await Promise.all([Peer.open(), Peer.open(), Peer.open()]);
  });

  afterAll(async () => {
    app.close();
    for (const p of [uac, uas, victim]) p.close();
    await edge.close();
  });

  afterEach(() => {
    victim.got.length = 0;
  });

  it('a request with a To-tag and Route: <edge>, <victim> for no proxied dialog gets 481 and is not forwarded', async () => {
    uac.send(edgePort, [
      `MESSAGE sip:target@127.0.0.1:${victim.port} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${uac.port};rport;branch=z9hG4bK-relay-1`,
      `Route: <sip:127.0.0.1:${edgePort};lr>, <sip:127.0.0.1:${victim.port};lr>`,
      'Max-Forwards: 70',
      `From: <sip:attacker@127.0.0.1>;tag=a1`,
      `To: <sip:target@127.0.0.1>;tag=made-up`,
      'Call-ID: relay-1@attacker',
      'CSeq: 1 MESSAGE',
      'Content-Type: text/plain',
    ], 'spam');
    const res = await uac.next((m) => m.includes('relay-1@attacker'), '481 for the relay attempt');
    expect(res).toMatch(/^SIP\/2\.0 481 /);
    await settle();
    expect(victim.got).toEqual([]);
  });

  it('a response whose top Via is the edge with a branch it did not mint is dropped, not passed to the next Via', async () => {
    uac.send(edgePort, [
      'SIP/2.0 200 OK',
      `Via: SIP/2.0/UDP 127.0.0.1:${edgePort};branch=z9hG4bK-sl-forged`,
      `Via: SIP/2.0/UDP 127.0.0.1:${victim.port};branch=z9hG4bK-victim`,
      `From: <sip:a@127.0.0.1>;tag=f1`,
      `To: <sip:b@127.0.0.1>;tag=t1`,
      'Call-ID: reflect-1@attacker',
      'CSeq: 1 OPTIONS',
    ]);
    await settle();
    expect(victim.got).toEqual([]);
  });

  it('a Route to another host on the edge port is not taken for the edge (the request is simply not in a dialog)', async () => {
    uac.send(edgePort, [
      `BYE sip:target@127.0.0.1:${victim.port} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${uac.port};rport;branch=z9hG4bK-relay-2`,
      `Route: <sip:192.0.2.55:${edgePort};lr>`,
      'Max-Forwards: 70',
      'From: <sip:attacker@127.0.0.1>;tag=a2',
      'To: <sip:target@127.0.0.1>;tag=t2',
      'Call-ID: relay-2@attacker',
      'CSeq: 2 BYE',
    ]);
    expect(await uac.next((m) => m.includes('relay-2@attacker'), 'answer')).toMatch(/^SIP\/2\.0 481 /);
    await settle();
    expect(victim.got).toEqual([]);
  });

  describe('a call the app proxied with Record-Route', () => {
    const callId = 'proxied-1@uac';
    let inviteTxn = '';
    let proxyMsgId = '';
    let uasTag = '';
    let recordRoute = '';

    it('INVITE → app proxies to the UAS with remainInDialog → 200 back to the UAC with our Record-Route', async () => {
      uac.send(edgePort, [
        `INVITE sip:bob@127.0.0.1:${edgePort} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${uac.port};rport;branch=z9hG4bK-p1-inv`,
        'Max-Forwards: 70',
        'From: <sip:alice@127.0.0.1>;tag=alice1',
        'To: <sip:bob@127.0.0.1>',
        `Call-ID: ${callId}`,
        'CSeq: 1 INVITE',
        `Contact: <sip:alice@127.0.0.1:${uac.port}>`,
      ]);
      const frame = await app.next((f) => f.includes(callId) && fieldsOf(f)[1] === 'sip');
      inviteTxn = fieldsOf(frame)[8];
      proxyMsgId = app.send(`proxy|${inviteTxn}|remainInDialog||||||sip:bob@127.0.0.1:${uas.port}\r\n${sipOf(frame)}`);
      const inv = await uas.next((m) => m.startsWith('INVITE ') && m.includes(callId), 'INVITE at the UAS');
      recordRoute = header(inv, 'Record-Route');
      expect(recordRoute).toBe(`<sip:127.0.0.1:${edgePort};lr>`);
      uasTag = 'bob1';
      const vias = inv.split('\r\n').filter((l) => /^Via:/i.test(l));
      uas.send(edgePort, [
        'SIP/2.0 200 OK',
        ...vias,
        `Record-Route: ${recordRoute}`,
        `From: ${header(inv, 'From')}`,
        `To: ${header(inv, 'To')};tag=${uasTag}`,
        `Call-ID: ${callId}`,
        'CSeq: 1 INVITE',
        `Contact: <sip:bob@127.0.0.1:${uas.port}>`,
      ]);
      const ok = await uac.next((m) => m.startsWith('SIP/2.0 200') && m.includes(callId), '200 at the UAC');
      expect(tag(header(ok, 'To'))).toBe(uasTag);
      const done = await app.next((f) => fieldsOf(f)[2] === proxyMsgId);
      expect(fieldsOf(done).slice(3)).toEqual(['OK', 'done']);
    });

    it('a party to the dialog cannot use it to relay elsewhere: a Route beyond the edge that is not the dialog’s gets 481', async () => {
      uac.send(edgePort, [
        `MESSAGE sip:victim@127.0.0.1:${victim.port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${uac.port};rport;branch=z9hG4bK-p1-msg`,
        `Route: ${recordRoute}, <sip:127.0.0.1:${victim.port};lr>`,
        'Max-Forwards: 70',
        'From: <sip:alice@127.0.0.1>;tag=alice1',
        `To: <sip:bob@127.0.0.1>;tag=${uasTag}`,
        `Call-ID: ${callId}`,
        'CSeq: 5 MESSAGE',
      ]);
      expect(await uac.next((m) => m.includes('5 MESSAGE'), 'answer to the MESSAGE')).toMatch(/^SIP\/2\.0 481 /);
      uac.send(edgePort, [
        `MESSAGE sip:victim@127.0.0.1:${victim.port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${uac.port};rport;branch=z9hG4bK-p1-msg2`,
        `Route: ${recordRoute}`,
        'Max-Forwards: 70',
        'From: <sip:alice@127.0.0.1>;tag=alice1',
        `To: <sip:bob@127.0.0.1>;tag=${uasTag}`,
        `Call-ID: ${callId}`,
        'CSeq: 6 MESSAGE',
      ]);
      expect(await uac.next((m) => m.includes('6 MESSAGE'), 'answer to the second MESSAGE')).toMatch(/^SIP\/2\.0 481 /);
      await settle();
      expect(victim.got).toEqual([]);
    });

    it('a forged received/rport/transport in the caller’s Via does not redirect the response: it goes to the real source', async () => {
      const trap = createServer((sock) => {
        trapped++;
        sock.destroy();
      });
      let trapped = 0;
      await new Promise<void>((r) => trap.listen(0, '127.0.0.1', () => r()));
      const trapPort = (trap.address() as AddressInfo).port;
      try {
        uac.send(edgePort, [
          `INFO sip:bob@127.0.0.1:${uas.port} SIP/2.0`,
          `Via: SIP/2.0/TCP 127.0.0.1:${trapPort};received=127.0.0.1;rport=${trapPort};branch=z9hG4bK-p1-forged`,
          `Route: ${recordRoute}`,
          'Max-Forwards: 70',
          'From: <sip:alice@127.0.0.1>;tag=alice1',
          `To: <sip:bob@127.0.0.1>;tag=${uasTag}`,
          `Call-ID: ${callId}`,
          'CSeq: 7 INFO',
        ]);
        const info = await uas.next((m) => m.startsWith('INFO ') && m.includes('7 INFO'), 'INFO at the UAS');
        const vias = info.split('\r\n').filter((l) => /^Via:/i.test(l));
        expect(vias[1]).toContain(`received=127.0.0.1;rport=${uac.port}`);
        uas.send(edgePort, ['SIP/2.0 200 OK', ...vias, `From: ${header(info, 'From')}`, `To: ${header(info, 'To')}`, `Call-ID: ${callId}`, 'CSeq: 7 INFO']);
        expect(await uac.next((m) => m.startsWith('SIP/2.0 200') && m.includes('7 INFO'), '200 at the real source (UDP)')).toBeTruthy();
        await settle();
        expect(trapped).toBe(0);
      } finally {
        await new Promise((r) => trap.close(r));
      }
    });

    it('the in-dialog BYE with our Route reaches the UAS, and its 200 (stateless branch) comes back to the UAC', async () => {
      uac.send(edgePort, [
        `BYE sip:bob@127.0.0.1:${uas.port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${uac.port};rport;branch=z9hG4bK-p1-bye`,
        `Route: ${recordRoute}`,
        'Max-Forwards: 70',
        'From: <sip:alice@127.0.0.1>;tag=alice1',
        `To: <sip:bob@127.0.0.1>;tag=${uasTag}`,
        `Call-ID: ${callId}`,
        'CSeq: 2 BYE',
      ]);
      const bye = await uas.next((m) => m.startsWith('BYE ') && m.includes(callId), 'BYE at the UAS');
      const vias = bye.split('\r\n').filter((l) => /^Via:/i.test(l));
      expect(vias).toHaveLength(2);
      expect(vias[0]).toMatch(/branch=z9hG4bK-sl/);
      expect(header(bye, 'Max-Forwards')).toBe('69');
      uas.send(edgePort, [
        'SIP/2.0 200 OK',
        ...vias,
        `From: ${header(bye, 'From')}`,
        `To: ${header(bye, 'To')}`,
        `Call-ID: ${callId}`,
        'CSeq: 2 BYE',
      ]);
      const ok = await uac.next((m) => m.startsWith('SIP/2.0 200') && m.includes('2 BYE'), '200 for the BYE at the UAC');
      expect(ok.split('\r\n').filter((l) => /^Via:/i.test(l))).toHaveLength(1);
    });

    it('the same Call-ID with a tag that is not the dialog’s gets 481', async () => {
      uac.send(edgePort, [
        `INFO sip:victim@127.0.0.1:${victim.port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${uac.port};rport;branch=z9hG4bK-p1-info`,
        `Route: ${recordRoute}, <sip:127.0.0.1:${victim.port};lr>`,
        'Max-Forwards: 70',
        'From: <sip:alice@127.0.0.1>;tag=alice1',
        'To: <sip:bob@127.0.0.1>;tag=guessed',
        `Call-ID: ${callId}`,
        'CSeq: 3 INFO',
      ]);
      expect(await uac.next((m) => m.includes('3 INFO'), 'answer to the INFO')).toMatch(/^SIP\/2\.0 481 /);
      await settle();
      expect(victim.got).toEqual([]);
    });
  });

  describe('proxy command checks', () => {
    const newInvite = async (callId: string) => {
      uac.send(edgePort, [
        `INVITE sip:carol@127.0.0.1:${edgePort} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${uac.port};rport;branch=z9hG4bK-${callId}`,
        'Max-Forwards: 70',
        `From: <sip:alice@127.0.0.1>;tag=${callId}`,
        'To: <sip:carol@127.0.0.1>',
        `Call-ID: ${callId}`,
        'CSeq: 1 INVITE',
        `Contact: <sip:alice@127.0.0.1:${uac.port}>`,
      ]);
      const frame = await app.next((f) => f.includes(callId) && fieldsOf(f)[1] === 'sip');
      return { txn: fieldsOf(frame)[8], sip: sipOf(frame) };
    };

    it('no destination: NOK, and the request stays the app’s to answer', async () => {
      const { txn, sip } = await newInvite('nodest-1');
      const id = app.send(`proxy|${txn}||||serial|||\r\n${sip}`);
      expect(fieldsOf(await app.reply(id)).slice(3)).toEqual(['NOK', 'proxy request has no destination']);
      const resId = app.send(`sip|${txn}|\r\nSIP/2.0 486 Busy Here\r\n\r\n`);
      expect(fieldsOf(await app.reply(resId))[3]).toBe('OK');
      expect(await uac.next((m) => m.includes('nodest-1') && /^SIP\/2\.0 486/.test(m), '486 at the UAC')).toBeTruthy();
    });

    it('another app cannot proxy a request it was not given', async () => {
      const { txn, sip } = await newInvite('owner-1');
      const other = await WireClient.open(edge.adminPort);
      try {
        await other.reply(other.send(`authenticate|${EDGE_SECRET}|`));
        const id = other.send(`proxy|${txn}||||serial|||sip:x@127.0.0.1:${victim.port}\r\n${sip}`);
        expect(fieldsOf(await other.reply(id)).slice(3, 4)).toEqual(['NOK']);
      } finally {
        other.close();
      }
      await settle();
      expect(victim.got).toEqual([]);
      app.send(`sip|${txn}|\r\nSIP/2.0 480 Temporarily Unavailable\r\n\r\n`);
      await uac.next((m) => m.includes('owner-1') && /^SIP\/2\.0 480/.test(m), '480 at the UAC');
    });

    it('destinations that are not SIP URIs or point at the edge are skipped; none left → 503 and done', async () => {
      const { txn, sip } = await newInvite('baddest-1');
      const id = app.send(`proxy|${txn}||||serial|||http://example.com/|sip:loop@127.0.0.1:${edgePort}\r\n${sip}`);
      expect(fieldsOf(await app.reply(id)).slice(3)).toEqual(['OK', 'done']);
      expect(await uac.next((m) => m.includes('baddest-1') && !m.startsWith('SIP/2.0 100'), 'final at the UAC')).toMatch(/^SIP\/2\.0 503 /);
    });
  });

  it('an in-dialog request the app never answers is forgotten after 64·T1 (no pending record left)', async () => {
    const callId = 'ignored-info@uac';
    uac.send(edgePort, [
      `INVITE sip:dave@127.0.0.1:${edgePort} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${uac.port};rport;branch=z9hG4bK-ign-inv`,
      'Max-Forwards: 70',
      'From: <sip:alice@127.0.0.1>;tag=ign1',
      'To: <sip:dave@127.0.0.1>',
      `Call-ID: ${callId}`,
      'CSeq: 1 INVITE',
      `Contact: <sip:alice@127.0.0.1:${uac.port}>`,
    ]);
    const frame = await app.next((f) => f.includes(callId) && fieldsOf(f)[1] === 'sip');
    const reply = await app.reply(app.send(`sip|${fieldsOf(frame)[8]}|\r\nSIP/2.0 200 OK\r\nTo: <sip:dave@127.0.0.1>;tag=dave1\r\n\r\n`));
    expect(fieldsOf(reply)[3]).toBe('OK');
    uac.send(edgePort, [
      `ACK sip:dave@127.0.0.1:${edgePort} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${uac.port};rport;branch=z9hG4bK-ign-ack`,
      'Max-Forwards: 70',
      'From: <sip:alice@127.0.0.1>;tag=ign1',
      'To: <sip:dave@127.0.0.1>;tag=dave1',
      `Call-ID: ${callId}`,
      'CSeq: 1 ACK',
    ]);
    uac.send(edgePort, [
      `INFO sip:dave@127.0.0.1:${edgePort} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${uac.port};rport;branch=z9hG4bK-ign-info`,
      'Max-Forwards: 70',
      'From: <sip:alice@127.0.0.1>;tag=ign1',
      'To: <sip:dave@127.0.0.1>;tag=dave1',
      `Call-ID: ${callId}`,
      'CSeq: 2 INFO',
    ]);
    await app.next((f) => f.includes('2 INFO') && fieldsOf(f)[1] === 'sip');
    const pending = () => [...edge.runtime.edge.ctx.pendingServer.values()].filter((r) => r.req.headers.get('call-id') === callId);
    expect(pending()).toHaveLength(1);
    await waitUntil(() => pending().length === 0, 64 * 50 + 3000, 'the unanswered INFO to be dropped');
  });
});
