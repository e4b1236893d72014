import { buildChallenges, digestAlgorithmOf, parseDigestCredentials } from './digest-header';
import { NonceCodec } from './nonce';

describe('parseDigestCredentials', () => {
  const header =
    'Digest username="1001", realm="acme.pbx", nonce="abc", uri="sip:acme.pbx", response="0123", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="x,y"';

  it('reads every parameter, quoted or not, commas inside quotes included', () => {
    expect(parseDigestCredentials(header)).toEqual({
      username: '1001',
      realm: 'acme.pbx',
      nonce: 'abc',
      uri: 'sip:acme.pbx',
      response: '0123',
      algorithm: 'SHA-256',
      qop: 'auth',
      nc: '00000001',
      cnonce: 'x,y',
      opaque: undefined,
    });
  });

  it('defaults the algorithm to MD5 (RFC 7616 §3.4)', () => {
    expect(parseDigestCredentials('Digest username="a", realm="r", nonce="n", uri="sip:r", response="x"')?.algorithm).toBe('MD5');
  });

  it.each([
    ['another scheme', 'Basic YWxhZGRpbjpvcGVuc2VzYW1l'],
    ['a missing response', 'Digest username="a", realm="r", nonce="n", uri="sip:r"'],
    ['a repeated parameter', 'Digest username="a", username="b", realm="r", nonce="n", uri="sip:r", response="x"'],
    ['garbage between parameters', 'Digest username="a" realm="r", nonce="n", uri="sip:r", response="x"'],
    ['an oversized header', `Digest username="${'a'.repeat(3000)}", realm="r", nonce="n", uri="sip:r", response="x"`],
  ])('refuses %s', (_what, h) => {
    expect(parseDigestCredentials(h)).toBeNull();
  });
});

describe('buildChallenges', () => {
  it('offers one challenge per algorithm, in order, with qop=auth and stale when asked', () => {
    expect(buildChallenges('acme"pbx', 'N', ['SHA-256', 'MD5'], true)).toEqual([
      'Digest realm="acmepbx", nonce="N", algorithm=SHA-256, qop="auth", stale=true',
      'Digest realm="acmepbx", nonce="N", algorithm=MD5, qop="auth", stale=true',
    ]);
  });

  it('knows the algorithms it supports, in any case', () => {
    expect([digestAlgorithmOf('sha-256'), digestAlgorithmOf('md5'), digestAlgorithmOf('SHA-512-256')]).toEqual(['SHA-256', 'MD5', null]);
  });
});

describe('NonceCodec', () => {
  const codec = new NonceCodec('shared-secret-of-the-edge', 60_000);
  const now = 1_700_000_000_000;

  it('accepts its own nonce from the same address and realm until it expires, then says stale', () => {
    const n = codec.issue('198.51.100.7', 'acme', now);
    expect(codec.check(n, '198.51.100.7', 'acme', now + 59_000)).toEqual({ state: 'valid', expiresAt: now + 60_000 });
    expect(codec.check(n, '198.51.100.7', 'acme', now + 60_000).state).toBe('stale');
  });

  it('refuses it from another address, for another realm, under another key, or altered', () => {
    const n = codec.issue('198.51.100.7', 'acme', now);
    expect(codec.check(n, '198.51.100.8', 'acme', now).state).toBe('invalid');
    expect(codec.check(n, '198.51.100.7', 'other', now).state).toBe('invalid');
    expect(new NonceCodec('another-secret-entirely', 60_000).check(n, '198.51.100.7', 'acme', now).state).toBe('invalid');
    const flipped = `${n.slice(0, 5)}${n[5] === 'A' ? 'B' : 'A'}${n.slice(6)}`;
    expect(codec.check(flipped, '198.51.100.7', 'acme', now).state).toBe('invalid');
    expect(codec.check('short', '198.51.100.7', 'acme', now).state).toBe('invalid');
  });

  it('issues a different nonce every time', () => {
    expect(codec.issue('198.51.100.7', 'acme', now)).not.toBe(codec.issue('198.51.100.7', 'acme', now));
  });
});
