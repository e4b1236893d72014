import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Srf from 'drachtio-srf';
import { freeUdpPort, startTestEdge, waitUntil, type TestEdge } from './helpers/edge-harness';
import { runSipp, SCENARIOS } from './helpers/sipp';
import { connectSrf, disconnectSrf, onMethod } from './helpers/srf-app';

describe('sip-edge: createB2BUA, sipp UAC → edge → app → edge → sipp UAS', () => {
  let edge: TestEdge;
  let app: Srf;
  let bLeg = '';
  const events: string[] = [];

  beforeAll(async () => {
    edge = await startTestEdge();
    app = await connectSrf(edge.adminPort, (srf) => {
      onMethod(srf, 'invite', (req, res) => {
        srf
          .createB2BUA(req, res, bLeg, { localSdpB: req.body })
          .then(({ uas, uac }) => {
            events.push('bridged');
            uas.on('destroy', () => {
              events.push('a-bye');
              uac.destroy();
            });
            uac.on('destroy', () => {
              events.push('b-bye');
              uas.destroy();
            });
          })
          .catch((err: { status?: number }) => events.push(`failed:${err.status ?? 'error'}`));
      });
    });
  });

  afterAll(async () => {
    disconnectSrf(app);
    await edge.close();
  });

  it('bridges a call and tears both legs down on the caller BYE', async () => {
    const uasPort = await freeUdpPort();
    bLeg = `sip:uas@127.0.0.1:${uasPort}`;
    const uas = runSipp(['-sn', 'uas', '-i', '127.0.0.1', '-p', String(uasPort)], { calls: 3, timeoutS: 20 });
    await new Promise((r) => setTimeout(r, 300));
    const uac = await runSipp(
      [`127.0.0.1:${edge.port('udp')}`, '-sn', 'uac', '-s', 'service', '-d', '300', '-i', '127.0.0.1', '-p', String(await freeUdpPort()), '-l', '3'],
      { calls: 3, timeoutS: 20 },
    );
    expect(uac.code).toBe(0);
    expect((await uas).code).toBe(0);
    await waitUntil(() => events.filter((e) => e === 'a-bye').length === 3, 3000, 'three A-leg BYEs');
    expect(events.filter((e) => e === 'bridged')).toHaveLength(3);
  }, 30_000);

  it('passes a B-leg rejection back to the caller', async () => {
    const uasPort = await freeUdpPort();
    bLeg = `sip:uas@127.0.0.1:${uasPort}`;
    const uas = runSipp(['-sf', `${SCENARIOS}/uas-busy.xml`, '-i', '127.0.0.1', '-p', String(uasPort)], { calls: 1, timeoutS: 10 });
    await new Promise((r) => setTimeout(r, 300));
    const file = join(mkdtempSync(join(tmpdir(), 'sipp-')), 'reject.xml');
    writeFileSync(file, readFileSync(`${SCENARIOS}/uac-reject.xml`, 'utf8').replaceAll('__STATUS__', '486'));
    const uac = await runSipp([`127.0.0.1:${edge.port('udp')}`, '-sf', file, '-s', 'service', '-i', '127.0.0.1', '-p', String(await freeUdpPort())]);
    expect(uac.code).toBe(0);
    expect((await uas).code).toBe(0);
    expect(events).toContain('failed:486');
  });
});
