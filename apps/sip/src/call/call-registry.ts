import { Injectable } from '@nestjs/common';

/** What the registry can ask of a call in progress. */
export interface ActiveCall {
  readonly callId: string;
  readonly tenantId: string;
  /** Ends the call on both legs (BYE, or CANCEL and a final answer while ringing). */
  end(reason: string): void;
  /** Whether the device is the caller or the phone that answered. */
  involves(deviceId: string): boolean;
  readonly finished: Promise<void>;
}

/** Every call this process carries: what shutdown drains and what an admin hangup finds. */
@Injectable()
export class CallRegistry {
  private readonly calls = new Map<string, ActiveCall>();
  private accepting = true;

  get size(): number {
    return this.calls.size;
  }

  get isAccepting(): boolean {
    return this.accepting;
  }

  add(call: ActiveCall): void {
    this.calls.set(call.callId, call);
    void call.finished.finally(() => this.calls.delete(call.callId));
  }

  find(tenantId: string, callId: string): ActiveCall | undefined {
    const c = this.calls.get(callId);
    return c?.tenantId === tenantId ? c : undefined;
  }

  ofDevice(tenantId: string, deviceId: string): ActiveCall[] {
    return [...this.calls.values()].filter((c) => c.tenantId === tenantId && c.involves(deviceId));
  }

  /**
   * Graceful shutdown: new calls are refused (503), calls in progress get `graceMs` to finish by
   * themselves, then are ended on both legs so none is left billing with nobody watching it.
   */
  async drain(graceMs: number): Promise<number> {
    this.accepting = false;
    const deadline = Date.now() + graceMs;
    while (this.calls.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const left = [...this.calls.values()];
    for (const c of left) c.end('service shutting down');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(left.map((c) => c.finished)),
      new Promise((r) => (timer = setTimeout(r, 5000))),
    ]);
    clearTimeout(timer);
    return left.length;
  }
}
