import { Inject, Injectable } from '@nestjs/common';
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import { SIP_LOGGER } from '../sip.tokens';

/** Last in the chain: a middleware that throws gets a logged 500, never a hung transaction. */
@Injectable()
export class ErrorMiddleware {
  constructor(@Inject(SIP_LOGGER) private readonly logger: Logger) {}

  // Four parameters: that is how the drachtio-srf (connect-style) chain recognises an error handler.
  readonly handle = (err: unknown, req: Srf.SrfRequest, res: Srf.SrfResponse, _next: unknown): void => {
    this.logger.error({ err, callId: req.get('Call-ID'), method: req.method }, 'SIP request handler failed');
    if (!res.finalResponseSent) res.send(500);
  };
}
