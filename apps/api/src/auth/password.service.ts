import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import * as bcrypt from 'bcrypt';
import { randomBytes } from 'node:crypto';
import { API_CONFIG, ApiConfig } from '../config/api-config';

/** bcrypt reads at most 72 bytes; longer passwords are refused rather than silently truncated. */
export const MAX_PASSWORD_BYTES = 72;

@Injectable()
export class PasswordService implements OnModuleInit {
  private dummyHash = '';

  constructor(@Inject(API_CONFIG) private readonly config: ApiConfig) {}

  async onModuleInit(): Promise<void> {
    // Compared against when the email is unknown, so that case costs one bcrypt at the same cost.
    this.dummyHash = await bcrypt.hash(randomBytes(16).toString('hex'), this.config.BCRYPT_COST);
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.config.BCRYPT_COST);
  }

  /** Always does one bcrypt comparison, whether or not there is a real hash to compare against. */
  async verify(password: string, hash: string | null): Promise<boolean> {
    const ok = await bcrypt.compare(password, hash ?? this.dummyHash);
    return ok && hash !== null;
  }

  needsRehash(hash: string): boolean {
    return bcrypt.getRounds(hash) !== this.config.BCRYPT_COST;
  }
}
