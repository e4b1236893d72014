import { createRedis, publishInvalidation } from '@pbx/common';
import { ConfigError, env, loadConfig, z } from '@pbx/config';
import {
  AuditLogRepository,
  createDataSource,
  DeviceEntity,
  DevicesRepository,
  ExtensionsRepository,
  TenantEntity,
  TenantsRepository,
} from '@pbx/database';
import { digestsOf, generateSipPassword } from '../devices/device-credentials';
import { formatSoftphoneSettings, SoftphoneDevice } from './softphone-settings';

/**
 * The demo tenant `npm run up` creates once, so that two softphones can register with nothing else:
 * tenant "demo" with extensions 1001 and 1002 and one device each. Passwords are generated here,
 * stored only as HA1s (the API's code path: device-credentials.ts) and printed once, to stdout only.
 *   node seed-demo.js create [--ca <file>]   creates what is missing; passwords of new devices only
 *   node seed-demo.js rotate [--ca <file>]   new passwords for the demo devices (`npm run demo:passwords`)
 */
export const seedDemoConfigSchema = z.object({
  DATABASE_URL: env.url(['postgres', 'postgresql']),
  // Optional: without it a rotation is not announced and running SIP apps see it when their cache expires.
  REDIS_URL: env.url(['redis', 'rediss']).optional(),
  AUDIT_HMAC_KEY: env.secret(32),
  SIP_DOMAIN: z.string().min(1).default('pbx.local'),
  SEED_DEMO: env.bool(true),
  EDGE_CONTACTS: env.csv(),
});

export type SeedDemoConfig = z.infer<typeof seedDemoConfigSchema>;

export const DEMO_TENANT = { slug: 'demo', name: 'Demo' } as const;
export const DEMO_EXTENSIONS = ['1001', '1002'] as const;
export const ROTATE_COMMAND = 'npm run demo:passwords';

/** TLS and WSS only: the secure default of the API, which a newcomer's first phones should show. */
const DEMO_DEVICE = {
  digestAlgorithms: ['SHA-256', 'MD5'],
  transports: ['tls', 'wss'],
  allowedCidrs: [],
  maxRegistrations: 3,
  status: 'active',
} satisfies Partial<DeviceEntity>;

export interface DemoStores {
  tenants: Pick<TenantsRepository, 'findBySlug' | 'create'>;
  extensions: Pick<ExtensionsRepository, 'list' | 'create'>;
  devices: Pick<DevicesRepository, 'list' | 'create' | 'setDigests'>;
  /** Appends to the tenant's audit chain. */
  audit(
    tenantId: string,
    action: string,
    target: { type: string; id: string },
    details: Record<string, unknown>,
  ): Promise<void>;
}

export interface DemoResult {
  tenant: TenantEntity;
  devices: SoftphoneDevice[];
  /** Device ids whose credentials changed, for the SIP apps' caches. */
  changed: string[];
}

const exact = (field: string, value: string) => ({
  page: 1,
  perPage: 1,
  sort: [],
  filters: { [field]: value },
});

async function findDevice(
  s: DemoStores,
  tenantId: string,
  username: string,
): Promise<DeviceEntity | undefined> {
  return (await s.devices.list(tenantId, exact('sip_username', username))).items.find(
    (d) => d.sipUsername === username,
  );
}

/** Creates whatever of the demo is missing; a second run changes nothing and reveals no password. */
export async function seedDemo(s: DemoStores, sipDomain: string): Promise<DemoResult> {
  let tenant = await s.tenants.findBySlug(DEMO_TENANT.slug);
  if (!tenant) {
    tenant = await s.tenants.create({ ...DEMO_TENANT, sipRealm: `${DEMO_TENANT.slug}.${sipDomain}` });
    await s.audit(
      tenant.id,
      'tenant.created',
      { type: 'tenant', id: tenant.id },
      { slug: tenant.slug, source: 'seed-demo' },
    );
  }
  const devices: SoftphoneDevice[] = [];
  const changed: string[] = [];
  for (const number of DEMO_EXTENSIONS) {
    let ext = (await s.extensions.list(tenant.id, exact('number', number))).items.find(
      (e) => e.number === number,
    );
    if (!ext) {
      ext = await s.extensions.create({ tenantId: tenant.id, number, name: `Demo ${number}`, userId: null });
      await s.audit(
        tenant.id,
        'extension.created',
        { type: 'extension', id: ext.id },
        { number, source: 'seed-demo' },
      );
    }
    const existing = await findDevice(s, tenant.id, number);
    if (existing) {
      devices.push({ username: number, extension: number, transports: existing.transports });
      continue;
    }
    const password = generateSipPassword();
    const id = await s.devices.create({
      tenantId: tenant.id,
      extensionId: ext.id,
      name: `Demo softphone ${number}`,
      sipUsername: number,
      ...DEMO_DEVICE,
      ...digestsOf(number, tenant.sipRealm, password),
    });
    await s.audit(
      tenant.id,
      'device.created',
      { type: 'device', id },
      { extension_id: ext.id, sip_username: number, source: 'seed-demo' },
    );
    devices.push({ username: number, extension: number, transports: DEMO_DEVICE.transports, password });
    changed.push(id);
  }
  return { tenant, devices, changed };
}

