import { createHmac, hkdfSync, randomFillSync, timingSafeEqual } from 'node:crypto';

export type NonceState = 'valid' | 'stale' | 'invalid';

export interface NonceCheck {
  state: NonceState;
  /** When a valid or stale nonce stops being valid (ms since the epoch). */
  expiresAt?: number;
}

const VERSION = 1;
const MAC_BYTES = 16;

/**
 * Random bytes drawn from the CSPRNG 4 KiB at a time (as Node does for randomUUID): one call into
 * OpenSSL per 512 nonces instead of one per 401 answer.
 */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;
function copyRandom(target: Buffer, at: number, n: number): void {
  if (poolOffset + n > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  pool.copy(target, at, poolOffset, poolOffset + n);
  poolOffset += n;
}

/**
 * Stateless digest nonces (RFC 7616 §3.3 suggests exactly this): version, expiry and 8 random bytes,
 * HMAC-signed together with the client's source address and the realm. Any app instance holding the
 * key verifies any nonce, so several instances can sit behind one edge; a nonce captured on one
 * address is worthless from another, and it dies at its expiry. Replay within its life is stopped by
 * the nc tracking (see NcStore), not here.
 */
export class NonceCodec {
  private readonly key: Buffer;

  constructor(
    secret: string,
    private readonly lifetimeMs: number,
  ) {
    // A key of its own, derived from the shared secret, so the secret itself never signs anything here.
    this.key = Buffer.from(hkdfSync('sha256', secret, 'pbx-sip', 'digest-nonce-v1', 32));
  }

  issue(sourceIp: string, realm: string, now = Date.now()): string {
    const body = Buffer.alloc(15);
    body.writeUInt8(VERSION, 0);
    body.writeUIntBE(now + this.lifetimeMs, 1, 6);
    copyRandom(body, 7, 8);
    return Buffer.concat([body, this.mac(body, sourceIp, realm)]).toString('base64url');
  }

  check(nonce: string, sourceIp: string, realm: string, now = Date.now()): NonceCheck {
    if (nonce.length !== 42) return { state: 'invalid' };
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== 15 + MAC_BYTES || raw.readUInt8(0) !== VERSION) return { state: 'invalid' };
    const body = raw.subarray(0, 15);
    if (!timingSafeEqual(raw.subarray(15), this.mac(body, sourceIp, realm))) return { state: 'invalid' };
    const expiresAt = body.readUIntBE(1, 6);
    return { state: now < expiresAt ? 'valid' : 'stale', expiresAt };
  }

  private mac(body: Buffer, sourceIp: string, realm: string): Buffer {
    return createHmac('sha256', this.key)
      .update(body)
      .update(`\n${sourceIp}\n${realm}`)
      .digest()
      .subarray(0, MAC_BYTES);
  }
}
