import { Registry } from 'prom-client';
import { EdgeMetrics } from './edge-metrics';

describe('EdgeMetrics', () => {
  it('counts bumped on the hot path show up, per label, when scraped', async () => {
    const registry = new Registry();
    const m = new EdgeMetrics(registry);
    m.sipReceived.inc({ kind: 'request' });
    m.sipReceived.inc({ kind: 'request' });
    m.sipReceived.inc({ kind: 'response' });
    m.sipSent.inc();
    m.drops.inc({ reason: 'overload' }, 5);
    let text = await registry.metrics();
    expect(text).toContain('sip_edge_messages_received_total{kind="request"} 2');
    expect(text).toContain('sip_edge_messages_received_total{kind="response"} 1');
    expect(text).toContain('sip_edge_messages_sent_total 1');
    expect(text).toContain('sip_edge_dropped_total{reason="overload"} 5');
    m.sipReceived.inc({ kind: 'request' });
    m.sipSent.inc();
    text = await registry.metrics();
    expect(text).toContain('sip_edge_messages_received_total{kind="request"} 3');
    expect(text).toContain('sip_edge_messages_sent_total 2');
  });
});
