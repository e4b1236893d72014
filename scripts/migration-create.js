#!/usr/bin/env node
// `npm run migration:create -- <kebab-name>`: writes migrations/<timestamp>-<name>.ts with an empty
// up/down pair and registers it in migrations/index.ts. Migrations are written and reviewed by hand.
'use strict';
const { readFileSync, writeFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const name = process.argv[2] ?? '';
if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) {
  console.error('usage: npm run migration:create -- <kebab-case-name>   e.g. add-devices');
  process.exit(1);
}
const dir = join(__dirname, '..', 'migrations');
const stamp = Date.now();
const className = name.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join('') + stamp;
const file = `${stamp}-${name}`;
const path = join(dir, `${file}.ts`);
if (existsSync(path)) {
  console.error(`${path} already exists`);
  process.exit(1);
}
writeFileSync(
  path,
  `import { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  // Name every constraint and index explicitly (pk_, fk_, uq_, ck_, ix_ + table + columns).
  async up(q: QueryRunner): Promise<void> {
    await q.query(\`\`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(\`\`);
  }
}
`,
);
const indexPath = join(dir, 'index.ts');
const index = readFileSync(indexPath, 'utf8');
const lastImport = index.lastIndexOf('\nimport ');
const importEnd = index.indexOf('\n', lastImport + 1);
const withImport = `${index.slice(0, importEnd + 1)}import { ${className} } from './${file}';\n${index.slice(importEnd + 1)}`;
const updated = withImport.replace(/ALL_MIGRATIONS = \[([^\]]*)\]/, (_, list) => `ALL_MIGRATIONS = [${list.trim()}, ${className}]`);
if (updated === withImport) {
  console.error('could not find ALL_MIGRATIONS in migrations/index.ts; add the new class by hand');
  process.exit(1);
}
writeFileSync(indexPath, updated);
console.log(`created migrations/${file}.ts (${className}) and registered it in migrations/index.ts`);
