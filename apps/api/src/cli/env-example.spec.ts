import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { edgeConfigSchema } from '../../../sip-edge/src/config/edge-config';
import { sipConfigSchema } from '../../../sip/src/config/sip-config';
import { workerConfigSchema } from '../../../worker/src/config/worker-config';
import { apiConfigSchema } from '../config/api-config';
import { keysConfigSchema } from './keys';
import { seedConfigSchema } from './seed';
import { seedDemoConfigSchema } from './seed-demo';

/** `.env.example` is the one place an operator learns the configuration: every variable must be in it. */
describe('.env.example', () => {
  const text = readFileSync(join(__dirname, '../../../../.env.example'), 'utf8');
  const documented = new Set([...text.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
  const schemas = {
    api: apiConfigSchema,
    sip: sipConfigSchema,
    worker: workerConfigSchema,
    'sip-edge': edgeConfigSchema,
    seed: seedConfigSchema,
    'seed-demo': seedDemoConfigSchema,
    keys: keysConfigSchema,
  };

  it.each(Object.entries(schemas))('documents every variable %s reads', (_app, schema) => {
    const missing = Object.keys(schema.shape).filter((name) => !documented.has(name));
    expect(missing).toEqual([]);
  });

  it('leaves every secret empty, for `npm run up` to generate', () => {
    for (const name of ['AUDIT_HMAC_KEY', 'SECRETS_KEKS', 'SEED_ADMIN_PASSWORD', 'DRACHTIO_SECRET', 'EDGE_SECRET']) {
      expect(text).toMatch(new RegExp(`^${name}=$`, 'm'));
    }
  });
});
