import { Controller, Get, Header, Inject, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Cidr, cidrContains, parseCidr, parseIp } from '@pbx/policy';
import { API_CONFIG, ApiConfig } from '../config/api-config';
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

function cidrList(cidrs: readonly string[]): { allows: (ip: string) => boolean } {
  const list = cidrs.map((c) => parseCidr(c)).filter((c): c is Cidr => c !== undefined);
  return {
    allows: (ip) => {
      const addr = parseIp(ip);
      return addr !== undefined && list.some((c) => cidrContains(c, addr));
    },
  };
}

@ApiExcludeController()
@Controller()
export class HealthController {
  constructor(
    private readonly ds: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.metricsAllowed = cidrList(config.METRICS_ALLOW_CIDRS);
  }

  private readonly metricsAllowed: { allows: (ip: string) => boolean };

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
  async metrics(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    if (!this.metricsAllowed.allows(req.ip)) {
      void reply.status(404).send({ message: 'Not Found.' });
      return;
    }
    void reply.header('content-type', this.registry.contentType).send(await this.registry.metrics());
  }
}
