import { createHash } from 'node:crypto';
import { computeDigestResponse, computeHa1, verifyDigestResponse } from './sip-digest';

// RFC 7616 §3.9.1: the same request answered once with SHA-256 and once with MD5.
const RFC = {
  username: 'Mufasa',
  realm: 'http-auth@example.org',
  password: 'Circle of Life',
  method: 'GET',
  uri: '/dir/index.html',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  nc: '00000001',
};

describe('sip digest', () => {
  it('computes HA1 as H(username:realm:password) for both algorithms', () => {
    const a1 = 'Mufasa:http-auth@example.org:Circle of Life';
    expect(computeHa1('MD5', RFC.username, RFC.realm, RFC.password)).toBe(
      createHash('md5').update(a1).digest('hex'),
    );
    expect(computeHa1('SHA-256', RFC.username, RFC.realm, RFC.password)).toBe(
      createHash('sha256').update(a1).digest('hex'),
    );
    expect(computeHa1('MD5', 'a', 'r', 'p')).toMatch(/^[0-9a-f]{32}$/);
    expect(computeHa1('SHA-256', 'a', 'r', 'p')).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
    ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
  ] as const)('matches the RFC 7616 §3.9.1 %s example with qop=auth', (algorithm, expected) => {
    const ha1 = computeHa1(algorithm, RFC.username, RFC.realm, RFC.password);
    const input = {
      algorithm,
      ha1,
      method: RFC.method,
      uri: RFC.uri,
      nonce: RFC.nonce,
      qop: 'auth' as const,
      nc: RFC.nc,
      cnonce: RFC.cnonce,
    };
    expect(computeDigestResponse(input)).toBe(expected);
    expect(verifyDigestResponse(input, expected.toUpperCase())).toBe(true);
    expect(
      verifyDigestResponse(
        input,
        expected.replace(/.$/, (c) => (c === '0' ? '1' : '0')),
      ),
    ).toBe(false);
    expect(verifyDigestResponse({ ...input, nc: '00000002' }, expected)).toBe(false);
  });

  it('computes the RFC 2069 form without qop, and refuses qop=auth without nc or cnonce', () => {
    const ha1 = computeHa1('MD5', 'bob', 'pbx', 'secret');
    const ha2 = createHash('md5').update('REGISTER:sip:pbx').digest('hex');
    expect(
      computeDigestResponse({ algorithm: 'MD5', ha1, method: 'REGISTER', uri: 'sip:pbx', nonce: 'n' }),
    ).toBe(createHash('md5').update(`${ha1}:n:${ha2}`).digest('hex'));
    expect(() =>
      computeDigestResponse({
        algorithm: 'MD5',
        ha1,
        method: 'REGISTER',
        uri: 'sip:pbx',
        nonce: 'n',
        qop: 'auth',
      }),
    ).toThrow();
  });
});
