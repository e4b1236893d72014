import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { NonceCodec } from '../../libs/call-control/src';
import { createRedis, parseLiveRegistration, RedisKeys } from '../../libs/common/src';
import { freeTcpPort, freeUdpPort } from '../sip-edge/helpers/edge-harness';
import { runSipp, writeCsv } from '../sip-edge/helpers/sipp';
import { startStunnel, stopStunnel } from '../sip-edge/helpers/stunnel';
import { makeTestCert } from '../sip-edge/helpers/tls-cert';
import { createTenant, dropTenant, type TestTenant } from './helpers/accounts';
import { openDb, startPbx, type PbxUnderTest } from './helpers/pbx-harness';
import { authorization } from './helpers/register-client';

const SCENARIOS = join(__dirname, 'scenarios');

describe('sip registrar with sipp (UDP, TCP, TLS through stunnel; MD5 and SHA-256)', () => {
  let pbx: PbxUnderTest;
  let db: DataSource;
  let redis: Redis;
  let tenant: TestTenant;
  let stunnel: ChildProcess | undefined;
  const cert = makeTestCert();

  const transportOf = async (i: number) =>
    Object.values(await redis.hgetall(RedisKeys.deviceRegistrations(tenant.id, tenant.devices[i].id))).map(
      (v) => parseLiveRegistration(v)?.transport,
    );

  beforeAll(async () => {
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'sip-sipp-test');
    // Debian's sipp computes MD5 only and takes the first challenge, so its devices allow MD5 alone.
    tenant = await createTenant(db, [
      { username: 'md5udp', algorithms: ['MD5'] },
      { username: 'md5tcp', algorithms: ['MD5'] },
      { username: 'md5tls', algorithms: ['MD5'], transports: ['tls'] },
      { username: 'shaudp' },
      { username: 'shatcp' },
    ]);
    pbx = await startPbx({
      contacts: ['sip:127.0.0.1:0;transport=udp', 'sip:127.0.0.1:0;transport=tcp', 'sips:127.0.0.1:0;transport=tls'],
      tls: { keyFile: cert.keyFile, certFile: cert.certFile, verifyOutbound: false },
    });
  });

  afterAll(async () => {
    await stopStunnel(stunnel);
    await pbx?.close();
    await dropTenant(db, tenant.id);
    await db.destroy();
    await redis.quit();
  });

  const md5Row = (i: number) => {
    const d = tenant.devices[i];
    return `${d.username};${tenant.realm};[authentication username=${d.username} password=${d.password}]`;
  };

  it('registers with MD5 over UDP', async () => {
    const r = await runSipp([`${pbx.host}:${pbx.port('udp')}`, '-sf', `${SCENARIOS}/register-md5.xml`, '-inf', writeCsv([md5Row(0)]), '-i', '127.0.0.1', '-p', String(await freeUdpPort())]);
    expect(r.code).toBe(0);
    expect(await transportOf(0)).toEqual(['udp']);
  });

  it('registers with MD5 over TCP', async () => {
    const r = await runSipp([`${pbx.host}:${pbx.port('tcp')}`, '-t', 't1', '-sf', `${SCENARIOS}/register-md5.xml`, '-inf', writeCsv([md5Row(1)]), '-i', '127.0.0.1', '-p', String(await freeTcpPort())]);
    expect(r.code).toBe(0);
    expect(await transportOf(1)).toEqual(['tcp']);
  });

  it('registers with MD5 over TLS (sipp behind stunnel)', async () => {
    const plain = await freeTcpPort();
    stunnel = await startStunnel(mkdtempSync(join(tmpdir(), 'sip-stunnel-')), plain, pbx.port('tls'));
    const r = await runSipp([`127.0.0.1:${plain}`, '-t', 't1', '-sf', `${SCENARIOS}/register-md5.xml`, '-inf', writeCsv([md5Row(2)]), '-i', '127.0.0.1', '-p', String(await freeTcpPort())]);
    expect(r.code).toBe(0);
    expect(await transportOf(2)).toEqual(['tls']);
  });

  // sipp 3.6.1 has no SHA-256 digest: the test computes the Authorization for a nonce minted with the
  // app's key (derived from the drachtio secret) for sipp's address; sipp sends it over the wire.
  it.each([
    ['UDP', 3, 'udp'],
    ['TCP', 4, 'tcp'],
  ] as const)('registers with SHA-256 over %s', async (_name, i, proto) => {
    const d = tenant.devices[i];
    const nonce = new NonceCodec(pbx.secret, 60_000).issue('127.0.0.1', tenant.realm);
    const auth = authorization({ username: d.username, password: d.password, realm: tenant.realm }, { nonce, algorithm: 'SHA-256' }, `sip:${tenant.realm}`);
    const port = proto === 'udp' ? await freeUdpPort() : await freeTcpPort();
    const r = await runSipp([
      `${pbx.host}:${pbx.port(proto)}`,
      ...(proto === 'tcp' ? ['-t', 't1'] : []),
      '-sf',
      `${SCENARIOS}/register-preauth.xml`,
      '-inf',
      writeCsv([`${d.username};${tenant.realm};${auth}`]),
      '-i',
      '127.0.0.1',
      '-p',
      String(port),
    ]);
    expect(r.code).toBe(0);
    expect(await transportOf(i)).toEqual([proto]);
  });
});
