import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { createRedis } from '@pbx/common';
import type Redis from 'ioredis';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { InvalidationBus } from './invalidation-bus.service';
import { InvalidationService } from './invalidation.service';
import { REDIS } from './redis.token';

export { REDIS };

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [API_CONFIG],
      useFactory: (config: ApiConfig) => createRedis(config.REDIS_URL, 'pbx-api'),
    },
    RedisCloser,
    InvalidationBus,
    InvalidationService,
  ],
  exports: [REDIS, InvalidationBus, InvalidationService],
})
export class RedisModule {}
