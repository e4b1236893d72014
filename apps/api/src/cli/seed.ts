import { ConfigError, env, loadConfig, z } from '@pbx/config';
import { createDataSource, TenantsRepository, UsersRepository } from '@pbx/database';
import * as bcrypt from 'bcrypt';

/**
 * Idempotent first-run seed: the "platform" tenant and one platform admin. Running it again
 * changes nothing; in particular an existing admin's password is never overwritten.
 */
export const seedConfigSchema = z.object({
  DATABASE_URL: env.url(['postgres', 'postgresql']),
  BCRYPT_COST: env.int(12, 4, 15),
  SEED_ADMIN_EMAIL: z
    .string()
    .default('admin@pbx.local')
    .transform((v) => v.trim().toLowerCase())
    .pipe(z.email()),
  // No default on purpose: `npm run up` generates one into .env; bcrypt reads at most 72 bytes.
  SEED_ADMIN_PASSWORD: env
    .secret(12)
    .refine((v) => Buffer.byteLength(v, 'utf8') <= 72, 'must not be longer than 72 bytes'),
});

export type SeedConfig = z.infer<typeof seedConfigSchema>;

export const PLATFORM_TENANT_SLUG = 'platform';

export interface SeedResult {
  tenantId: string;
  tenantCreated: boolean;
  adminEmail: string;
  adminCreated: boolean;
}

export async function seedPlatform(tenants: TenantsRepository, users: UsersRepository, config: SeedConfig): Promise<SeedResult> {
  let tenant = await tenants.findBySlug(PLATFORM_TENANT_SLUG);
  const tenantCreated = !tenant;
  tenant ??= await tenants.create({ name: 'Platform', slug: PLATFORM_TENANT_SLUG });
  const adminEmail = config.SEED_ADMIN_EMAIL;
  const adminCreated = !(await users.existsByEmail(adminEmail));
  if (adminCreated) {
    await users.create({
      tenantId: tenant.id,
      email: adminEmail,
      name: 'Platform admin',
      passwordHash: await bcrypt.hash(config.SEED_ADMIN_PASSWORD, config.BCRYPT_COST),
      roles: ['platform_admin'],
    });
  }
  return { tenantId: tenant.id, tenantCreated, adminEmail, adminCreated };
}

async function main(): Promise<void> {
  const config = loadConfig(seedConfigSchema);
  const ds = await createDataSource({ url: config.DATABASE_URL, poolSize: 2, applicationName: 'pbx-seed' }).initialize();
  try {
    const r = await seedPlatform(new TenantsRepository(ds), new UsersRepository(ds), config);
    console.log(`tenant "${PLATFORM_TENANT_SLUG}" ${r.tenantCreated ? 'created' : 'already present'} (${r.tenantId})`);
    console.log(`platform admin ${r.adminEmail} ${r.adminCreated ? 'created' : 'already present; password left unchanged'}`);
  } finally {
    await ds.destroy();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) console.error(err.message);
    else console.error('seed failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
