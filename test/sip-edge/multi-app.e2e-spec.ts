import type Srf from 'drachtio-srf';
import { APP_SDP } from './helpers/call-app';
import { freeUdpPort, startTestEdge, waitUntil, type TestEdge } from './helpers/edge-harness';
import { runSipp, SCENARIOS } from './helpers/sipp';
import { connectSrf, disconnectSrf, onMethod } from './helpers/srf-app';

describe('sip-edge: two srf apps connected at once', () => {
  let edge: TestEdge;
  const apps: Srf[] = [];
  const order: string[] = [];
  const byes: string[] = [];

  const makeApp = (name: string) =>
    connectSrf(edge.adminPort, (srf) => {
      onMethod(srf, 'options', (_req, res) => {
        order.push(name);
        res.send(200, { headers: { 'X-App': name } });
      });
      onMethod(srf, 'invite', (req, res) => {
        order.push(`invite:${name}`);
        srf
          .createUAS(req, res, { localSdp: APP_SDP })
          .then((dialog) => dialog.on('destroy', () => byes.push(name)))
          .catch(() => undefined);
      });
    });

  beforeAll(async () => {
    edge = await startTestEdge();
    apps.push(await makeApp('a'));
    apps.push(await makeApp('b'));
  });

  afterAll(async () => {
    apps.forEach(disconnectSrf);
    await edge.close();
  });

  it('distributes new requests round-robin: a, b, a, b', async () => {
    const r = await runSipp(
      [`127.0.0.1:${edge.port('udp')}`, '-sf', `${SCENARIOS}/uac-options.xml`, '-i', '127.0.0.1', '-p', String(await freeUdpPort()), '-l', '1', '-r', '20'],
      { calls: 4 },
    );
    expect(r.code).toBe(0);
    expect(order).toEqual(['a', 'b', 'a', 'b']);
  });

  it('keeps in-dialog requests with the app that owns the dialog', async () => {
    order.length = 0;
    const r = await runSipp(
      [`127.0.0.1:${edge.port('udp')}`, '-sn', 'uac', '-s', 'svc', '-d', '200', '-i', '127.0.0.1', '-p', String(await freeUdpPort()), '-l', '4'],
      { calls: 4 },
    );
    expect(r.code).toBe(0);
    expect(order.filter((o) => o.startsWith('invite:')).sort()).toEqual(['invite:a', 'invite:a', 'invite:b', 'invite:b']);
    await waitUntil(() => byes.length === 4, 10_000, 'four BYEs');
    expect(byes.sort()).toEqual(['a', 'a', 'b', 'b']);
  });

  it('sends everything to the remaining app once the other disconnects', async () => {
    disconnectSrf(apps[0]);
    await waitUntil(() => edge.runtime.edge.ctx.connections.size === 1, 2000, 'disconnect');
    order.length = 0;
    const r = await runSipp(
      [`127.0.0.1:${edge.port('udp')}`, '-sf', `${SCENARIOS}/uac-options.xml`, '-i', '127.0.0.1', '-p', String(await freeUdpPort()), '-l', '1', '-r', '20'],
      { calls: 3 },
    );
    expect(r.code).toBe(0);
    expect(order).toEqual(['b', 'b', 'b']);
  });
});
