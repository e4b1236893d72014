import { openDb, startPbx, type PbxUnderTest } from './helpers/pbx-harness';
import { TestRtpengine } from './helpers/rtpengine';
import type { DataSource } from 'typeorm';

/** rtpengine as a component of the SIP app: health, and what calls get when it goes away. */
describe('sip media relay: rtpengine reachability', () => {
  const NG_PORT = 22_347;
  let rtpengine: TestRtpengine;
  let pbx: PbxUnderTest;
  let db: DataSource;

  const ready = async () => {
    const r = await fetch(`http://127.0.0.1:${pbx.sip.opsPort}/health/ready`);
    return { status: r.status, body: (await r.json()) as { checks: Record<string, { status: string }> } };
  };

  beforeAll(async () => {
    db = await openDb();
    rtpengine = await TestRtpengine.start(NG_PORT, 36_400, 36_499);
    pbx = await startPbx({ env: { RTPENGINE_NG_PORT: String(NG_PORT), RTPENGINE_TIMEOUT_MS: '300' } });
  });

  afterAll(async () => {
    await pbx?.close();
    await rtpengine?.stop();
    await db?.destroy();
  });

  it('reports rtpengine in /health/ready: up while it answers, down (503) once it is gone, up again after a restart', async () => {
    expect(await ready()).toEqual({ status: 200, body: expect.objectContaining({ checks: expect.objectContaining({ rtpengine: { status: 'up' } }) }) });
    await rtpengine.kill();
    const down = await ready();
    expect(down.status).toBe(503);
    expect(down.body.checks.rtpengine).toEqual({ status: 'down' });
    expect(down.body.checks.drachtio).toEqual({ status: 'up' });
    await rtpengine.restart();
    expect((await ready()).status).toBe(200);
  });
});
