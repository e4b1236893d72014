import { env, loadConfig, z } from '@pbx/config';

export const sipConfigSchema = z.object({
  /** The drachtio control endpoint: the embedded SIP edge, or a real drachtio-server. */
  DRACHTIO_HOST: z.string().min(1).default('127.0.0.1'),
  DRACHTIO_PORT: env.port(9022),
  /** Shared secret of the drachtio control connection (EDGE_SECRET on the edge side). */
  DRACHTIO_SECRET: env.secret(12),
  /** Upper bound of the reconnect back-off, in milliseconds. */
  DRACHTIO_RECONNECT_MAX_MS: env.int(10_000, 500, 300_000),
  DATABASE_URL: env.url(['postgres', 'postgresql']),
  REDIS_URL: env.url(['redis', 'rediss']),
  /** Key of the audit chain; the SIP app writes system entries (device locked after failed logins). */
  AUDIT_HMAC_KEY: env.secret(32),
  /** Registration lifetimes the registrar grants, in seconds (RFC 3261 §10.2.8: 423 below the minimum). */
  SIP_REGISTER_MIN_EXPIRES: env.int(60, 1, 86_400),
  SIP_REGISTER_MAX_EXPIRES: env.int(3600, 60, 86_400),
  SIP_REGISTER_DEFAULT_EXPIRES: env.int(600, 60, 86_400),
  /** How long a digest nonce is accepted before the phone is asked again with stale=true. */
  SIP_NONCE_TTL_SECONDS: env.int(300, 10, 86_400),
  /** Failed digests from one address (10 min window) before it is banned at the edge. */
  SIP_AUTH_FAIL_IP_THRESHOLD: env.int(10, 2, 10_000),
  /** Failed digests against one device before it is locked, when its address holds live registrations. */
  SIP_AUTH_FAIL_DEVICE_THRESHOLD: env.int(10, 2, 10_000),
  /** First ban length; a repeat offender's ban grows fourfold each time (30 days at most). */
  SIP_BAN_BASE_SECONDS: env.int(3600, 10, 30 * 86_400),
  /** How long account data read from Postgres is cached; changes through the API drop it at once. */
  SIP_ACCOUNT_CACHE_TTL_MS: env.int(30_000, 0, 600_000),
  /**
   * The app's own per-source request-rate guard, for when drachtio-server (which has none) is in front:
   * requests per 2 s above which a source is dropped. Behind the embedded edge, the edge's guard
   * (EDGE_FLOOD_DENSITY) acts first. 0 disables it.
   */
  SIP_FLOOD_DENSITY: env.int(300, 0, 1_000_000),
  /** Addresses or CIDRs the app's guard never limits, besides 127.0.0.1 and ::1. */
  SIP_FLOOD_ALLOW_CIDRS: env.csv(),
  /** How long a call rings before the caller gets 480. */
  SIP_RING_TIMEOUT_SECONDS: env.int(60, 5, 600),
  /** On SIGTERM, how long calls in progress may go on before they are ended on both legs. */
  SIP_DRAIN_SECONDS: env.int(30, 0, 3600),
  /**
   * Crash recovery: an instance renews a liveness key every third of this; once it has lapsed, other
   * instances write the CDRs of the calls it carried.
   */
  SIP_INSTANCE_TTL_SECONDS: env.int(15, 3, 300),
  /**
   * The API's key-encryption keys (same value): they open trunk secrets to answer a carrier's 401/407.
   * Unset, calls go out only through trunks that do not challenge.
   */
  SECRETS_KEKS: z
    .string()
    .optional()
    .refine(
      (v) => !v || v.split(',').every((p) => /^[1-9][0-9]{0,5}:[A-Za-z0-9+/]{43}=$/.test(p.trim())),
      'must be comma-separated version:base64 pairs of 32-byte keys',
    ),
  /** How often trunks that register upstream are checked (lock renewed, REGISTER sent when due). */
  SIP_TRUNK_REGISTER_TICK_MS: env.int(5000, 100, 60_000),
  /**
   * Toll calls hold a lease on their concurrency slot, renewed every third of this while they run: the
   * calls of a process that died stop counting this long after it died.
   */
  SIP_CALL_LEASE_SECONDS: env.int(30, 1, 3600),
  /** How often the spend of an answered call is added to the tenant's counters and checked against its caps. */
  SIP_SPEND_ACCRUAL_MS: env.int(5000, 100, 300_000),
  /** BullMQ key prefix of the call-events queue: the worker's QUEUE_PREFIX, so both use the same keys. */
  QUEUE_PREFIX: z.string().min(1).default('pbx:bull'),
  /** rtpengine's ng control socket (scripts/rtpengine.sh starts one on loopback): every call's media goes through it. */
  RTPENGINE_NG_HOST: z.string().min(1).default('127.0.0.1'),
  RTPENGINE_NG_PORT: env.port(22222),
  /** How long an ng command may take before rtpengine counts as unreachable (new calls then get 503). */
  RTPENGINE_TIMEOUT_MS: env.int(1500, 100, 30_000),
  /** A call whose legs sent no RTP for this long is ended on both legs (the CDR says why). */
  MEDIA_RTP_TIMEOUT_SECONDS: env.int(60, 2, 3600),
  /** How often each answered call's media is checked (packets, timeout) at rtpengine. */
  MEDIA_CHECK_INTERVAL_MS: env.int(5000, 200, 60_000),
  SIP_OPS_HOST: z.string().default('127.0.0.1'),
  SIP_OPS_PORT: env.port(9101),
  LOG_LEVEL: env.logLevel(),
  /** For tests only: lets loopback addresses other than 127.0.0.1 and ::1 be banned (test peers use 127.0.0.66…). */
  BANS_ALLOW_LOOPBACK: env.bool(false),
});

export type SipConfig = z.infer<typeof sipConfigSchema>;

export const SIP_CONFIG = Symbol('SIP_CONFIG');

export function loadSipConfig(source: NodeJS.ProcessEnv = process.env): SipConfig {
  return loadConfig(sipConfigSchema, source);
}
