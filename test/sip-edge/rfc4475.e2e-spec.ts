import {
  buildErrorResponse,
  parseMessage,
  parseNameAddr,
  parseVia,
  SipParseError,
  type SipMessage,
} from '../../apps/sip-edge/src/sip/message';
import { TransportManager } from '../../apps/sip-edge/src/transport/transport';
import type { InvalidCase } from './fixtures/rfc4475-case';
import { INVALID_FIELDS } from './fixtures/rfc4475-invalid-fields.fixtures';
import { INVALID_START } from './fixtures/rfc4475-invalid.fixtures';
import { APPLICATION } from './fixtures/rfc4475-application.fixtures';
import { SEMANTIC } from './fixtures/rfc4475-semantic.fixtures';
import { VALID_MORE } from './fixtures/rfc4475-valid-more.fixtures';
import { VALID as VALID_SYNTAX } from './fixtures/rfc4475-valid.fixtures';
import { UdpClient, waitFor } from './fixtures/transport-helpers';

const VALID = [...VALID_SYNTAX, ...VALID_MORE];
const ALL_OTHERS: InvalidCase[] = [...INVALID_START, ...INVALID_FIELDS, ...SEMANTIC, ...APPLICATION];

function parseOrError(buf: Buffer): SipMessage | SipParseError {
  try {
    return parseMessage(buf);
  } catch (err) {
    if (err instanceof SipParseError) return err;
    throw err;
  }
}

function byName(name: string): SipMessage {
  const c = VALID.find((v) => v.name === name);
  if (!c) throw new Error(`no fixture ${name}`);
  return parseMessage(c.message);
}

describe('RFC 4475 §3.1.1 valid messages', () => {
  it.each(VALID.map((c) => [c.name, c.section, c] as const))('%s (%s) parses', (_name, _section, c) => {
    const result = parseOrError(c.message);
    expect(result).not.toBeInstanceOf(SipParseError);
  });

  it('wsinv: folded, odd-cased and compact headers read correctly', () => {
    const m = byName('wsinv');
    expect(m.headers.getAll('via')).toHaveLength(3);
    expect(parseVia(m.headers.get('via') ?? '')).toMatchObject({
      transport: 'UDP',
      host: '192.0.2.2',
      branch: '390skdjuw',
    });
    expect(parseVia(m.headers.getAll('via')[2])).toMatchObject({
      transport: 'UDP',
      host: '192.168.255.111',
      branch: 'z9hG4bK30239',
    });
    expect(parseNameAddr(m.headers.get('to') ?? '')?.tag).toBe('1918181833n');
    expect(parseNameAddr(m.headers.get('from') ?? '')).toMatchObject({
      displayName: 'J Rosenberg \\"',
      tag: '98asjd8',
    });
    expect(m.headers.get('cseq')).toBe('0009 INVITE');
    expect(m.headers.get('subject')).toBe('');
    expect(m.body.length).toBe(150);
  });

  it('intmeth: every token character in method, headers and parameters', () => {
    const m = byName('intmeth');
    expect(m.kind === 'request' && m.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    expect(parseNameAddr(m.headers.get('from') ?? '')?.tag).toBe("_token~1'+`*%!-.");
    expect(m.headers.get("extensionHeader-!.%*+_`'~")).toBe('\ufeff大停電');
  });

  it('longreq: 34 Via lines under every spelling of Via', () => {
    const m = byName('longreq');
    expect(m.headers.getAll('via')).toHaveLength(34);
    expect(m.body.length).toBe(150);
  });

  it('dblreq: the trailing second request in the datagram is ignored', () => {
    const m = byName('dblreq');
    expect(m.kind === 'request' && m.method).toBe('REGISTER');
    expect(m.body.length).toBe(0);
  });

  it('mpart01, unreason, noreason: binary body and unusual reason phrases', () => {
    expect(byName('mpart01').body.includes(Buffer.from('--7a9cbec02ceef655--'))).toBe(true);
    const unreason = byName('unreason');
    expect(unreason.kind === 'response' && unreason.reason).toBe(
      '= 2**3 * 5**2 но сто девяносто девять - простое',
    );
    const noreason = byName('noreason');
    expect(noreason.kind === 'response' && [noreason.status, noreason.reason]).toEqual([100, '']);
  });
});

describe('RFC 4475 §3.1.2, §3.2-§3.4 invalid and semantic messages', () => {
  it.each(ALL_OTHERS.map((c) => [c.name, c.outcome, c.status ?? '', c] as const))(
    '%s: %s %s',
    (_name, _outcome, _status, c) => {
      const result = parseOrError(c.message);
      if (c.outcome === 'parse') {
        expect(result).not.toBeInstanceOf(SipParseError);
        return;
      }
      expect(result).toBeInstanceOf(SipParseError);
      const err = result as SipParseError;
      expect(err.status).toBe(c.status);
      const isResponse = c.message.subarray(0, 4).toString() === 'SIP/';
      const answer = buildErrorResponse(err);
      if (isResponse) expect(answer).toBeUndefined();
      else expect(answer?.status).toBe(c.status);
    },
  );
});

describe('RFC 4475 over a real UDP transport', () => {
  let edge: TransportManager;
  const seen: SipMessage[] = [];

  beforeAll(async () => {
    edge = await TransportManager.start({ contacts: ['sip:127.0.0.1:0;transport=udp'] });
    edge.on('message', (m) => seen.push(m.msg));
  });

  afterAll(async () => {
    await edge.close();
  });

  it('emits every acceptable message, answers rejected requests and drops rejected responses', async () => {
    const client = await UdpClient.open();
    const port = edge.listening()[0].port;
    const accepted = [...VALID, ...ALL_OTHERS.filter((c) => c.outcome === 'parse')];
    const rejected = ALL_OTHERS.filter((c) => c.outcome === 'reject');
    const answered = rejected.filter((c) => c.message.subarray(0, 4).toString() !== 'SIP/');
    for (const c of [...accepted, ...rejected]) client.send(c.message, port);
    await waitFor(
      () => seen.length === accepted.length && client.messages.length === answered.length,
      5000,
      'all torture messages',
    );
    // Read the status line only: a 400 copies the request's Via, which may be the malformed part.
    const statuses = client.messages.map((m) => Number(m.toString('latin1', 8, 11)));
    expect(statuses.sort()).toEqual(answered.map((c) => c.status).sort());
    expect(edge.stats().parseErrors).toBe(rejected.length);
    client.close();
  });
});
