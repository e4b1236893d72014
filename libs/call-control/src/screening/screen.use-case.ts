import type { Enforcer, LocationStore } from '../register/register.ports';
import { scannerSignature, type RequestFingerprint } from './scanner';

export interface ScreenCommand extends RequestFingerprint {
  sourceIp: string;
  now: number;
}

export type ScreenResult =
  | { kind: 'pass' }
  | { kind: 'scanner'; signature: string; banned: boolean; why: string };

/**
 * First stop of every request: a known scanner is banned on its first packet (its later packets die
 * at the edge's drop list), unless its address is one of our own sites, which keep their phones.
 */
export class ScreenRequestUseCase {
  constructor(
    private readonly locations: Pick<LocationStore, 'ipHasLiveRegistration'>,
    private readonly enforcer: Pick<Enforcer, 'banIp'>,
  ) {}

  async execute(cmd: ScreenCommand): Promise<ScreenResult> {
    const signature = scannerSignature(cmd);
    if (!signature) return { kind: 'pass' };
    if (await this.locations.ipHasLiveRegistration(cmd.sourceIp, cmd.now))
      return { kind: 'scanner', signature, banned: false, why: 'scanner from an address holding live registrations: refused, not banned' };
    const ban = await this.enforcer.banIp(cmd.sourceIp, 'scanner', `SIP scanner (${signature})`, cmd.now);
    return {
      kind: 'scanner',
      signature,
      banned: ban !== null,
      why: ban ? `scanner banned until ${ban.expiresAt.toISOString()}` : 'scanner refused; address not bannable',
    };
  }

  /**
   * A source reported flooding (by the edge, or by the app's own guard under drachtio-server): banned
   * everywhere like a scanner, unless it holds live registrations (a busy office, or a phone in a loop),
   * which only gets dropped for as long as it floods.
   */
  async flooded(ip: string, count: number, now: number): Promise<{ banned: boolean; why: string }> {
    if (await this.locations.ipHasLiveRegistration(ip, now))
      return { banned: false, why: 'flooding source holds live registrations: dropped while it floods, not banned' };
    const ban = await this.enforcer.banIp(ip, 'scanner', `request flood (${count} requests in one sampling unit)`, now);
    return { banned: ban !== null, why: ban ? `flooding source banned until ${ban.expiresAt.toISOString()}` : 'address not bannable' };
  }
}
