import type { AppConnection } from './app-connection';
import { AppRouter } from './app-router';

const conn = (id: number) => ({ id }) as unknown as AppConnection;

describe('AppRouter', () => {
  it('round-robins per verb over the connections that routed it, case-insensitively [T13]', () => {
    const r = new AppRouter();
    const [a, b] = [conn(1), conn(2)];
    r.add(a, 'options');
    r.add(b, 'options');
    r.add(a, 'invite');
    expect([r.select('OPTIONS'), r.select('OPTIONS'), r.select('OPTIONS')]).toEqual([a, b, a]);
    expect(r.select('INVITE')).toBe(a);
    expect(r.select('register')).toBeUndefined();
  });

  it('remove drops every route of the connection (drachtio remove_route) [T13]', () => {
    const r = new AppRouter();
    const [a, b] = [conn(1), conn(2)];
    r.add(a, 'options');
    r.add(a, 'invite');
    r.add(b, 'options');
    r.removeConnection(a);
    expect(r.select('invite')).toBeUndefined();
    expect(r.select('options')).toBe(b);
  });

  it('passes over a connection the caller does not accept (overloaded app)', () => {
    const r = new AppRouter();
    const [a, b] = [conn(1), conn(2)];
    r.add(a, 'register');
    r.add(b, 'register');
    expect(r.select('register', (c) => c !== a)).toBe(b);
    expect(r.select('register', (c) => c !== a)).toBe(b);
    expect(r.select('register', () => false)).toBeUndefined();
  });
});
