import { Writable } from 'node:stream';
import pino from 'pino';
import { REDACTED_PATHS } from './logger';

function capture(obj: object): string {
  let out = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  pino({ redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink).error(obj, 'x');
  return out;
}

describe('logger redaction', () => {
  it('never writes passwords, tokens, HA1s or query parameters', () => {
    const err = Object.assign(new Error('duplicate key'), { parameters: ['$2b$12$hash', 'a'.repeat(32)], query: 'INSERT …' });
    const line = capture({
      password: 'hunter2',
      body: { refresh_token: 'rt_secret', sip_password: 'sippw' },
      ha1_md5: 'deadbeef',
      req: { headers: { authorization: 'Bearer abc.def.ghi' } },
      err,
    });
    for (const secret of ['hunter2', 'rt_secret', 'sippw', 'deadbeef', 'abc.def.ghi', '$2b$12$hash', 'INSERT']) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('duplicate key');
  });
});
