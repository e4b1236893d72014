import type Srf from 'drachtio-srf';
import { startTestEdge, freeUdpPort, type TestEdge } from './helpers/edge-harness';
import { connectSrf, disconnectSrf, onMethod } from './helpers/srf-app';
import { runSipp, SCENARIOS } from './helpers/sipp';

describe('sip-edge: OPTIONS through a drachtio-srf app', () => {
  let edge: TestEdge;
  let app: Srf;
  const seen: Array<{ method: string; source: string; via: string }> = [];

  beforeAll(async () => {
    edge = await startTestEdge();
    app = await connectSrf(edge.adminPort, (srf) => {
      onMethod(srf, 'options', (req, res) => {
        seen.push({ method: req.method, source: `${req.source_address}:${req.source_port}`, via: req.get('Via') });
        res.send(200, { headers: { 'X-App': 'one' } });
      });
    });
  });

  afterAll(async () => {
    disconnectSrf(app);
    await edge.close();
  });

  it('answers a sipp OPTIONS over UDP with the app 200', async () => {
    const localPort = await freeUdpPort();
    const r = await runSipp([
      `127.0.0.1:${edge.port('udp')}`,
      '-sf',
      `${SCENARIOS}/uac-options.xml`,
      '-i',
      '127.0.0.1',
      '-p',
      String(localPort),
    ]);
    expect(r.code).toBe(0);
    expect(seen).toHaveLength(1);
    expect(seen[0].method).toBe('OPTIONS');
    expect(seen[0].source).toBe(`127.0.0.1:${localPort}`);
    expect(seen[0].via).toContain(`;rport=${localPort}`);
  });
});
