import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Srf from 'drachtio-srf';
import { APP_SDP, installCallApp, type CallLog } from './helpers/call-app';
import { freeUdpPort, startTestEdge, waitUntil, type TestEdge } from './helpers/edge-harness';
import { runSipp, SCENARIOS } from './helpers/sipp';
import { connectSrf, disconnectSrf } from './helpers/srf-app';

describe('sip-edge: INVITE dialogs through a drachtio-srf app', () => {
  let edge: TestEdge;
  let app: Srf;
  let log: CallLog;

  const uac = async (service: string, extra: string[], opts: { calls?: number; timeoutS?: number } = {}) =>
    runSipp([`127.0.0.1:${edge.port('udp')}`, '-s', service, '-i', '127.0.0.1', '-p', String(await freeUdpPort()), ...extra], opts);

  beforeAll(async () => {
    edge = await startTestEdge();
    app = await connectSrf(edge.adminPort, (srf) => {
      log = installCallApp(srf);
    });
  });

  afterAll(async () => {
    disconnectSrf(app);
    await edge.close();
  });

  it('sipp UAC → createUAS: INVITE/100/200/ACK, then BYE from the caller', async () => {
    const r = await uac('answer', ['-sn', 'uac', '-d', '200']);
    expect(r.code).toBe(0);
    await waitUntil(() => log.events.includes('destroyed-by-peer:answer'), 2000, 'app to see the BYE');
    expect(log.events).toContain('answered:answer');
  });

  it('app hangs up: the edge builds the BYE from the dialog (target, tags, CSeq)', async () => {
    const r = await uac('hangup', ['-sf', `${SCENARIOS}/uac-wait-bye.xml`]);
    expect(r.code).toBe(0);
    await waitUntil(() => log.events.includes('hung-up:hangup'), 2000, 'app BYE to complete');
  });

  it('re-INVITE inside the dialog reaches the app and its answer goes back', async () => {
    const r = await uac('reinvite', ['-sf', `${SCENARIOS}/uac-reinvite.xml`]);
    expect(r.code).toBe(0);
    expect(log.events).toContain('modify:reinvite');
    await waitUntil(() => log.events.includes('destroyed-by-peer:reinvite'), 2000, 'BYE after re-INVITE');
  });

  it.each([486, 503, 404])('an app %i reaches the caller and its ACK is absorbed', async (status) => {
    const dir = mkdtempSync(join(tmpdir(), 'sipp-rej-'));
    const file = join(dir, 'reject.xml');
    writeFileSync(file, readFileSync(`${SCENARIOS}/uac-reject.xml`, 'utf8').replaceAll('__STATUS__', String(status)));
    const r = await uac(String(status), ['-sf', file]);
    expect(r.code).toBe(0);
    expect(log.events).toContain(`rejected:${status}`);
  });

  it('CANCEL after 180: 200 + 487 to the caller, the app gets the cancel', async () => {
    const r = await uac('ring', ['-sf', `${SCENARIOS}/uac-cancel.xml`]);
    expect(r.code).toBe(0);
    await waitUntil(() => log.events.includes('cancel:ring'), 2000, 'app cancel event');
  });

  it('CANCEL before the app answers anything: stateless 200 + 487', async () => {
    const r = await uac('quiet', ['-sf', `${SCENARIOS}/uac-cancel.xml`]);
    expect(r.code).toBe(0);
    await waitUntil(() => log.events.includes('cancel:quiet'), 2000, 'app cancel event');
  });

  it('survives 10% packet loss both ways: retransmissions complete every call', async () => {
    const r = await uac('answer', ['-sn', 'uac', '-d', '100', '-lost', '10', '-l', '5', '-r', '10'], { calls: 20, timeoutS: 60 });
    expect(r.code).toBe(0);
  }, 70_000);

  it('app createUAC → sipp UAS: INVITE/180/200, the app ACKs, then the app sends BYE', async () => {
    const uasPort = await freeUdpPort();
    const sipp = runSipp(['-sn', 'uas', '-i', '127.0.0.1', '-p', String(uasPort)], { calls: 1, timeoutS: 10 });
    await new Promise((r) => setTimeout(r, 300));
    const dialog = await app.createUAC(`sip:uas@127.0.0.1:${uasPort}`, { localSdp: APP_SDP, headers: { From: 'sip:app@localhost' } });
    expect(dialog.sip.remoteTag).toBeTruthy();
    await new Promise((r) => setTimeout(r, 200));
    await new Promise<void>((resolve, reject) => dialog.destroy(undefined, (err: unknown) => (err ? reject(err) : resolve())));
    const r = await sipp;
    expect(r.code).toBe(0);
  });

  it('app createUAC rejected: the edge ACKs the 486 itself and the app gets a SipError', async () => {
    const uasPort = await freeUdpPort();
    const sipp = runSipp(['-sf', `${SCENARIOS}/uas-busy.xml`, '-i', '127.0.0.1', '-p', String(uasPort)], { calls: 1, timeoutS: 10 });
    await new Promise((r) => setTimeout(r, 300));
    await expect(app.createUAC(`sip:uas@127.0.0.1:${uasPort}`, { localSdp: APP_SDP })).rejects.toMatchObject({ status: 486 });
    const r = await sipp;
    expect(r.code).toBe(0);
  });
});
