import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freeTcpPort, freeUdpPort } from '../sip-edge/helpers/edge-harness';
import { Phone } from '../sip/helpers/phone';
import { registerWith, type SoftphoneSettings } from './helpers/sip-register-client';
import {
  filesUnder,
  parseSoftphones,
  runScript,
  sql,
  tcpOpen,
  tlsVerdict,
  type Run,
} from './helpers/stack-run';

/**
 * `npm run up` as a newcomer runs it, as a second stack beside any developer's own: its own database,
 * Redis database, ports, env file and var dir (PBX_ENV_FILE, PBX_VAR_DIR). Phones then register with
 * exactly what it printed.
 */
const ROOT = join(__dirname, '..', '..');
const DB_NAME = 'pbx_up_test';
const REDIS_DB = 11;
const ADMIN_DB_URL = (process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test').replace(
  /\/[^/]*$/,
  '/postgres',
);
const DB_URL = ADMIN_DB_URL.replace(/\/postgres$/, `/${DB_NAME}`);
const REDIS_URL = `${(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '')}/${REDIS_DB}`;

const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');
const md5 = (v: string) => createHash('md5').update(v).digest('hex');

describe('npm run up: a fresh stack prints what a softphone needs, and phones register with exactly that', () => {
  let dir: string | undefined;
  // Undefined until the overrides are set: down.sh must never run against the developer's own stack.
  let env: NodeJS.ProcessEnv | undefined;
  let ports: Record<'api' | 'admin' | 'ops' | 'sipOps' | 'workerOps' | 'sip' | 'tls' | 'wss', number>;
  let first: Run;
  let phones: SoftphoneSettings[];
  let pids: number[] = [];
  let down: Run | undefined;

  const stack = (): NodeJS.ProcessEnv => {
    if (!env) throw new Error('the stack environment was never set up');
    return env;
  };
  const varDir = (...parts: string[]) => join(stack().PBX_VAR_DIR ?? '', ...parts);

  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), 'pbx-up-'));
    dir = root;
    await sql(ADMIN_DB_URL, `DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
    const redis = new Redis(REDIS_URL);
    await redis.flushdb();
    redis.disconnect();
    ports = {
      api: await freeTcpPort(),
      admin: await freeTcpPort(),
      ops: await freeTcpPort(),
      sipOps: await freeTcpPort(),
      workerOps: await freeTcpPort(),
      sip: await freeUdpPort(),
      tls: await freeTcpPort(),
      wss: await freeTcpPort(),
    };
    // Only what `npm run up` would find in a newcomer's shell: none of the stack's own variables (the
    // e2e setup sets some), then the overrides that keep this stack apart from a developer's.
    const documented = [
      ...readFileSync(join(ROOT, '.env.example'), 'utf8').matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm),
    ].map((m) => m[1]);
    const stackEnv: NodeJS.ProcessEnv = { ...process.env };
    for (const name of [...documented, 'NODE_ENV', 'LOG_LEVEL']) delete stackEnv[name];
    env = Object.assign(stackEnv, {
      PBX_ENV_FILE: join(root, 'env'),
      PBX_VAR_DIR: join(root, 'var'),
      DATABASE_URL: DB_URL,
      REDIS_URL,
      API_PORT: String(ports.api),
      API_PUBLIC_URL: `http://127.0.0.1:${ports.api}`,
      EDGE_ADMIN_PORT: String(ports.admin),
      DRACHTIO_PORT: String(ports.admin),
      EDGE_OPS_PORT: String(ports.ops),
      SIP_OPS_PORT: String(ports.sipOps),
      WORKER_OPS_PORT: String(ports.workerOps),
      // The default set of transports, on free ports: UDP and TCP listen, but the demo devices don't allow them.
      EDGE_CONTACTS: [
        `sip:127.0.0.1:${ports.sip};transport=udp`,
        `sip:127.0.0.1:${ports.sip};transport=tcp`,
        `sips:127.0.0.1:${ports.tls};transport=tls`,
        `sips:127.0.0.1:${ports.wss};transport=wss`,
      ].join(','),
    });
    first = await runScript('scripts/up.sh', stackEnv, 9 * 60_000);
    phones = parseSoftphones(first.stdout);
    const runDir = join(root, 'var', 'run');
    if (existsSync(runDir))
      pids = readdirSync(runDir).map((f) => Number(readFileSync(join(runDir, f), 'utf8')));
  }, 10 * 60_000);

  afterAll(async () => {
    if (env && !down) await runScript('scripts/down.sh', env, 60_000);
    await sql(ADMIN_DB_URL, `DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
    const redis = new Redis(REDIS_URL);
    await redis.flushdb();
    redis.disconnect();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 90_000);

  it('comes up and prints TLS and WSS settings for the demo devices 1001 and 1002, with one-time passwords', () => {
    const failure = first.code === 0 ? '' : `${first.stdout.slice(-3000)}\n${first.stderr.slice(-3000)}`;
    expect({ code: first.code, failure }).toEqual({ code: 0, failure: '' });
    expect(pids).toHaveLength(4);
    const seen = phones.map((p) => `${p.username} ${p.transport} ${p.host}:${p.port} ${p.domain}`).sort();
    expect(seen).toEqual([
      `1001 tls 127.0.0.1:${ports.tls} demo.pbx.local`,
      `1001 wss 127.0.0.1:${ports.wss} demo.pbx.local`,
      `1002 tls 127.0.0.1:${ports.tls} demo.pbx.local`,
      `1002 wss 127.0.0.1:${ports.wss} demo.pbx.local`,
    ]);
    expect(phones.find((p) => p.transport === 'wss')?.url).toBe(`wss://127.0.0.1:${ports.wss}/`);
    const passwords = new Map(phones.map((p) => [p.username, p.password]));
    expect(new Set(phones.map((p) => `${p.username}:${p.password}`)).size).toBe(2);
    for (const pw of passwords.values()) expect(pw).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(first.stdout).toContain(
      `<sip:1001@demo.pbx.local;transport=tls>;auth_pass=${passwords.get('1001')};outbound="sip:127.0.0.1:${ports.tls};transport=tls"`,
    );
  });

  it('names the development CA, which issued the edge certificate that TLS and WSS present', async () => {
    const ca = phones[0]?.ca;
    expect(await tlsVerdict(ports.tls)).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(await tlsVerdict(ports.tls, readFileSync(ca))).toBe('trusted');
    expect(await tlsVerdict(ports.wss, readFileSync(ca))).toBe('trusted');
    expect(ca).toBe(varDir('tls', 'ca.crt'));
    expect(statSync(varDir('tls', 'ca.key')).mode & 0o777).toBe(0o600);
    expect(statSync(varDir('tls', 'edge.key')).mode & 0o777).toBe(0o600);
    expect(first.stdout).toContain(`sip_cafile ${ca}`);
  });

  it('stores only the HA1s of the printed passwords over the realm, and writes no password to any file or log', async () => {
    const rows = await sql<{
      sip_username: string;
      sip_realm: string;
      ha1_md5: string;
      ha1_sha256: string;
      transports: string[];
    }>(
      DB_URL,
      `SELECT d.sip_username, t.sip_realm, d.ha1_md5, d.ha1_sha256, d.transports FROM devices d JOIN tenants t ON t.id = d.tenant_id WHERE t.slug = 'demo' ORDER BY 1`,
    );
    expect(rows.map((r) => [r.sip_username, r.sip_realm, r.transports])).toEqual([
      ['1001', 'demo.pbx.local', ['tls', 'wss']],
      ['1002', 'demo.pbx.local', ['tls', 'wss']],
    ]);
    for (const r of rows) {
      const pw = phones.find((p) => p.username === r.sip_username)?.password ?? '';
      expect(r.ha1_sha256).toBe(sha256(`${r.sip_username}:${r.sip_realm}:${pw}`));
      expect(r.ha1_md5).toBe(md5(`${r.sip_username}:${r.sip_realm}:${pw}`));
    }
    const files = [stack().PBX_ENV_FILE ?? '', ...filesUnder(varDir())];
    expect(files.some((f) => f.endsWith('.log'))).toBe(true);
    const leaks = files.filter((f) => phones.some((p) => readFileSync(f, 'utf8').includes(p.password)));
    expect(leaks).toEqual([]);
  });

  it(
    'a second run changes nothing, reveals no password and names the command that makes new ones',
    async () => {
      const before = await sql(DB_URL, `SELECT id, ha1_sha256, updated_at FROM devices ORDER BY id`);
      const again = await runScript('scripts/up.sh', stack(), 5 * 60_000);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('already running');
      expect(again.stdout).toContain('`npm run demo:passwords` gives them new passwords');
      expect(parseSoftphones(again.stdout)).toEqual([]);
      for (const p of phones) expect(again.stdout).not.toContain(p.password);
      expect(await sql(DB_URL, `SELECT id, ha1_sha256, updated_at FROM devices ORDER BY id`)).toEqual(before);
    },
    5 * 60_000,
  );

  it('registers each demo device over TLS and over WSS with exactly the printed settings (401, then 200)', async () => {
    expect(phones).toHaveLength(4);
    const outcomes: string[] = [];
    for (const p of phones) {
      const r = await registerWith(p, readFileSync(p.ca));
      outcomes.push(`${p.username} ${p.transport}: ${r.statuses.join(' ')} ${r.finalReason}`);
    }
    expect(outcomes).toEqual(phones.map((p) => `${p.username} ${p.transport}: 401 200 OK`));
  });

  it('calls 1002 from 1001 over TLS with the printed settings: it rings, is answered, reaches BYE and leaves an answered CDR', async () => {
    const tls = ['1001', '1002'].map((u) => phones.find((p) => p.username === u && p.transport === 'tls'));
    const [alice, bob] = await Promise.all(
      tls.map((p) => {
        if (!p) throw new Error('no TLS settings printed');
        const creds = { username: p.username, password: p.password, realm: p.domain };
        return Phone.open({ host: p.host, port: p.port }, creds, '127.0.0.1', 'tls', { ca: readFileSync(p.ca) });
      }),
    );
    try {
      expect([await alice.register(), await bob.register()]).toEqual([200, 200]);
      const call = await alice.call('1002');
      expect(call.final?.status).toBe(200);
      // A B2BUA: 1002's leg is a dialog of its own, with its own Call-ID.
      const leg = (await bob.next((m) => m.method === 'INVITE', 'the INVITE to 1002')).header('Call-ID');
      expect((await bob.next((m) => m.method === 'ACK', 'the ACK of the answered call')).header('Call-ID')).toBe(leg);
      call.hangUp();
      await bob.next((m) => m.method === 'BYE', 'the BYE relayed to 1002');
      await alice.next((m) => m.status === 200 && /BYE$/.test(m.header('CSeq') ?? ''), '200 to the BYE');
      let cdr: Array<{ disposition: string; from_number: string; to_number: string }> = [];
      for (const deadline = Date.now() + 5000; cdr.length === 0 && Date.now() < deadline; ) {
        cdr = await sql(DB_URL, `SELECT disposition, from_number, to_number FROM cdrs WHERE call_id = $1`, [call.callId]);
        if (cdr.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(cdr).toEqual([{ disposition: 'answered', from_number: expect.any(String), to_number: '1002' }]);
    } finally {
      alice.close();
      bob.close();
    }
  });

  it('npm run demo:passwords prints new passwords once and the old ones stop matching', async () => {
    const r = await runScript('scripts/demo-passwords.sh', stack(), 60_000);
    expect(r.code).toBe(0);
    const fresh = parseSoftphones(r.stdout);
    expect(fresh.map((p) => `${p.username} ${p.transport}`)).toEqual(
      phones.map((p) => `${p.username} ${p.transport}`),
    );
    const rows = await sql<{ sip_username: string; ha1_sha256: string }>(
      DB_URL,
      `SELECT sip_username, ha1_sha256 FROM devices ORDER BY 1`,
    );
    for (const row of rows) {
      const old = phones.find((p) => p.username === row.sip_username)?.password;
      const pw = fresh.find((p) => p.username === row.sip_username)?.password;
      expect(pw).not.toBe(old);
      expect(row.ha1_sha256).toBe(sha256(`${row.sip_username}:demo.pbx.local:${pw}`));
    }
  });

  it('npm run down stops every process npm run up started', async () => {
    down = await runScript('scripts/down.sh', stack(), 60_000);
    expect(down.code).toBe(0);
    const alive = pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
    expect(await tcpOpen(ports.tls)).toBe(false);
    expect(await tcpOpen(ports.api)).toBe(false);
    expect(readdirSync(varDir('run'))).toEqual([]);
  });
});
