import type Srf from 'drachtio-srf';
import { APP_SDP, installCallApp, type CallLog } from './helpers/call-app';
import { startTestEdge, waitUntil, type TestEdge } from './helpers/edge-harness';
import { connectSrf, disconnectSrf } from './helpers/srf-app';
import { sipMessage, type SipText, UdpPeer } from './helpers/udp-peer';

const PEER_SDP = ['v=0', 'o=peer 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 41000 RTP/AVP 0', ''].join('\r\n');
const APP_SDP_2 = APP_SDP.replace('o=app 1 1', 'o=app 1 2');

/** srf refuses a second final response itself (Response#send); clearing its flag lets the app send one anyway. */
type ResendableResponse = Srf.SrfResponse & { finished: boolean };
type SendResult = { err: unknown; status?: number };

interface Call {
  user: string;
  callId: string;
  fromTag: string;
  toTag: string;
  inviteBranch: string;
}

/**
 * Behaviours drachtio-server has on its own (wire protocol §6, §10), each driven by a real srf app and a raw
 * UDP peer. T1 = 50 ms so that the INVITE transaction is gone 3.2 s after its 2xx; session-timer delays
 * are scaled by 0.02, so drachtio's 90 s minimum interval becomes 1.8 s (refresh after 0.9 ± 0.1 s).
 */
