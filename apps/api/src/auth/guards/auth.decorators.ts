import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Permission } from '@pbx/common';
import type { FastifyRequest } from 'fastify';
import type { Principal, RequestMeta } from '../principal';

export const IS_PUBLIC = 'pbx:public';
export const REQUIRED_PERMISSIONS = 'pbx:permissions';

/** Opens a route to unauthenticated callers. Everything else requires a valid access token. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Requires every listed permission (see libs/common/src/rbac.ts). */
export const RequirePermissions = (...permissions: Permission[]) => SetMetadata(REQUIRED_PERMISSIONS, permissions);

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest<FastifyRequest & { user: Principal }>().user;
});

export function requestMeta(req: FastifyRequest): RequestMeta {
  const ua = req.headers['user-agent'];
  return { ip: req.ip ?? null, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null };
}

export const Meta = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestMeta =>
  requestMeta(ctx.switchToHttp().getRequest<FastifyRequest>()),
);
