import type Srf from 'drachtio-srf';
import { installCallApp } from './helpers/call-app';
import { freeUdpPort, startTestEdge, waitUntil, type TestEdge } from './helpers/edge-harness';
import { runSipp, SCENARIOS } from './helpers/sipp';
import { connectSrf, disconnectSrf } from './helpers/srf-app';

describe('sip-edge: CDR frames [T12]', () => {
  let edge: TestEdge;
  let app: Srf;
  const cdrs: string[] = [];

  beforeAll(async () => {
    edge = await startTestEdge({ cdrs: true });
    app = await connectSrf(edge.adminPort, (srf) => {
      const on = srf.on.bind(srf) as unknown as (event: string, fn: (...args: unknown[]) => void) => void;
      on('cdr:attempt', (source, _time, msg) => cdrs.push(`attempt:${String(source)}:${(msg as { method?: string }).method}`));
      on('cdr:start', (source, _time, role) => cdrs.push(`start:${String(source)}:${String(role)}`));
      on('cdr:stop', (source, _time, reason) => cdrs.push(`stop:${String(source)}:${String(reason)}`));
      installCallApp(srf);
    });
  });

  afterAll(async () => {
    disconnectSrf(app);
    await edge.close();
  });

  it('reports attempt, start (uas) and stop (normal-release) for an answered call', async () => {
    const r = await runSipp([`127.0.0.1:${edge.port('udp')}`, '-sn', 'uac', '-s', 'answer', '-d', '100', '-i', '127.0.0.1', '-p', String(await freeUdpPort())]);
    expect(r.code).toBe(0);
    await waitUntil(() => cdrs.length >= 3, 2000, 'three CDRs');
    expect(cdrs).toEqual(['attempt:network:INVITE', 'start:application:uas', 'stop:network:normal-release']);
  });

  it('reports call-canceled when the caller cancels', async () => {
    cdrs.length = 0;
    const r = await runSipp([`127.0.0.1:${edge.port('udp')}`, '-sf', `${SCENARIOS}/uac-cancel.xml`, '-s', 'ring', '-i', '127.0.0.1', '-p', String(await freeUdpPort())]);
    expect(r.code).toBe(0);
    await waitUntil(() => cdrs.length >= 2, 2000, 'two CDRs');
    expect(cdrs).toEqual(['attempt:network:INVITE', 'stop:network:call-canceled']);
  });
});
