import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type Redis from 'ioredis';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { Public } from '../auth/guards/auth.decorators';
import { REDIS } from '../redis/redis.module';
import { METRICS_REGISTRY } from './metrics';

function withTimeout<T>(p: Promise<T>, ms = 2000): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref()),
  ]);
}

@ApiExcludeController()
@Controller()
export class HealthController {
  constructor(
    private readonly ds: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
  ) {}

  @Public()
  @Get('health/live')
  @Header('cache-control', 'no-store')
  live() {
    return { status: 'ok' };
  }

  @Public()
  @Get('health/ready')
  @Header('cache-control', 'no-store')
  async ready(@Res() reply: FastifyReply) {
    const check = async (fn: () => Promise<unknown>) => {
      try {
        await withTimeout(fn());
        return { status: 'up' };
      } catch {
        return { status: 'down' };
      }
    };
    const [database, redis] = await Promise.all([
      check(() => this.ds.query('SELECT 1')),
      check(() => this.redis.ping()),
    ]);
    const ok = database.status === 'up' && redis.status === 'up';
    void reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'error', checks: { database, redis } });
  }

  @Public()
  @Get('metrics')
  async metrics(@Res() reply: FastifyReply) {
    void reply.header('content-type', this.registry.contentType).send(await this.registry.metrics());
  }
}
