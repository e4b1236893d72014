import { Inject, Injectable } from '@nestjs/common';
import { decrypt, Keyring, parseKeyring } from '@pbx/common';
import { FraudPlaybooksRepository } from '@pbx/database';
import { DEFAULT_PLAYBOOK, FraudAction, Playbook, Severity, webhookSecretAad } from '@pbx/fraud';
import { WORKER_CONFIG, WorkerConfig } from '../config/worker-config';

/** A tenant's playbook as the worker runs it: its row, or the safe default. */
@Injectable()
export class PlaybookSource {
  private readonly keyring: Keyring | null;

  constructor(
    private readonly playbooks: FraudPlaybooksRepository,
    @Inject(WORKER_CONFIG) config: WorkerConfig,
  ) {
    this.keyring = config.SECRETS_KEKS ? parseKeyring(config.SECRETS_KEKS) : null;
  }

  async of(tenantId: string): Promise<Playbook> {
    const row = await this.playbooks.find(tenantId);
    if (!row) return DEFAULT_PLAYBOOK;
    return {
      actions: row.actions as Record<Severity, FraudAction[]>,
      lockLevel: row.lockLevel as 1 | 2 | 3,
      webhookUrl: row.webhookUrl,
    };
  }

  /** The webhook's URL and signing secret, or why there is none. */
  async webhook(tenantId: string): Promise<{ url: string; secret: string } | { problem: string }> {
    const row = await this.playbooks.findWithSecret(tenantId);
    if (!row?.webhookUrl || !row.webhookSecretSealed) return { problem: 'no webhook configured' };
    if (!this.keyring) return { problem: 'SECRETS_KEKS is not set on the worker' };
    return { url: row.webhookUrl, secret: decrypt(row.webhookSecretSealed, this.keyring, webhookSecretAad(tenantId)) };
  }
}
