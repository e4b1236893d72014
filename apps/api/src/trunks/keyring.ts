import type { Provider } from '@nestjs/common';
import { parseKeyring } from '@pbx/common';
import { API_CONFIG, ApiConfig } from '../config/api-config';

/** The parsed SECRETS_KEKS, once per process: the newest version seals, every version opens. */
export const SECRETS_KEYRING = Symbol('SECRETS_KEYRING');

export const keyringProvider: Provider = {
  provide: SECRETS_KEYRING,
  inject: [API_CONFIG],
  useFactory: (config: ApiConfig) => parseKeyring(config.SECRETS_KEKS),
};
