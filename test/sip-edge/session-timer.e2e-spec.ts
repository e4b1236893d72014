import type Srf from 'drachtio-srf';
import { APP_SDP, installCallApp, type CallLog } from './helpers/call-app';
import { startTestEdge, waitUntil, type TestEdge } from './helpers/edge-harness';
import { connectSrf, disconnectSrf } from './helpers/srf-app';
import { sipMessage, type SipText, UdpPeer } from './helpers/udp-peer';

const PEER_SDP = ['v=0', 'o=peer 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 41000 RTP/AVP 0', ''].join('\r\n');
const APP_SDP_2 = APP_SDP.replace('o=app 1 1', 'o=app 1 2');
const HUGE = '9'.repeat(400);
const EXPIRED = 'SIP;cause=200;text="Session timer expired"';

interface Call {
  user: string;
  callId: string;
  fromTag: string;
  toTag: string;
}

/**
 * RFC 4028 session timers: hostile values, refresh failures, Min-SE and late offers. T1 = 50 ms (an INVITE
 * server transaction is gone 3.2 s after its 2xx); session-timer delays are scaled by 0.02, so 90 s is
 * 1.8 s and the edge refreshes 0.9 ± 0.1 s after arming.
 */
describe('sip-edge: session timers (RFC 4028)', () => {
  let edge: TestEdge;
  let app: Srf;
  let log: CallLog;
  let peer: UdpPeer;
  let seq = 0;

  beforeAll(async () => {
    edge = await startTestEdge({ t1: 50, sessionTimerScale: 0.02 });
    app = await connectSrf(edge.adminPort, (srf) => {
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
  const ctx = () => edge.runtime.edge.ctx;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  function request(c: Call, method: string, cseq: number, opts: { toTag?: string; extra?: string[]; body?: string } = {}): string {
    const lines = [
      `${method} sip:${c.user}@127.0.0.1:${edgePort()} SIP/2.0`,
      `Via: SIP/2.0/UDP ${peer.hostport};branch=${peer.branch()};rport`,
      `From: <sip:caller@127.0.0.1>;tag=${c.fromTag}`,
      `To: <sip:${c.user}@127.0.0.1>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
      `Call-ID: ${c.callId}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:caller@${peer.hostport}>`,
      'Max-Forwards: 70',
      ...(opts.extra ?? []),
    ];
    if (opts.body) lines.push('Content-Type: application/sdp');
    return sipMessage(lines, opts.body ?? '');
  }

  const isFor = (c: { callId: string }) => (m: SipText) => m.header('call-id') === c.callId;
  const response = (c: Call, status: number, method: string) => (m: SipText) =>
    isFor(c)(m) && !m.isRequest && m.status === status && m.method === method;
  const incoming = (c: { callId: string }, method: string) => (m: SipText) => isFor(c)(m) && m.isRequest && m.method === method;

  async function invite(user: string, extra: string[] = []): Promise<{ call: Call; ok: SipText }> {
    const n = ++seq;
    const call: Call = { user, callId: `st-${n}-${Date.now()}@127.0.0.1`, fromTag: `caller-${n}`, toTag: '' };
    peer.send(request(call, 'INVITE', 1, { extra, body: PEER_SDP }), edgePort());
    const ok = await peer.next(response(call, 200, 'INVITE'), `200 to the INVITE of ${user}`);
    call.toTag = ok.toTag;
    peer.send(request(call, 'ACK', 1, { toTag: call.toTag }), edgePort());
    return { call, ok };
  }

  async function hangUp(c: Call, cseq: number): Promise<void> {
    peer.send(request(c, 'BYE', cseq, { toTag: c.toTag }), edgePort());
    await peer.next(response(c, 200, 'BYE'), `200 to the BYE of ${c.user}`);
  }

  /** The app calls the peer, which answers 200 with `extra` headers; returns the srf dialog and the INVITE. */
  async function appCall(user: string, extra: string[]): Promise<{ dialog: Srf.Dialog; inv: SipText; call: { callId: string } }> {
    const pending = app.createUAC(`sip:${user}@${peer.hostport}`, { localSdp: APP_SDP });
    const inv = await peer.next((m) => m.isRequest && m.method === 'INVITE' && m.startLine.includes(`sip:${user}@`), 'INVITE from the app');
    peer.respond(inv, 200, 'OK', edgePort(), [`Contact: <sip:${user}@${peer.hostport}>`, ...extra], PEER_SDP, `uas-${user}`);
    const dialog = await pending;
    const call = { callId: inv.header('call-id') ?? '' };
    await peer.next(incoming(call, 'ACK'), 'ACK from the app');
    return { dialog, inv, call };
  }

  async function appHangsUp(dialog: Srf.Dialog, call: { callId: string }): Promise<void> {
    dialog.destroy();
    const bye = await peer.next(incoming(call, 'BYE'), 'BYE from the app');
    peer.respond(bye, 200, 'OK', edgePort());
  }

  /** Server transactions and pending app requests go back to what they were (INVITE txns linger 64×T1). */
  async function expectNoLeaks(before: { pending: number; txns: number }): Promise<void> {
    await waitUntil(() => ctx().pendingServer.size <= before.pending, 2000, 'pending app requests to drain');
    await waitUntil(() => ctx().tl.serverCount <= before.txns, 6000, 'server transactions to end');
  }
  const counts = () => ({ pending: ctx().pendingServer.size, txns: ctx().tl.serverCount });

  describe('hostile Session-Expires values (400 digits) are ignored, never armed', () => {
    it('in an initial INVITE: the call works, the 200 has no Session-Expires, nothing leaks', async () => {
      const before = counts();
      const { call, ok } = await invite('st-huge-invite', ['Supported: timer', `Session-Expires: ${HUGE};refresher=uas`]);
      expect(ok.header('session-expires')).toBeUndefined();
      await waitUntil(() => log.events.includes('answered:st-huge-invite'), 2000, 'the app to get its 200 acknowledged');
      await hangUp(call, 2);
      await waitUntil(() => log.events.includes('destroyed-by-peer:st-huge-invite'), 2000, 'the BYE at the app');
      await expectNoLeaks(before);
    });

    it('in a re-INVITE: the app gets it and answers, nothing leaks', async () => {
      const { call } = await invite('st-huge-reinvite');
      const before = counts();
      peer.send(request(call, 'INVITE', 2, { toTag: call.toTag, extra: [`Session-Expires: ${HUGE};refresher=uac`], body: PEER_SDP }), edgePort());
      await peer.next(response(call, 200, 'INVITE'), '200 to the re-INVITE');
      peer.send(request(call, 'ACK', 2, { toTag: call.toTag }), edgePort());
      expect(log.events).toContain('modify:st-huge-reinvite');
      await hangUp(call, 3);
      await expectNoLeaks(before);
    });

    it("in a peer's 200 to the app's INVITE: the app gets the 200 and the call works", async () => {
      const { dialog, call } = await appCall('st-huge-200', [`Session-Expires: ${HUGE}`]);
      await sleep(1200);
      expect(peer.all(incoming(call, 'INVITE'))).toHaveLength(1);
      await appHangsUp(dialog, call);
    }, 15_000);

    it('a 10-digit value is clamped to a day', async () => {
      const { call, ok } = await invite('st-big-invite', ['Supported: timer', 'Session-Expires: 9999999999;refresher=uas']);
      expect(ok.header('session-expires')).toBe('86400;refresher=uas');
      await hangUp(call, 2);
    });
  });

  it('Require: timer in a 2xx whose Session-Expires the edge added, when the caller supports timer', async () => {
    const withTimer = await invite('st-require', ['Supported: timer', 'Session-Expires: 90;refresher=uac']);
    expect(withTimer.ok.header('session-expires')).toBe('90;refresher=uac');
    expect(withTimer.ok.headers('require').join(',')).toMatch(/\btimer\b/);
    const without = await invite('st-no-require', ['Session-Expires: 90;refresher=uac']);
    expect(without.ok.header('session-expires')).toBe('90;refresher=uac');
    expect(without.ok.headers('require').join(',')).not.toMatch(/\btimer\b/);
    await hangUp(withTimer.call, 2);
    await hangUp(without.call, 2);
  });

  describe('a failed refresh', () => {
    async function refreshing(user: string): Promise<{ call: Call; armed: number }> {
      const { call } = await invite(user, ['Supported: timer', 'Session-Expires: 90;refresher=uas']);
      return { call, armed: Date.now() };
    }
    const refreshOf = (c: Call, what: string) => peer.next(incoming(c, 'INVITE'), what, 4000);

    it('488: the call stays up, the refresh is retried, and the edge sends BYE only when the session expires', async () => {
      const { call, armed } = await refreshing('st-refresh-488');
      const first = await refreshOf(call, 'refresh re-INVITE');
      peer.respond(first, 488, 'Not Acceptable Here', edgePort());
      await peer.next(incoming(call, 'ACK'), 'ACK for the 488');
      const retry = await refreshOf(call, 'retried refresh');
      expect(retry.cseq).toBeGreaterThan(first.cseq);
      expect(peer.all(incoming(call, 'BYE'))).toHaveLength(0);
      peer.respond(retry, 500, 'Server Internal Error', edgePort());
      const bye = await peer.next(incoming(call, 'BYE'), 'BYE at expiry', 4000);
      peer.respond(bye, 200, 'OK', edgePort());
      expect(bye.header('reason')).toBe(EXPIRED);
      expect(Date.now() - armed).toBeGreaterThanOrEqual(1650); // 90 s × 0.02 after the 200
      await waitUntil(() => log.events.includes('destroyed-by-peer:st-refresh-488'), 2000, 'unsolicited BYE at the app');
    });

    it('488 then 200: the call stays up with the timer re-armed', async () => {
      const { call } = await refreshing('st-refresh-recovers');
      const first = await refreshOf(call, 'refresh re-INVITE');
      peer.respond(first, 488, 'Not Acceptable Here', edgePort());
      const retry = await refreshOf(call, 'retried refresh');
      peer.respond(retry, 200, 'OK', edgePort(), [`Contact: <sip:caller@${peer.hostport}>`, 'Session-Expires: 90;refresher=uac'], PEER_SDP);
      await peer.next((m) => incoming(call, 'ACK')(m) && m.cseq === retry.cseq, 'ACK for the 200');
      await refreshOf(call, 'next refresh after the re-arm');
      expect(peer.all(incoming(call, 'BYE'))).toHaveLength(0);
      await hangUp(call, 2);
    });

    it.each([408, 481])('%i: BYE at once', async (status) => {
      const { call } = await refreshing(`st-refresh-${status}`);
      const first = await refreshOf(call, 'refresh re-INVITE');
      const sent = Date.now();
      peer.respond(first, status, 'Failed', edgePort());
      const bye = await peer.next(incoming(call, 'BYE'), 'BYE', 1000);
      peer.respond(bye, 200, 'OK', edgePort());
      expect(Date.now() - sent).toBeLessThan(500);
    });

    it('422: retried at once with the Min-SE of the 422', async () => {
      const { call } = await refreshing('st-refresh-422');
      const first = await refreshOf(call, 'refresh re-INVITE');
      peer.respond(first, 422, 'Session Interval Too Small', edgePort(), ['Min-SE: 120']);
      const retry = await peer.next(incoming(call, 'INVITE'), 'refresh with the raised interval', 500);
      expect(retry.header('session-expires')).toBe('120;refresher=uac');
      expect(retry.header('min-se')).toBe('120');
      peer.respond(retry, 200, 'OK', edgePort(), [`Contact: <sip:caller@${peer.hostport}>`, 'Session-Expires: 120;refresher=uac'], PEER_SDP);
      await peer.next((m) => incoming(call, 'ACK')(m) && m.cseq === retry.cseq, 'ACK for the 200');
      expect(peer.all(incoming(call, 'BYE'))).toHaveLength(0);
      await hangUp(call, 2);
    });
  });

  it("no refresh while the app's re-INVITE is pending; it goes once that re-INVITE is answered", async () => {
    const { dialog, call } = await appCall('st-pending', ['Session-Expires: 90']);
    const modified = dialog.modify(APP_SDP_2);
    const reinvite = await peer.next(incoming(call, 'INVITE'), "the app's re-INVITE");
    peer.respond(reinvite, 100, 'Trying', edgePort());
    await sleep(1300); // past the refresh time (0.9 ± 0.1 s)
    expect(peer.all(incoming(call, 'INVITE'))).toHaveLength(2); // the INVITE and the app's re-INVITE
    peer.respond(reinvite, 200, 'OK', edgePort(), [`Contact: <sip:st-pending@${peer.hostport}>`], PEER_SDP, 'uas-st-pending');
    await modified;
    const refresh = await peer.next(incoming(call, 'INVITE'), 'the deferred refresh', 1000);
    expect(refresh.header('session-expires')).toBe('90;refresher=uac');
    expect(refresh.body).toBe(APP_SDP_2);
    peer.respond(refresh, 200, 'OK', edgePort(), [`Contact: <sip:st-pending@${peer.hostport}>`, 'Session-Expires: 90;refresher=uac'], PEER_SDP, 'uas-st-pending');
    await peer.next((m) => incoming(call, 'ACK')(m) && m.cseq === refresh.cseq, 'ACK for the refresh');
    await appHangsUp(dialog, call);
  });

  it('a re-INVITE refused with 422 leaves the running timer alone: silence still ends the call', async () => {
    const { call } = await invite('st-422-keeps', ['Supported: timer', 'Session-Expires: 90;refresher=uac']);
    const armed = Date.now();
    await sleep(300);
    peer.send(request(call, 'INVITE', 2, { toTag: call.toTag, extra: ['Session-Expires: 30;refresher=uac'], body: PEER_SDP }), edgePort());
    await peer.next(response(call, 422, 'INVITE'), '422');
    peer.send(request(call, 'ACK', 2, { toTag: call.toTag }), edgePort());
    const bye = await peer.next(incoming(call, 'BYE'), 'BYE at expiry', 4000);
    peer.respond(bye, 200, 'OK', edgePort());
    expect(bye.header('reason')).toBe(EXPIRED);
    expect(Date.now() - armed).toBeGreaterThanOrEqual(1650);
  });

  it("a peer's 2xx with Session-Expires: 1 is raised to Min-SE (no re-INVITE storm)", async () => {
    const { dialog, call } = await appCall('st-tiny', ['Session-Expires: 1']);
    await sleep(600);
    expect(peer.all(incoming(call, 'INVITE'))).toHaveLength(1);
    const refresh = await peer.next(incoming(call, 'INVITE'), 'refresh re-INVITE', 2000);
    expect(refresh.header('session-expires')).toBe('90;refresher=uac');
    peer.respond(refresh, 200, 'OK', edgePort(), [`Contact: <sip:st-tiny@${peer.hostport}>`, 'Session-Expires: 1'], PEER_SDP, 'uas-st-tiny');
    await peer.next((m) => incoming(call, 'ACK')(m) && m.cseq === refresh.cseq, 'ACK for the refresh');
    await sleep(500);
    expect(peer.all(incoming(call, 'INVITE'))).toHaveLength(2);
    await appHangsUp(dialog, call);
  });

  it('no SDP from the app at all: the refresh is an UPDATE without a body (no offer in a 2xx to answer)', async () => {
    const user = 'st-no-sdp';
    const pending = app.createUAC(`sip:${user}@${peer.hostport}`, { noAck: true } as Srf.CreateUACOptions);
    const inv = await peer.next((m) => m.isRequest && m.method === 'INVITE' && m.startLine.includes(`sip:${user}@`), 'INVITE from the app');
    peer.respond(inv, 200, 'OK', edgePort(), [`Contact: <sip:${user}@${peer.hostport}>`, 'Session-Expires: 90'], PEER_SDP, `uas-${user}`);
    const uac = (await pending) as unknown as { ack: (sdp?: string) => Promise<Srf.Dialog> };
    const dialog = await uac.ack();
    const call = { callId: inv.header('call-id') ?? '' };
    await peer.next(incoming(call, 'ACK'), 'ACK from the app');
    const refresh = await peer.next((m) => isFor(call)(m) && m.isRequest && (m.method === 'UPDATE' || m.method === 'INVITE'), 'refresh', 4000);
    expect(refresh.method).toBe('UPDATE');
    expect(refresh.body).toBe('');
    expect(refresh.header('session-expires')).toBe('90;refresher=uac');
    peer.respond(refresh, 200, 'OK', edgePort(), [`Contact: <sip:${user}@${peer.hostport}>`, 'Session-Expires: 90;refresher=uac'], '', `uas-${user}`);
    await peer.next((m) => isFor(call)(m) && m.isRequest && m.method === 'UPDATE', 'next refresh after the re-arm', 4000);
    expect(peer.all((m) => isFor(call)(m) && m.isRequest && m.method === 'ACK')).toHaveLength(1);
    await appHangsUp(dialog, call);
  });

  it('late offer (the app sent its SDP in the ACK): the refresh re-INVITE offers that SDP', async () => {
    const user = 'st-late-offer';
    const pending = app.createUAC(`sip:${user}@${peer.hostport}`, { noAck: true } as Srf.CreateUACOptions);
    const inv = await peer.next((m) => m.isRequest && m.method === 'INVITE' && m.startLine.includes(`sip:${user}@`), 'INVITE from the app');
    expect(inv.body).toBe('');
    peer.respond(inv, 200, 'OK', edgePort(), [`Contact: <sip:${user}@${peer.hostport}>`, 'Session-Expires: 90'], PEER_SDP, `uas-${user}`);
    const uac = (await pending) as unknown as { sdp: string; ack: (sdp: string) => Promise<Srf.Dialog> };
    const dialog = await uac.ack(APP_SDP);
    const call = { callId: inv.header('call-id') ?? '' };
    const ackMsg = await peer.next(incoming(call, 'ACK'), 'ACK with the answer');
    expect(ackMsg.body).toBe(APP_SDP);
    const refresh = await peer.next(incoming(call, 'INVITE'), 'refresh re-INVITE', 4000);
    expect(refresh.body).toBe(APP_SDP);
    peer.respond(refresh, 200, 'OK', edgePort(), [`Contact: <sip:${user}@${peer.hostport}>`, 'Session-Expires: 90;refresher=uac'], PEER_SDP, `uas-${user}`);
    await peer.next((m) => incoming(call, 'ACK')(m) && m.cseq === refresh.cseq, 'ACK for the refresh');
    await appHangsUp(dialog, call);
  });
});
