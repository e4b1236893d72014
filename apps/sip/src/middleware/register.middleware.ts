import { Inject, Injectable } from '@nestjs/common';
import { RegisterUseCase } from '@pbx/call-control';
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import { toRegisterCommand } from '../registrar/request-facts';
import { SipMetrics } from '../registrar/sip-metrics';
import { SIP_LOGGER } from '../sip.tokens';
import { sendReply } from './send-reply';

const FAILURES = new Set(['refused', 'failed', 'replayed']);

/** REGISTER: request → command → registrar use case → answer, a metric and a log line saying why. */
@Injectable()
export class RegisterMiddleware {
  constructor(
    private readonly registrar: RegisterUseCase,
    private readonly metrics: SipMetrics,
    @Inject(SIP_LOGGER) private readonly logger: Logger,
  ) {}

  readonly handle = (req: Srf.SrfRequest, res: Srf.SrfResponse, next: (err?: unknown) => void): void => {
    this.run(req, res).catch(next);
  };

  private async run(req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const cmd = toRegisterCommand(req);
    const r = await this.registrar.execute(cmd);
    sendReply(res, r);
    this.metrics.registerSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    this.metrics.registers.inc({ outcome: r.outcome, transport: cmd.transport });
    if (FAILURES.has(r.outcome)) this.metrics.authFailures.inc({ reason: r.outcome });
    if (r.why.includes('banned until')) this.metrics.bans.inc({ source: 'brute_force' });
    const refused = r.status >= 400 && r.status !== 401;
    // Built only when logged: the success path logs at debug, off at the default level.
    if (!refused && !this.logger.isLevelEnabled('debug')) return;
    const fields = {
      callId: cmd.callId,
      status: r.status,
      outcome: r.outcome,
      why: r.why,
      sourceIp: cmd.sourceIp,
      transport: cmd.transport,
      tenantId: r.tenantId,
      deviceId: r.deviceId,
    };
    if (refused) this.logger.info(fields, 'REGISTER refused');
    else this.logger.debug(fields, 'REGISTER answered');
  }
}
