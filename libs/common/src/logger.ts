import pino, { Logger, LoggerOptions } from 'pino';

/**
 * Paths that must never reach a log line. pino's redaction is applied on top of the rule
 * that code never logs secrets in the first place: it is the seat belt, not the driver.
 */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'new_password',
  '*.new_password',
  'current_password',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'ha1',
  '*.ha1',
  'ha1_md5',
  '*.ha1_md5',
  'ha1_sha256',
  '*.ha1_sha256',
  'privateKey',
  '*.privateKey',
  'generated_password',
  '*.generated_password',
  'admin_password',
  '*.admin_password',
  'sip_password',
  '*.sip_password',
  'auth_password',
  '*.auth_password',
  // TypeORM's QueryFailedError carries the statement's parameters: hashes, HA1s, ciphertexts.
  'err.parameters',
  'err.driverError.parameters',
  'err.query',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'headers.authorization',
  'headers["proxy-authorization"]',
];

export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info', extra: LoggerOptions = {}): Logger {
  return pino({
    name,
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { app: name, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...extra,
  });
}

export type { Logger };
