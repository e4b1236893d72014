import { networkInterfaces } from 'node:os';
import { createLogger } from '@pbx/common';
import { DEFAULT_TIMERS } from '../transaction/sip-timers';
import type { ListeningInfo } from '../transport/transport';
import { EdgeContext } from './edge-context';
import { EdgeMetrics } from './edge-metrics';

function contextListeningOn(listening: Array<Pick<ListeningInfo, 'proto' | 'address' | 'port'>>, externalIp?: string): EdgeContext {
  return new EdgeContext({
    transport: { send: () => Promise.resolve(), listening: () => listening as ListeningInfo[] },
    logger: createLogger('edge-context-spec', 'silent'),
    metrics: new EdgeMetrics(),
    timers: DEFAULT_TIMERS,
    maxTransactions: 10,
    externalIp,
  });
}

describe('EdgeContext.isSelf', () => {
  it('a wildcard bind is this host’s interface addresses on that port, not any host on that port', () => {
    const ctx = contextListeningOn([{ proto: 'udp', address: '0.0.0.0', port: 5060 }]);
    try {
      const v4 = Object.values(networkInterfaces())
        .flatMap((l) => l ?? [])
        .filter((ni) => ni.family === 'IPv4')
        .map((ni) => ni.address);
      expect(v4).toContain('127.0.0.1');
      for (const a of v4) expect(ctx.isSelf(a, 5060)).toBe(true);
      expect(ctx.isSelf('198.51.100.7', 5060)).toBe(false);
      expect(ctx.isSelf('victim.example.com', 5060)).toBe(false);
      expect(ctx.isSelf('127.0.0.1', 5070)).toBe(false);
    } finally {
      ctx.tl.close();
    }
  });

  it('a specific bind is its address and the external address, IPv6 in brackets included', () => {
    const ctx = contextListeningOn(
      [
        { proto: 'udp', address: '10.1.2.3', port: 5060 },
        { proto: 'tls', address: '::1', port: 5061 },
      ],
      '203.0.113.9',
    );
    try {
      expect(ctx.isSelf('10.1.2.3', 5060)).toBe(true);
      expect(ctx.isSelf('203.0.113.9', 5060)).toBe(true);
      expect(ctx.isSelf('[::1]', 5061)).toBe(true);
      expect(ctx.isSelf('127.0.0.1', 5060)).toBe(false);
      expect(ctx.isSelf('10.1.2.4', 5060)).toBe(false);
    } finally {
      ctx.tl.close();
    }
  });
});
