import { Injectable } from '@nestjs/common';
import type Srf from 'drachtio-srf';
import { ErrorMiddleware } from './middleware/error.middleware';
import { InviteMiddleware } from './middleware/invite.middleware';
import { OptionsMiddleware } from './middleware/options.middleware';
import { RegisterMiddleware } from './middleware/register.middleware';
import { ScreeningMiddleware } from './middleware/screening.middleware';

type Handler = (req: Srf.SrfRequest, res: Srf.SrfResponse, next: (err?: unknown) => void) => void;
type ErrorHandler = ErrorMiddleware['handle'];

/** Every request's path through the app, in one place: the chain per SIP method. */
@Injectable()
export class SipRouter {
  constructor(
    private readonly screening: ScreeningMiddleware,
    private readonly register: RegisterMiddleware,
    private readonly invite: InviteMiddleware,
    private readonly options: OptionsMiddleware,
    private readonly errors: ErrorMiddleware,
  ) {}

  install(srf: Srf): void {
    // drachtio-srf's typings only declare the method-scoped form of use().
    const app = srf as unknown as { use(fn: Handler | ErrorHandler): void; use(method: string, fn: Handler): void };
    app.use(this.screening.handle);
    app.use('register', this.register.handle);
    app.use('invite', this.invite.handle);
    app.use('options', this.options.handle);
    app.use(this.errors.handle);
  }
}
