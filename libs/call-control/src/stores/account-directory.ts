import { normalizeIp, type SipDigestAlgorithm } from '@pbx/common';
import type {
  BansRepository,
  DevicesRepository,
  ExtensionsRepository,
  PolicyRulesRepository,
  SourceRuleEntity,
  TenantsRepository,
} from '@pbx/database';
import { parseCidr, type Cidr } from '@pbx/policy';
import type { RegistrationSourceRules } from '../register/admission';
import type { AccountDirectory, DeviceAccount, ExtensionTarget, TenantAccount } from '../register/register.ports';
import { TtlCache } from './ttl-cache';

export interface AccountDirectoryOptions {
  ttlMs: number;
  maxEntries: number;
}

interface TenantEntry {
  account: TenantAccount;
  /** Registration source rules of the tenant's devices, by device id. */
  deviceRules: Map<string, RegistrationSourceRules>;
  bannedIps: Set<string>;
}

const cidrs = (values: readonly string[]): Cidr[] =>
  values.map((v) => parseCidr(v)).filter((c): c is Cidr => c !== undefined);

function registrationRules(rows: readonly SourceRuleEntity[]): RegistrationSourceRules {
  const pick = (kind: SourceRuleEntity['kind']) =>
    rows.filter((r) => r.kind === kind && r.appliesTo !== 'call').map((r) => r.value);
  return { cidrAllow: cidrs(pick('cidr_allow')), countryAllow: pick('country_allow'), countryDeny: pick('country_deny') };
}

/**
 * Accounts as the registrar needs them, from Postgres through a cache: tenants by realm (with their
 * registration source rules and tenant bans) and devices by username (with their HA1s, which stay in
 * memory only). Unknown names are cached too, so probing for users costs what a real login costs.
 * Invalidation messages drop entries at once (see `drop`); the TTL bounds how stale a lost one leaves us.
 */
export class CachedAccountDirectory implements AccountDirectory {
  private readonly realms: TtlCache<string | null>;
  private readonly tenants: TtlCache<TenantEntry | null>;
  private readonly devices: TtlCache<DeviceAccount | null>;
  private readonly extensions: TtlCache<ExtensionTarget | null>;

  constructor(
    private readonly repos: {
      tenants: TenantsRepository;
      devices: DevicesRepository;
      extensions: ExtensionsRepository;
      rules: PolicyRulesRepository;
      bans: BansRepository;
    },
    opts: AccountDirectoryOptions,
  ) {
    this.realms = new TtlCache(opts.ttlMs, opts.maxEntries);
    this.tenants = new TtlCache(opts.ttlMs, opts.maxEntries);
    this.devices = new TtlCache(opts.ttlMs, opts.maxEntries);
    this.extensions = new TtlCache(opts.ttlMs, opts.maxEntries);
  }

  async extension(tenantId: string, number: string): Promise<ExtensionTarget | null> {
    return this.extensions.get(`${tenantId}:${number}`, async () => {
      const ext = await this.repos.extensions.findByNumber(tenantId, number);
      if (!ext) return null;
      return { id: ext.id, number: ext.number, deviceIds: await this.repos.devices.idsOfExtension(tenantId, ext.id) };
    });
  }

  async tenantByRealm(realm: string): Promise<TenantAccount | null> {
    const id = await this.realms.get(realm.toLowerCase(), async () => (await this.repos.tenants.findByRealm(realm))?.id ?? null);
    return id ? ((await this.tenant(id))?.account ?? null) : null;
  }

  async tenantById(id: string): Promise<TenantAccount | null> {
    return (await this.tenant(id))?.account ?? null;
  }

  async device(tenantId: string, username: string): Promise<DeviceAccount | null> {
    const entry = await this.tenant(tenantId);
    if (!entry) return null;
    return this.devices.get(`${tenantId}:${username}`, async () => {
      const d = await this.repos.devices.findDigests(tenantId, username);
      if (!d) return null;
      return {
        id: d.id,
        tenantId,
        extensionId: d.extensionId,
        username: d.sipUsername,
        status: d.status,
        lockLevel: d.lockLevel,
        transports: d.transports,
        allowedCidrs: cidrs(d.allowedCidrs),
        rules: entry.deviceRules.get(d.id) ?? { cidrAllow: [], countryAllow: [], countryDeny: [] },
        algorithms: d.digestAlgorithms as SipDigestAlgorithm[],
        ha1: { MD5: d.ha1Md5.trim().toLowerCase(), 'SHA-256': d.ha1Sha256.trim().toLowerCase() },
        maxRegistrations: d.maxRegistrations,
      };
    });
  }

  async isBannedInTenant(tenantId: string, ip: string): Promise<boolean> {
    const entry = await this.tenant(tenantId);
    return entry?.bannedIps.has(normalizeIp(ip) ?? ip) ?? false;
  }

  /** Drops what an invalidation message names: a tenant's accounts, or everything (tenantId null). */
  drop(tenantId: string | null): void {
    if (tenantId === null) {
      this.realms.drop();
      this.tenants.drop();
      this.devices.drop();
      this.extensions.drop();
      return;
    }
    // A tenant's realm may have changed, and a realm cached as unknown may now be this tenant's.
    this.realms.dropWhere((id) => id === tenantId || id === null);
    this.tenants.drop(tenantId);
    this.devices.drop(`${tenantId}:`);
    this.extensions.drop(`${tenantId}:`);
  }

  private tenant(id: string): Promise<TenantEntry | null> {
    return this.tenants.get(id, async () => {
      const [t, rules, bans] = await Promise.all([
        this.repos.tenants.findById(id),
        this.repos.rules.allSourceRules(id),
        this.repos.bans.activeTenantIps(id),
      ]);
      if (!t) return null;
      const byDevice = new Map<string, SourceRuleEntity[]>();
      for (const r of rules) if (r.deviceId) byDevice.set(r.deviceId, [...(byDevice.get(r.deviceId) ?? []), r]);
      return {
        account: {
          id: t.id,
          realm: t.sipRealm,
          status: t.status,
          defaultCountry: t.defaultCountry,
          rules: registrationRules(rules.filter((r) => r.deviceId === null)),
          media: { srtpRequired: t.srtpRequired, codecs: t.codecAllowList },
        },
        deviceRules: new Map([...byDevice].map(([k, v]) => [k, registrationRules(v)])),
        bannedIps: new Set(bans),
      };
    });
  }
}
