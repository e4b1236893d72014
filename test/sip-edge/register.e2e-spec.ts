import type Srf from 'drachtio-srf';
import { freeUdpPort, startTestEdge, type TestEdge } from './helpers/edge-harness';
import { installRegistrar, type RegistrarStats } from './helpers/registrar-app';
import { runSipp, SCENARIOS, writeCsv } from './helpers/sipp';
import { connectSrf, disconnectSrf } from './helpers/srf-app';

describe('sip-edge: REGISTER with digest through a drachtio-srf registrar', () => {
  let edge: TestEdge;
  let app: Srf;
  let stats: RegistrarStats;

  beforeAll(async () => {
    edge = await startTestEdge();
    app = await connectSrf(edge.adminPort, (srf) => {
      stats = installRegistrar(srf, '127.0.0.1');
    });
  });

  afterAll(async () => {
    disconnectSrf(app);
    await edge.close();
  });

  it('challenges with 401 and accepts the digest with 200 (10 users over UDP)', async () => {
    const users = Array.from({ length: 10 }, (_, i) => `user${i};[authentication username=user${i} password=pw]`);
    const r = await runSipp(
      [`127.0.0.1:${edge.port('udp')}`, '-sf', `${SCENARIOS}/uac-register-digest.xml`, '-inf', writeCsv(users), '-i', '127.0.0.1', '-p', String(await freeUdpPort()), '-r', '50'],
      { calls: 10 },
    );
    expect(r.code).toBe(0);
    expect(stats.challenged).toBe(10);
    expect(stats.registered).toBe(10);
    expect(stats.rejected).toBe(0);
    expect(stats.contacts.get('user3')?.contact).toMatch(/^<sip:user3@127\.0\.0\.1:\d+;transport=UDP>$/);
  });

  it('rejects a wrong password with 403', async () => {
    const r = await runSipp(
      [
        `127.0.0.1:${edge.port('udp')}`,
        '-sf',
        `${SCENARIOS}/uac-register-digest.xml`,
        '-inf',
        writeCsv(['mallory;[authentication username=mallory password=nope]']),
        '-i',
        '127.0.0.1',
        '-p',
        String(await freeUdpPort()),
      ],
      { calls: 1, timeoutS: 5 },
    );
    expect(r.code).not.toBe(0);
    expect(stats.rejected).toBe(1);
  });
});
