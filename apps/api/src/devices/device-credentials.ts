import { computeHa1 } from '@pbx/common';
import type { DeviceDigests } from '@pbx/database';
import { randomBytes } from 'node:crypto';

/** 32 characters of base64url: 192 bits from the CSPRNG, far beyond any online guessing. */
export function generateSipPassword(): string {
  return randomBytes(24).toString('base64url');
}

/** RFC 8760: one HA1 per algorithm, both over the same username, realm and password. */
export function digestsOf(username: string, realm: string, password: string): DeviceDigests {
  return {
    ha1Md5: computeHa1('MD5', username, realm, password),
    ha1Sha256: computeHa1('SHA-256', username, realm, password),
  };
}
