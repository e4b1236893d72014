import { ArgumentsHost, Catch, ExceptionFilter, ForbiddenException, Inject } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { requestMeta } from '../auth/guards/auth.decorators';
import type { Principal } from '../auth/principal';
import { ApiExceptionFilter } from '../http/exception.filter';
import { APP_LOGGER } from '../logging';
import { AuditService } from './audit.service';

/** A 403 whose denial the service has already audited with its own reason; the filter won't audit it twice. */
export class AuditedForbiddenException extends ForbiddenException {}

/**
 * Audits 403s raised by the permission guard, which runs before any controller code could.
 * The response goes out first, with the global filter's body; the audit write follows, so a slow
 * audit store never delays the answer. A failed write is already logged by AuditService.
 */
@Catch(ForbiddenException)
export class DeniedAccessFilter implements ExceptionFilter {
  private readonly delegate: ApiExceptionFilter;

  constructor(
    private readonly audit: AuditService,
    @Inject(APP_LOGGER) logger: Logger,
  ) {
    this.delegate = new ApiExceptionFilter(logger);
  }

  catch(exception: ForbiddenException, host: ArgumentsHost): void {
    this.delegate.catch(exception, host);
    if (exception instanceof AuditedForbiddenException) return;
    const req = host.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>();
    const principal = req.user;
    if (!principal) return;
    const params = (req.params ?? {}) as Record<string, unknown>;
    const targetId = typeof params.id === 'string' ? params.id.slice(0, 64) : null;
    void this.audit
      .record({
        action: 'access.denied',
        result: 'denied',
        tenantId: principal.tenantId,
        actor: principal,
        target: targetId ? { type: 'route', id: targetId } : null,
        meta: requestMeta(req),
        details: { method: req.method, route: req.routeOptions.url ?? null, reason: 'missing_permission' },
      })
      .catch(() => undefined);
  }
}