describe('sip-edge: drachtio-server parity', () => {
  let edge: TestEdge;
  let app: Srf;
  let log: CallLog;
  let peer: UdpPeer;
  const twice: { res?: ResendableResponse; results: SendResult[] } = { results: [] };
  const refers: string[] = [];
  let seq = 0;

  beforeAll(async () => {
    edge = await startTestEdge({ t1: 50, sessionTimerScale: 0.02 });
    app = await connectSrf(edge.adminPort, (srf) => {
      srf.use('invite', (req, res, next) => {
        if (!req.uri.startsWith('sip:twice@')) return next();
        const r = res as ResendableResponse;
        twice.res = r;
        // srf hands back the response the edge reports as sent (its echo for the second one).
        const record = (err: unknown, msg?: object) => void twice.results.push({ err, status: (msg as { status?: number } | undefined)?.status });
        r.send(200, 'OK', { body: APP_SDP }, record);
        r.finished = false;
        r.send(486, 'Busy Here', {}, record);
      });
      srf.use('refer', (req, res) => {
        refers.push(req.get('Call-ID'));
        res.send(202);
      });
      log = installCallApp(srf);
    });
    peer = await UdpPeer.open();
  });

  afterAll(async () => {
    peer.close();
    disconnectSrf(app);
    await edge.close();
  });

  const edgePort = () => edge.port('udp');

  function request(c: Call, method: string, cseq: number, opts: { branch?: string; toTag?: string; extra?: string[]; body?: string } = {}): string {
    const to = `<sip:${c.user}@127.0.0.1>${opts.toTag ? `;tag=${opts.toTag}` : ''}`;
    const lines = [
      `${method} sip:${c.user}@127.0.0.1:${edgePort()} SIP/2.0`,
      `Via: SIP/2.0/UDP ${peer.hostport};branch=${opts.branch ?? peer.branch()};rport`,
      `From: <sip:caller@127.0.0.1>;tag=${c.fromTag}`,
      `To: ${to}`,
      `Call-ID: ${c.callId}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:caller@${peer.hostport}>`,
      'Max-Forwards: 70',
      ...(opts.extra ?? []),
    ];
    if (opts.body) lines.push('Content-Type: application/sdp');
    return sipMessage(lines, opts.body ?? '');
  }

  const isFor = (c: Call) => (m: SipText) => m.header('call-id') === c.callId;
  const response = (c: Call, status: number, method: string) => (m: SipText) =>
    isFor(c)(m) && !m.isRequest && m.status === status && m.method === method;
  const incoming = (c: Call, method: string) => (m: SipText) => isFor(c)(m) && m.isRequest && m.method === method;

  /** Sends an INVITE to the call app and waits for its 200 (not ACKed yet). */
  async function invite(user: string, extra: string[] = []): Promise<{ call: Call; ok: SipText }> {
    const n = ++seq;
    const call: Call = { user, callId: `parity-${n}-${Date.now()}@127.0.0.1`, fromTag: `caller-${n}`, toTag: '', inviteBranch: peer.branch() };
    peer.send(request(call, 'INVITE', 1, { branch: call.inviteBranch, extra, body: PEER_SDP }), edgePort());
    const ok = await peer.next(response(call, 200, 'INVITE'), `200 to the INVITE of ${user}`);
    call.toTag = ok.toTag;
    return { call, ok };
  }

  const ack = (c: Call, cseq = 1) => peer.send(request(c, 'ACK', cseq, { toTag: c.toTag }), edgePort());

  /** Answers the edge's BYE and checks its Reason. */
  async function expectBye(c: Call, reason: string): Promise<SipText> {
    const bye = await peer.next(incoming(c, 'BYE'), `BYE for ${c.user}`);
    peer.respond(bye, 200, 'OK', edgePort());
    expect(bye.header('reason')).toBe(reason);
    return bye;
  }

  describe('CANCEL after the app answered 200', () => {
    const REASON = 'SIP;cause=200;text="CANCEL after 200 OK"';
    const cancel = (c: Call) =>
      peer.send(request(c, 'CANCEL', 1, { branch: c.inviteBranch }).replace(/\r\nContact: [^\r]*/, ''), edgePort());

    it('crossing the 200: 481 to the CANCEL, BYE "CANCEL after 200 OK" to the caller, unsolicited BYE to the app', async () => {
      const { call } = await invite('cancel-crossing');
      cancel(call);
      await peer.next(response(call, 481, 'CANCEL'), '481 to the CANCEL');
      const bye = await expectBye(call, REASON);
      expect(bye.toTag).toBe(call.fromTag);
      expect(bye.header('from')).toContain(`tag=${call.toTag}`);
      await waitUntil(() => log.events.includes('destroyed-by-peer:cancel-crossing'), 2000, 'unsolicited BYE at the app');
      expect(peer.all(response(call, 200, 'CANCEL'))).toHaveLength(0);
      ack(call);
    });

    it('after the ACK and the INVITE transaction: the CANCEL still matches the dialog and ends it', async () => {
      const { call } = await invite('cancel-late');
      ack(call);
      await new Promise((r) => setTimeout(r, 64 * 50 + 500));
      cancel(call);
      await peer.next(response(call, 481, 'CANCEL'), '481 to the CANCEL');
      await expectBye(call, REASON);
      await waitUntil(() => log.events.includes('destroyed-by-peer:cancel-late'), 2000, 'unsolicited BYE at the app');
    });

    it('a CANCEL crossing the 200 of a re-INVITE gets 481 and the call stays up', async () => {
      const { call } = await invite('reinvite');
      ack(call);
      const branch = peer.branch();
      peer.send(request(call, 'INVITE', 2, { branch, toTag: call.toTag, body: PEER_SDP }), edgePort());
      await peer.next(response(call, 200, 'INVITE'), '200 to the re-INVITE');
      peer.send(request(call, 'CANCEL', 2, { branch, toTag: call.toTag }), edgePort());
      await peer.next(response(call, 481, 'CANCEL'), '481 to the CANCEL');
      ack(call, 2);
      peer.send(request(call, 'BYE', 3, { toTag: call.toTag }), edgePort());
      await peer.next(response(call, 200, 'BYE'), '200 to the caller BYE');
      expect(peer.all(incoming(call, 'BYE'))).toHaveLength(0);
    });
  });

  it('a second final response is not sent; the app gets OK with the first one echoed until the ACK, then NOK', async () => {
    const { call } = await invite('twice');
    await waitUntil(() => twice.results.length === 2, 2000, 'both app responses acknowledged');
    expect(twice.results).toEqual([
      { err: null, status: 200 },
      { err: null, status: 200 },
    ]);
    ack(call);
    await new Promise((r) => setTimeout(r, 200));
    expect(peer.all((m) => isFor(call)(m) && m.status === 486)).toHaveLength(0);
    const res = twice.res as ResendableResponse;
    res.finished = false;
    const third = await new Promise<unknown>((resolve) => res.send(480, 'Temporarily Unavailable', {}, (err: unknown) => resolve(err)));
    expect(String(third)).toContain('Response not sent due to unknown transaction');
  });

  describe('BYE from the app while its re-INVITE is pending', () => {
    /** The app calls the peer; returns the srf dialog and the peer's view of the call. */
    async function appCall(user: string): Promise<{ dialog: Srf.Dialog; inv: SipText }> {
      const pending = app.createUAC(`sip:${user}@${peer.hostport}`, { localSdp: APP_SDP });
      const inv = await peer.next((m) => m.isRequest && m.method === 'INVITE' && m.startLine.includes(`sip:${user}@`), 'INVITE from the app');
      peer.respond(inv, 200, 'OK', edgePort(), [`Contact: <sip:${user}@${peer.hostport}>`], PEER_SDP, `uas-${user}`);
      const dialog = await pending;
      await peer.next((m) => m.isRequest && m.method === 'ACK' && m.header('call-id') === inv.header('call-id'), 'ACK from the app');
      return { dialog, inv };
    }

    const fromApp = (inv: SipText, method: string) => (m: SipText) =>
      m.isRequest && m.method === method && m.header('call-id') === inv.header('call-id');

    it('after a provisional response: CANCEL for the re-INVITE first, then the BYE; the app hears no more of the re-INVITE', async () => {
      const { dialog, inv } = await appCall('reinvite-ringing');
      let settled = false;
      dialog.modify(APP_SDP_2).then(
        () => (settled = true),
        () => (settled = true),
      );
      const reinvite = await peer.next(fromApp(inv, 'INVITE'), 're-INVITE');
      peer.respond(reinvite, 100, 'Trying', edgePort());
      await new Promise((r) => setTimeout(r, 100));
      dialog.destroy();
      const cancel = await peer.next(fromApp(inv, 'CANCEL'), 'CANCEL of the re-INVITE');
      const bye = await peer.next(fromApp(inv, 'BYE'), 'BYE');
      expect(peer.received.indexOf(cancel)).toBeLessThan(peer.received.indexOf(bye));
      expect(cancel.header('via')).toBe(reinvite.header('via'));
      expect(cancel.cseq).toBe(reinvite.cseq);
      expect(bye.cseq).toBeGreaterThan(reinvite.cseq);
      peer.respond(cancel, 200, 'OK', edgePort());
      peer.respond(reinvite, 487, 'Request Terminated', edgePort());
      peer.respond(bye, 200, 'OK', edgePort());
      const ack487 = await peer.next(fromApp(inv, 'ACK'), 'ACK for the 487');
      expect(ack487.header('via')).toBe(reinvite.header('via'));
      await new Promise((r) => setTimeout(r, 200));
      expect(settled).toBe(false);
    });

    it('before any provisional response: the BYE goes at once, the CANCEL waits for the first 1xx (RFC 3261 §9.1)', async () => {
      const { dialog, inv } = await appCall('reinvite-silent');
      dialog.modify(APP_SDP_2).catch(() => undefined);
      const reinvite = await peer.next(fromApp(inv, 'INVITE'), 're-INVITE');
      dialog.destroy();
      const bye = await peer.next(fromApp(inv, 'BYE'), 'BYE');
      peer.respond(bye, 200, 'OK', edgePort());
      expect(peer.all(fromApp(inv, 'CANCEL'))).toHaveLength(0);
      peer.respond(reinvite, 180, 'Ringing', edgePort());
      const cancel = await peer.next(fromApp(inv, 'CANCEL'), 'CANCEL after the 180');
      expect(cancel.header('via')).toBe(reinvite.header('via'));
      peer.respond(cancel, 200, 'OK', edgePort());
      peer.respond(reinvite, 487, 'Request Terminated', edgePort());
      await peer.next(fromApp(inv, 'ACK'), 'ACK for the 487');
    });
  });

  describe('session timers (RFC 4028)', () => {
    const EXPIRED = 'SIP;cause=200;text="Session timer expired"';

    it('edge as refresher (the caller asked refresher=uas): re-INVITEs with the app SDP at half the interval, BYE on a 481', async () => {
      const started = Date.now();
      const { call, ok } = await invite('st-edge-refreshes', ['Supported: timer', 'Session-Expires: 90;refresher=uas']);
      expect(ok.header('session-expires')).toBe('90;refresher=uas');
      ack(call);
      const refresh = await peer.next(incoming(call, 'INVITE'), 'refresh re-INVITE', 4000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(750); // (45 s − 5 s) × 0.02 after the 200
      expect(refresh.header('session-expires')).toBe('90;refresher=uac');
      expect(refresh.header('min-se')).toBe('90');
      expect(refresh.header('to')).toContain(`tag=${call.fromTag}`);
      expect(refresh.header('contact')).toBeDefined();
      expect(refresh.body).toBe(APP_SDP);
      peer.respond(refresh, 200, 'OK', edgePort(), [`Contact: <sip:caller@${peer.hostport}>`, 'Session-Expires: 90;refresher=uac'], PEER_SDP);
      const ack200 = await peer.next(incoming(call, 'ACK'), 'ACK for the refresh 200');
      expect(ack200.cseq).toBe(refresh.cseq);
      const again = await peer.next(incoming(call, 'INVITE'), 'second refresh re-INVITE', 4000);
      expect(again.cseq).toBeGreaterThan(refresh.cseq);
      // Only 408, 481 or no answer end the dialog at once (RFC 3261 §12.2.1.2); other failures: session-timer.e2e-spec.ts.
      peer.respond(again, 481, 'Call/Transaction Does Not Exist', edgePort());
      await peer.next(incoming(call, 'ACK'), 'ACK for the 481');
      await expectBye(call, EXPIRED);
      await waitUntil(() => log.events.includes('destroyed-by-peer:st-edge-refreshes'), 2000, 'unsolicited BYE at the app');
      expect(log.events).not.toContain('modify:st-edge-refreshes');
    });

    it('caller as refresher: 422 below Min-SE, a refresh re-arms the timer, silence ends the call with BYE "Session timer expired"', async () => {
      const { call, ok } = await invite('st-caller-refreshes', ['Supported: timer', 'Session-Expires: 90;refresher=uac']);
      expect(ok.header('session-expires')).toBe('90;refresher=uac');
      ack(call);
      await new Promise((r) => setTimeout(r, 300));
      peer.send(request(call, 'INVITE', 2, { toTag: call.toTag, extra: ['Session-Expires: 30;refresher=uac'], body: PEER_SDP }), edgePort());
      const tooSmall = await peer.next(response(call, 422, 'INVITE'), '422 to a 30 s refresh');
      expect(tooSmall.header('min-se')).toBe('90');
      ack(call, 2);
      peer.send(request(call, 'INVITE', 3, { toTag: call.toTag, extra: ['Session-Expires: 90;refresher=uac'], body: PEER_SDP }), edgePort());
      await peer.next(response(call, 200, 'INVITE'), '200 to the refresh');
      const refreshed = Date.now();
      ack(call, 3);
      expect(log.events.filter((e) => e === 'modify:st-caller-refreshes')).toHaveLength(1);
      await expectBye(call, EXPIRED);
      expect(Date.now() - refreshed).toBeGreaterThanOrEqual(1500); // 90 s × 0.02 after the refresh, not after the 200
      await waitUntil(() => log.events.includes('destroyed-by-peer:st-caller-refreshes'), 2000, 'unsolicited BYE at the app');
      expect(peer.all(incoming(call, 'INVITE'))).toHaveLength(0);
    });

    it('an offer without refresher is left alone (drachtio default-refresher "none"), and a call that ends stops its timer', async () => {
      const plain = await invite('st-no-refresher', ['Session-Expires: 90']);
      expect(plain.ok.header('session-expires')).toBeUndefined();
      ack(plain.call);
      const timed = await invite('st-ended', ['Session-Expires: 90;refresher=uas']);
      ack(timed.call);
      peer.send(request(timed.call, 'BYE', 2, { toTag: timed.call.toTag }), edgePort());
      await peer.next(response(timed.call, 200, 'BYE'), '200 to the BYE');
      await new Promise((r) => setTimeout(r, 2500));
      expect(peer.all((m) => m.isRequest && (isFor(plain.call)(m) || isFor(timed.call)(m)))).toHaveLength(0);
      peer.send(request(plain.call, 'BYE', 2, { toTag: plain.call.toTag }), edgePort());
      await peer.next(response(plain.call, 200, 'BYE'), '200 to the BYE');
    });

    it('app as caller: a 200 with Session-Expires and no refresher makes the edge refresh with the offered SDP', async () => {
      const pending = app.createUAC(`sip:st-uas@${peer.hostport}`, { localSdp: APP_SDP });
      const inv = await peer.next((m) => m.isRequest && m.method === 'INVITE' && m.startLine.includes('sip:st-uas@'), 'INVITE from the app');
      peer.respond(inv, 200, 'OK', edgePort(), [`Contact: <sip:st-uas@${peer.hostport}>`, 'Session-Expires: 90'], PEER_SDP, 'uas-st');
      const dialog = await pending;
      const sameCall = (m: SipText) => m.header('call-id') === inv.header('call-id');
      await peer.next((m) => sameCall(m) && m.method === 'ACK', 'ACK from the app');
      const refresh = await peer.next((m) => sameCall(m) && m.isRequest && m.method === 'INVITE', 'refresh re-INVITE', 4000);
      expect(refresh.header('session-expires')).toBe('90;refresher=uac');
      expect(refresh.body).toBe(APP_SDP);
      expect(refresh.header('from')).toBe(inv.header('from'));
      peer.respond(refresh, 200, 'OK', edgePort(), [`Contact: <sip:st-uas@${peer.hostport}>`], PEER_SDP, 'uas-st');
      await peer.next((m) => sameCall(m) && m.method === 'ACK' && m.cseq === refresh.cseq, 'ACK for the refresh');
      // The 200 carried no Session-Expires: the session timer stops (drachtio re-arms only from one).
      await new Promise((r) => setTimeout(r, 1500));
      expect(peer.all((m) => sameCall(m) && m.isRequest && m.method === 'INVITE')).toHaveLength(2);
      dialog.destroy();
      const bye = await peer.next((m) => sameCall(m) && m.isRequest && m.method === 'BYE', 'BYE from the app');
      peer.respond(bye, 200, 'OK', edgePort());
    });
  });

  describe('requests the edge refuses without the app', () => {
    it('a new INVITE (no To-tag) for a dialog that is up gets 491; the app never sees it', async () => {
      const { call } = await invite('glare');
      ack(call);
      await waitUntil(() => log.events.includes('answered:glare'), 2000, 'the app to have the dialog');
      peer.send(request(call, 'INVITE', 2, { body: PEER_SDP }), edgePort());
      await peer.next(response(call, 491, 'INVITE'), '491');
      ack(call, 2);
      await new Promise((r) => setTimeout(r, 200));
      expect(log.events.filter((e) => e === 'answered:glare')).toHaveLength(1);
      peer.send(request(call, 'BYE', 3, { toTag: call.toTag }), edgePort());
      await peer.next(response(call, 200, 'BYE'), '200 to the BYE');
    });

    it('an INVITE with an unknown To-tag gets 481', async () => {
      const call: Call = { user: 'answer', callId: `unknown-tag-${Date.now()}@127.0.0.1`, fromTag: 'x1', toTag: 'nope', inviteBranch: peer.branch() };
      peer.send(request(call, 'INVITE', 1, { toTag: 'nope', body: PEER_SDP }), edgePort());
      await peer.next(response(call, 481, 'INVITE'), '481');
    });

    it('REFER outside a dialog is dropped without an answer even though the app routed refer', async () => {
      const call: Call = { user: 'transfer', callId: `refer-${Date.now()}@127.0.0.1`, fromTag: 'r1', toTag: '', inviteBranch: '' };
      peer.send(request(call, 'REFER', 1, { extra: ['Refer-To: <sip:someone@127.0.0.1>'] }), edgePort());
      // An OPTIONS from the same socket afterwards: once it is answered the REFER has been processed.
      const probe: Call = { ...call, callId: `probe-${Date.now()}@127.0.0.1` };
      peer.send(request(probe, 'OPTIONS', 1), edgePort());
      await peer.next((m) => isFor(probe)(m) && !m.isRequest && m.status >= 200, 'answer to the OPTIONS');
      await new Promise((r) => setTimeout(r, 200));
      expect(peer.all(isFor(call))).toHaveLength(0);
      expect(refers).toHaveLength(0);
    });
  });
});
