import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Srf from 'drachtio-srf';
import { APP_SDP } from './helpers/call-app';
import { EDGE_SECRET, freeTcpPort, freeUdpPort, startTestEdge, waitUntil, type TestEdge } from './helpers/edge-harness';
import { runSipp, SCENARIOS } from './helpers/sipp';
import { onMethod } from './helpers/srf-app';

describe('sip-edge: outbound connection mode (tcp:// request handler) [T14]', () => {
  let edge: TestEdge;
  let app: Srf;
  // srf.listen() returns the net.Server it accepts the edge's connections on; the test must close it.
  let server: Server;
  const events: string[] = [];

  beforeAll(async () => {
    const appPort = await freeTcpPort();
    app = new Srf();
    onMethod(app, 'invite', (req, res) => {
      events.push('invite');
      app
        .createUAS(req, res, { localSdp: APP_SDP })
        .then((dialog) => dialog.on('destroy', () => events.push('bye')))
        .catch(() => events.push('uas-failed'));
    });
    server = (app.listen as unknown as (opts: object) => Server).call(app, { host: '127.0.0.1', port: appPort, secret: EDGE_SECRET });
    await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
    edge = await startTestEdge({ requestHandlers: { invite: `tcp://127.0.0.1:${appPort}` } });
  });

  afterAll(async () => {
    await edge.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('connects to the listening app for a new INVITE; the call and its BYE use that connection', async () => {
    const r = await runSipp([`127.0.0.1:${edge.port('udp')}`, '-sn', 'uac', '-s', 'svc', '-d', '200', '-i', '127.0.0.1', '-p', String(await freeUdpPort())]);
    expect(r.code).toBe(0);
    await waitUntil(() => events.includes('bye'), 2000, 'BYE at the app');
    expect(events).toEqual(['invite', 'bye']);
  });

  it('answers 480 when the app cannot be reached', async () => {
    const deadEdge = await startTestEdge({ requestHandlers: { invite: `tcp://127.0.0.1:${await freeTcpPort()}` } });
    try {
      const file = join(mkdtempSync(join(tmpdir(), 'sipp-')), 'reject.xml');
      writeFileSync(file, readFileSync(`${SCENARIOS}/uac-reject.xml`, 'utf8').replaceAll('__STATUS__', '480'));
      const r = await runSipp([`127.0.0.1:${deadEdge.port('udp')}`, '-sf', file, '-s', 'svc', '-i', '127.0.0.1', '-p', String(await freeUdpPort())]);
      expect(r.code).toBe(0);
    } finally {
      await deadEdge.close();
    }
  });
});
