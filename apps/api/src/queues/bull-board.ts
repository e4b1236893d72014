import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createRedis, FRAUD_QUEUES, QUEUES } from '@pbx/common';
import { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { AuditService } from '../audit/audit.service';
import { requestMeta } from '../auth/guards/auth.decorators';
import { JwtStrategy } from '../auth/jwt.strategy';
import type { ApiConfig } from '../config/api-config';

export const QUEUE_DASHBOARD_PATH = '/api/admin/queues';

/**
 * Bull Board over every queue of the platform, for platform admins only: each request (page, asset
 * or API call) must carry a platform admin's bearer token. A signed-in user without the role gets
 * 403, audited; anyone else 401. Queues are shared by all tenants, hence platform-only.
 */
export async function mountQueueDashboard(app: NestFastifyApplication, config: ApiConfig, logger: Logger): Promise<void> {
  const connection = createRedis(config.REDIS_URL, 'pbx-api-queue-dashboard');
  const queues = [QUEUES.callEvents, FRAUD_QUEUES.actions, FRAUD_QUEUES.maintenance].map(
    (name) => new Queue(name, { connection, prefix: config.QUEUE_PREFIX }),
  );
  const board = new FastifyAdapter();
  board.setBasePath(QUEUE_DASHBOARD_PATH);
  // @bull-board/fastify pins its own copy of @bull-board/api's types (one patch apart); the runtime contract is the same.
  const serverAdapter = board as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'];
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter, options: { uiConfig: { boardTitle: 'PBX queues' } } });

  const strategy = app.get(JwtStrategy, { strict: false });
  const audit = app.get(AuditService, { strict: false });
  const guard = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const principal = await strategy.validate(req).catch((err: unknown) => {
      logger.error({ err }, 'queue dashboard: token check failed');
      return false as const;
    });
    if (!principal) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ message: 'Unauthenticated.' });
      return;
    }
    if (!principal.roles.includes('platform_admin')) {
      await audit.record({
        tenantId: principal.tenantId,
        actor: principal,
        target: { type: 'queue_dashboard', id: null },
        meta: requestMeta(req),
        action: 'queues.dashboard.access',
        result: 'denied',
        details: { reason: 'platform_admin_required', path: req.url.split('?')[0] },
      });
      await reply.code(403).send({ message: 'This action is unauthorized.' });
    }
  };

  await app.register(
    async (scope: FastifyInstance) => {
      scope.addHook('onRequest', guard);
      await scope.register(board.registerPlugin());
    },
    { prefix: QUEUE_DASHBOARD_PATH },
  );
  (app.getHttpAdapter().getInstance() as FastifyInstance).addHook('onClose', async () => {
    for (const q of queues) await q.close();
    await connection.quit().catch(() => connection.disconnect());
  });
}
