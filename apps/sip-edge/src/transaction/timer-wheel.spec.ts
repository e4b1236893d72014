import { TimerWheel } from './timer-wheel';

describe('TimerWheel', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('fires in scheduling order at the tick, across rotations, and forgets cancelled entries at once', () => {
    const wheel = new TimerWheel(10, 8);
    const fired: string[] = [];
    wheel.schedule(25, () => fired.push('a'));
    wheel.schedule(25, () => fired.push('b'));
    const c = wheel.schedule(25, () => fired.push('c'));
    wheel.schedule(1000, () => fired.push('late')); // 100 ticks: twelve rotations of 8 slots and then some
    c.cancel();
    c.cancel();
    expect(wheel.size).toBe(3);
    jest.advanceTimersByTime(30);
    expect(fired).toEqual(['a', 'b']);
    jest.advanceTimersByTime(960);
    expect(fired).toEqual(['a', 'b']);
    jest.advanceTimersByTime(20);
    expect(fired).toEqual(['a', 'b', 'late']);
    expect(wheel.size).toBe(0);
    wheel.stop();
  });

  it('runs a timer scheduled from a callback into the same slot one rotation later, and skips one cancelled by a callback', () => {
    const wheel = new TimerWheel(10, 4);
    const fired: string[] = [];
    const victim = { cancel: () => undefined as void };
    wheel.schedule(10, () => {
      fired.push('first');
      victim.cancel();
      wheel.schedule(40, () => fired.push('again'));
    });
    const v = wheel.schedule(10, () => fired.push('victim'));
    victim.cancel = () => v.cancel();
    jest.advanceTimersByTime(10);
    expect(fired).toEqual(['first']);
    expect(wheel.size).toBe(1);
    jest.advanceTimersByTime(30);
    expect(fired).toEqual(['first']);
    jest.advanceTimersByTime(10);
    expect(fired).toEqual(['first', 'again']);
    wheel.stop();
  });

  it('keeps going when a callback throws', () => {
    const errors: unknown[] = [];
    const wheel = new TimerWheel(10, 4, (err) => errors.push(err));
    const fired: string[] = [];
    wheel.schedule(10, () => {
      throw new Error('boom');
    });
    wheel.schedule(10, () => fired.push('after'));
    jest.advanceTimersByTime(10);
    expect(errors).toHaveLength(1);
    expect(fired).toEqual(['after']);
    wheel.stop();
  });
});