/** New passwords for the demo devices; both HA1s are replaced at once, so the old passwords die now. */
export async function rotateDemoPasswords(s: DemoStores): Promise<DemoResult> {
  const tenant = await s.tenants.findBySlug(DEMO_TENANT.slug);
  if (!tenant) throw new Error(`there is no "${DEMO_TENANT.slug}" tenant: \`npm run up\` creates it`);
  const devices: SoftphoneDevice[] = [];
  const changed: string[] = [];
  for (const number of DEMO_EXTENSIONS) {
    const device = await findDevice(s, tenant.id, number);
    if (!device) throw new Error(`the demo device ${number} is gone: \`npm run up\` creates it again`);
    const password = generateSipPassword();
    await s.devices.setDigests(device.id, digestsOf(device.sipUsername, tenant.sipRealm, password));
    await s.audit(
      tenant.id,
      'device.credentials_rotated',
      { type: 'device', id: device.id },
      { sip_username: number, source: 'seed-demo' },
    );
    devices.push({ username: number, extension: number, transports: device.transports, password });
    changed.push(device.id);
  }
  return { tenant, devices, changed };
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(args: string[]): Promise<void> {
  const mode = args[0] ?? 'create';
  if (mode !== 'create' && mode !== 'rotate') throw new Error(`unknown mode "${mode}": use create or rotate`);
  const config = loadConfig(seedDemoConfigSchema);
  if (mode === 'create' && !config.SEED_DEMO) {
    console.log('Demo tenant: not created (SEED_DEMO=false).');
    return;
  }
  const ds = await createDataSource({
    url: config.DATABASE_URL,
    poolSize: 2,
    applicationName: 'pbx-seed-demo',
  }).initialize();
  try {
    const auditLog = new AuditLogRepository(ds);
    const stores: DemoStores = {
      tenants: new TenantsRepository(ds),
      extensions: new ExtensionsRepository(ds),
      devices: new DevicesRepository(ds),
      audit: async (tenantId, action, target, details) => {
        await auditLog.append(config.AUDIT_HMAC_KEY, {
          tenantId,
          actorUserId: null,
          actorEmail: null,
          action,
          targetType: target.type,
          targetId: target.id,
          ip: null,
          userAgent: 'pbx-seed-demo',
          result: 'success',
          metadata: details,
        });
      },
    };
    const r =
      mode === 'create' ? await seedDemo(stores, config.SIP_DOMAIN) : await rotateDemoPasswords(stores);
    if (r.changed.length && config.REDIS_URL)
      await announce(config.REDIS_URL, r.tenant.id, r.changed).catch((err: unknown) =>
        console.error(
          `warning: SIP apps not told of the change (${err instanceof Error ? err.message : String(err)}); their cache expires soon`,
        ),
      );
    const lines = formatSoftphoneSettings({
      contacts: config.EDGE_CONTACTS,
      realm: r.tenant.sipRealm,
      tenantName: r.tenant.name,
      devices: r.devices,
      caFile: argValue(args, '--ca') || undefined,
      rotateCommand: ROTATE_COMMAND,
    });
    console.log(lines.join('\n'));
  } finally {
    await ds.destroy();
  }
}

/** Running SIP apps drop the devices' cached credentials at once (as after a rotation through the API). */
async function announce(redisUrl: string, tenantId: string, deviceIds: string[]): Promise<void> {
  const redis = createRedis(redisUrl, 'pbx-seed-demo');
  try {
    for (const id of deviceIds) {
      await publishInvalidation(redis, 'device', tenantId, id);
      await publishInvalidation(redis, 'credentials', tenantId, id);
    }
  } finally {
    redis.disconnect();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    if (err instanceof ConfigError) console.error(err.message);
    else console.error('seed-demo failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
