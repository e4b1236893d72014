import { BurstEndGc } from './burst-end-gc';

describe('BurstEndGc', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('collects once when a large burst of transactions is over, not during it or for small ones', () => {
    let live = 0;
    const gc = jest.fn();
    const burst = new BurstEndGc({ live: () => live, gc, minPeak: 1000, intervalMs: 1000 }).start();
    for (live of [500, 20, 0]) jest.advanceTimersByTime(1000);
    expect(gc).not.toHaveBeenCalled();
    for (live of [5000, 290_000, 200_000, 3000]) jest.advanceTimersByTime(1000);
    expect(gc).not.toHaveBeenCalled();
    live = 100;
    jest.advanceTimersByTime(1000);
    expect(gc).toHaveBeenCalledTimes(1);
    expect(gc).toHaveBeenCalledWith({ type: 'major', execution: 'async' });
    for (live of [50, 0, 0]) jest.advanceTimersByTime(1000);
    expect(gc).toHaveBeenCalledTimes(1);
    for (live of [40_000, 0]) jest.advanceTimersByTime(1000);
    expect(gc).toHaveBeenCalledTimes(2);
    burst.stop();
  });

  it('does nothing without an exposed gc', () => {
    const burst = new BurstEndGc({ live: () => 0 }).start();
    jest.advanceTimersByTime(60_000);
    expect(burst.collections).toBe(0);
    burst.stop();
  });
});
