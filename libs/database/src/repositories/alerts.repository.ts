import { Injectable } from '@nestjs/common';
import { Finding, higherSeverity } from '@pbx/fraud';
import { DataSource, Repository } from 'typeorm';
import { AlertEntity, AlertSeverity, AlertStatus } from '../entities';
import { ListQuery, Page } from '../list-query';
import { managerOf, transaction } from '../unit-of-work';

const SORTABLE: Record<string, string> = { created_at: 'createdAt', status: 'status', kind: 'kind' };

export interface AlertFilters {
  status?: AlertStatus;
  severity?: AlertSeverity;
  kind?: string;
  deviceId?: string;
}

export type AlertInsert = Pick<AlertEntity, 'tenantId' | 'kind' | 'severity' | 'title'> &
  Partial<Pick<AlertEntity, 'deviceId' | 'details' | 'status'>>;

export type AlertTransition = 'acknowledged' | 'resolved';

/** What a finding did to its alert: opened it, repeated it, raised its severity, or nothing (seen before). */
export type FindingChange = 'opened' | 'repeated' | 'escalated' | 'duplicate';

/** Event ids kept per alert to recognise a retried event; older ones fall off. */
const KEPT_EVENT_IDS = 50;

export const fraudAlertKind = (kind: string) => `fraud.${kind}`;

@Injectable()
export class AlertsRepository {
  constructor(private readonly ds: DataSource) {}

  private get repo(): Repository<AlertEntity> {
    return managerOf(this.ds).getRepository(AlertEntity);
  }

  /** For the fraud worker and the SIP app, which raise alerts. */
  insert(row: AlertInsert): Promise<AlertEntity> {
    return this.repo.save(this.repo.create({ status: 'open', details: {}, deviceId: null, ...row }));
  }

  /**
   * Merges a finding into the one unresolved alert with its dedupe key, or opens one. A repeat
   * counts once per call event (a retried event is recognised by its id), moves last_seen_at, takes
   * the newest evidence and keeps the higher severity. The partial unique index makes two workers
   * racing on a new key end up with one alert.
   */
  async recordFinding(f: Finding): Promise<{ alert: AlertEntity; change: FindingChange }> {
    return transaction(this.ds, async (m) => {
      const details = { ...f.evidence, event_id: f.eventId };
      for (let attempt = 0; ; attempt++) {
        const inserted: Array<{ id: string }> = await m.query(
          `INSERT INTO alerts (tenant_id, device_id, kind, severity, status, title, details, dedupe_key, last_seen_at, occurrences, event_ids)
           VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, 1, ARRAY[$9])
           ON CONFLICT (tenant_id, dedupe_key) WHERE status <> 'resolved' AND dedupe_key IS NOT NULL DO NOTHING
           RETURNING id`,
          [f.tenantId, f.deviceId, fraudAlertKind(f.kind), f.severity, f.title, details, f.dedupeKey, new Date(f.at), f.eventId],
        );
        if (inserted[0]) return { alert: await m.getRepository(AlertEntity).findOneByOrFail({ id: inserted[0].id }), change: 'opened' };
        const existing = await m
          .getRepository(AlertEntity)
          .createQueryBuilder('a')
          .setLock('pessimistic_write')
          .where(`a.tenantId = :t AND a.dedupeKey = :k AND a.status <> 'resolved'`, { t: f.tenantId, k: f.dedupeKey })
          .getOne();
        // Resolved between our insert and this read: the next insert opens a fresh alert.
        if (!existing) {
          if (attempt < 3) continue;
          throw new Error('alert dedupe: could not settle on an alert');
        }
        if (existing.eventIds.includes(f.eventId)) return { alert: existing, change: 'duplicate' };
        const severity = higherSeverity(existing.severity, f.severity);
        const escalated = severity !== existing.severity;
        await m.query(
          `UPDATE alerts SET severity = $2, title = $3, details = details || $4::jsonb, occurrences = occurrences + 1,
                  last_seen_at = GREATEST(last_seen_at, $5), event_ids = (array_append(event_ids, $6::text))[greatest(1, cardinality(event_ids) + 2 - $7):]
            WHERE id = $1`,
          [existing.id, severity, escalated ? f.title : existing.title, details, new Date(f.at), f.eventId, KEPT_EVENT_IDS],
        );
        const alert = await m.getRepository(AlertEntity).findOneByOrFail({ id: existing.id });
        return { alert, change: escalated ? 'escalated' : 'repeated' };
      }
    });
  }

  /** Resolves unresolved fraud alerts no finding has repeated since `before` (stale-data expiry). */
  async resolveStale(before: Date): Promise<number> {
    const [, count]: [unknown, number] = await managerOf(this.ds).query(
      `UPDATE alerts SET status = 'resolved', resolved_at = now(),
              details = details || '{"resolved_reason": "no repeat within the dedupe window"}'::jsonb
        WHERE status <> 'resolved' AND dedupe_key IS NOT NULL AND last_seen_at < $1`,
      [before],
    );
    return count;
  }

  findInTenant(tenantId: string, id: string): Promise<AlertEntity | null> {
    return this.repo.findOneBy({ tenantId, id });
  }

  async list(tenantId: string, f: AlertFilters, q: ListQuery): Promise<Page<AlertEntity>> {
    const qb = this.repo.createQueryBuilder('a').where('a.tenantId = :tenantId', { tenantId });
    if (f.status) qb.andWhere('a.status = :status', { status: f.status });
    if (f.severity) qb.andWhere('a.severity = :severity', { severity: f.severity });
    if (f.kind) qb.andWhere('a.kind = :kind', { kind: f.kind });
    if (f.deviceId) qb.andWhere('a.deviceId = :deviceId', { deviceId: f.deviceId });
    for (const s of q.sort) if (SORTABLE[s.field]) qb.addOrderBy(`a.${SORTABLE[s.field]}`, s.direction);
    qb.addOrderBy('a.id', 'ASC');
    const [items, total] = await qb
      .skip((q.page - 1) * q.perPage)
      .take(q.perPage)
      .getManyAndCount();
    return { items, total };
  }

  /**
   * Moves an alert to `to` only if it is currently in one of `from`, in one statement, so two
   * people acting at once cannot both succeed. Returns the updated alert, or null if it was not
   * in an allowed state (or does not exist in the tenant).
   */
  async transition(
    tenantId: string,
    id: string,
    from: readonly AlertStatus[],
    to: AlertTransition,
    byUserId: string,
  ): Promise<AlertEntity | null> {
    const set =
      to === 'acknowledged'
        ? 'acknowledged_by = $4, acknowledged_at = now()'
        : 'resolved_by = $4, resolved_at = now()';
    const [rows]: [Array<{ id: string }>, number] = await managerOf(this.ds).query(
      `UPDATE alerts SET status = $3, ${set} WHERE tenant_id = $1 AND id = $2 AND status = ANY($5) RETURNING id`,
      [tenantId, id, to, byUserId, [...from]],
    );
    return rows.length ? this.findInTenant(tenantId, id) : null;
  }
}

export const ALERT_SORTABLE = Object.keys(SORTABLE);
