import { AuditChainContent, canonicalJson, chainHash, contentWithDigest, GENESIS_HASH, personalDigest } from './audit-chain';

const content: AuditChainContent = {
  chain: 'platform',
  tenantId: null,
  actorUserId: null,
  actorEmail: 'a@example.com',
  action: 'auth.login',
  targetType: null,
  targetId: null,
  ip: '127.0.0.1',
  userAgent: 'jest',
  result: 'success',
  metadata: { b: 1, a: { d: [1, 2], c: 'x' } },
  createdAt: '2026-01-01T00:00:00.000Z',
};

describe('audit chain', () => {
  it('serialises keys in a stable order at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
  });

  it('changes the hash when any field, the previous hash or the key changes', () => {
    const h = chainHash('k'.repeat(32), GENESIS_HASH, content);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(chainHash('k'.repeat(32), GENESIS_HASH, { ...content })).toBe(h);
    expect(chainHash('k'.repeat(32), GENESIS_HASH, { ...content, result: 'failure' })).not.toBe(h);
    expect(chainHash('k'.repeat(32), GENESIS_HASH, { ...content, metadata: { b: 2 } })).not.toBe(h);
    expect(chainHash('k'.repeat(32), 'f'.repeat(64), content)).not.toBe(h);
    expect(chainHash('j'.repeat(32), GENESIS_HASH, content)).not.toBe(h);
  });

  it('hashes a digest of the personal fields instead of the fields, so erasing them keeps the hash', () => {
    const key = 'k'.repeat(32);
    const digest = personalDigest(key, { actorEmail: content.actorEmail, ip: content.ip, userAgent: content.userAgent });
    expect(personalDigest(key, { actorEmail: 'b@example.com', ip: content.ip, userAgent: content.userAgent })).not.toBe(digest);
    const h = chainHash(key, GENESIS_HASH, contentWithDigest(content, digest));
    const erased = { ...content, actorEmail: null, ip: null, userAgent: null };
    expect(chainHash(key, GENESIS_HASH, contentWithDigest(erased, digest))).toBe(h);
    expect(chainHash(key, GENESIS_HASH, contentWithDigest(content, 'f'.repeat(64)))).not.toBe(h);
    expect(h).not.toBe(chainHash(key, GENESIS_HASH, content));
  });
});
