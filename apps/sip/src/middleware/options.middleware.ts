import { Injectable } from '@nestjs/common';
import type Srf from 'drachtio-srf';

/** What this app answers today; grows as REGISTER and INVITE handling land. */
export const ALLOWED_METHODS = 'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER';

/** Answers OPTIONS (keep-alive and capability probes, RFC 3261 §11) with 200 and our Allow set. */
@Injectable()
export class OptionsMiddleware {
  readonly handle = (_req: Srf.SrfRequest, res: Srf.SrfResponse): void => {
    res.send(200, { headers: { Allow: ALLOWED_METHODS, Accept: 'application/sdp' } });
  };
}
