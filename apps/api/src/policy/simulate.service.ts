import { Injectable } from '@nestjs/common';
import type { Evaluation } from '@pbx/call-control';
import { PolicyRepository } from '@pbx/database';
import { PolicyCompileError, type PolicyCounters } from '@pbx/policy';
import type { Principal } from '../auth/principal';
import { FieldErrors, unprocessable } from '../http/validation';
import type { CounterOverridesDto, SimulateDto } from './dto/simulate.dto';
import { PolicyRuntime } from './policy-runtime.service';

const SIMPLE_COUNTERS = {
  device_active_calls: 'deviceActiveCalls',
  tenant_active_calls: 'tenantActiveCalls',
  device_calls_last_minute: 'deviceCallsLastMinute',
  device_calls_last_hour: 'deviceCallsLastHour',
  tenant_calls_last_minute: 'tenantCallsLastMinute',
  tenant_calls_last_hour: 'tenantCallsLastHour',
  spend_today: 'spendToday',
  spend_this_month: 'spendThisMonth',
} as const satisfies Partial<Record<keyof CounterOverridesDto, keyof PolicyCounters>>;

function toOverrides(dto: CounterOverridesDto | undefined): Partial<PolicyCounters> {
  if (!dto) return {};
  const out: Record<string, unknown> = {};
  for (const [field, prop] of Object.entries(SIMPLE_COUNTERS)) {
    const value = dto[field as keyof typeof SIMPLE_COUNTERS];
    if (value !== undefined) out[prop] = value;
  }
  const errors: FieldErrors = {};
  if (dto.device_country_calls !== undefined) {
    const countries: Record<string, number> = {};
    for (const [country, calls] of Object.entries(dto.device_country_calls)) {
      if (!/^[A-Za-z]{2}$/.test(country) || !Number.isInteger(calls) || calls < 0) {
        errors['counters.device_country_calls'] = ['Each entry must map an ISO alpha-2 code to a non-negative integer.'];
      }
      countries[country.toUpperCase()] = calls;
    }
    out.deviceCountryCalls = countries;
  }
  if (dto.recent_short_inbound !== undefined) {
    out.recentShortInbound = dto.recent_short_inbound.map((e) => ({ number: e.number, at: Date.parse(e.at) }));
  }
  if (Object.keys(errors).length) throw unprocessable(errors);
  return out as Partial<PolicyCounters>;
}

/** Runs the SIP app's own authorise use case dry: the same decision a call gets, explained, with no side effects. */
@Injectable()
export class SimulateService {
  constructor(
    private readonly policies: PolicyRepository,
    private readonly runtime: PolicyRuntime,
  ) {}

  async simulate(p: Principal, dto: SimulateDto): Promise<Evaluation> {
    const counterOverrides = toOverrides(dto.counters);
    if (!(await this.policies.findDevice(p.tenantId, dto.device_id))) {
      throw unprocessable({ device_id: ['The selected device_id is invalid.'] });
    }
    const timestamp = dto.time === undefined ? Date.now() : Date.parse(dto.time);
    return this.runtime.authorise
      .execute({
        tenantId: p.tenantId,
        deviceId: dto.device_id,
        dialed: dto.destination,
        sourceIp: dto.source_ip,
        timestamp,
        callId: 'simulation',
        mode: 'dry-run',
        explain: true,
        counterOverrides,
      })
      .catch((err: unknown) => {
        // Stored rows the engine refuses (the SIP app would refuse them too) are the admin's to fix.
        throw err instanceof PolicyCompileError ? unprocessable({ policy: [...err.problems] }) : err;
      });
  }
}
