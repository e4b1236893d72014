import { Injectable, NotFoundException } from '@nestjs/common';
import { afterCommit, UserEntity, UsersRepository } from '@pbx/database';
import { InvalidationBus } from '../redis/invalidation-bus.service';
import { InvalidationService } from '../redis/invalidation.service';

const TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

/**
 * The profile `GET /auth/me` shows, cached per instance for a few seconds so the most frequent
 * authenticated call costs no database round trip. Authorisation never reads this cache: the
 * permissions come from the verified token and revocation is checked in Redis on every request.
 * A change drops the entry here at once and, through `pbx:invalidate`, on every other instance.
 */
@Injectable()
export class ProfileCacheService {
  private readonly entries = new Map<string, { user: UserEntity; expires: number }>();

  constructor(
    private readonly users: UsersRepository,
    private readonly invalidation: InvalidationService,
    bus: InvalidationBus,
  ) {
    bus.on(
      ['user', 'tenant'],
      (msg) => {
        if (msg.kind === 'user' && msg.id) this.entries.delete(msg.id);
        else this.entries.clear();
      },
      () => this.entries.clear(),
    );
  }

  async get(tenantId: string, userId: string): Promise<UserEntity> {
    const hit = this.entries.get(userId);
    if (hit && hit.expires > Date.now() && hit.user.tenantId === tenantId) return hit.user;
    const user = await this.users.findInTenant(tenantId, userId);
    if (!user) throw new NotFoundException();
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(userId, { user, expires: Date.now() + TTL_MS });
    return user;
  }

  async changed(tenantId: string, userId: string): Promise<void> {
    await afterCommit(async () => {
      this.entries.delete(userId);
      await this.invalidation.publish('user', tenantId, userId);
    });
  }
}
