#!/usr/bin/env node
/**
 * Runs the test suite with node's own test runner (through tsx, so tests are TypeScript).
 *   node scripts/run-tests.mjs            every tier: *.test.ts, *.db.test.ts, test/browser/*.spec.ts
 *   node scripts/run-tests.mjs --unit     only the pure tests (*.test.ts that are not *.db.test.ts)
 *   node scripts/run-tests.mjs --db       only the database tests (*.db.test.ts)
 *   node scripts/run-tests.mjs --browser  only the browser specs
 *   node scripts/run-tests.mjs FILE...    just those files
 * Tier flags combine (--unit --db runs both).
 * Database tests run on every engine in CIVICDESK_TEST_ENGINES (default: pglite,postgres).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

function find(dir, pattern) {
  const out = [];
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') out.push(...find(full, pattern));
    else if (pattern.test(entry.name)) out.push(path.relative(root, full));
  }
  return out.sort();
}

const TIERS = ['--unit', '--db', '--browser'];
const unknown = args.filter((a) => a.startsWith('--') && !TIERS.includes(a));
if (unknown.length > 0) {
  console.error(`Unknown option ${unknown.join(', ')}; use ${TIERS.join(', ')} or file names.`);
  process.exit(2);
}

const browser = find(path.join(root, 'test/browser'), /\.spec\.ts$/);
const unitAndDb = [
  ...find(path.join(root, 'src'), /\.test\.ts$/),
  ...find(path.join(root, 'test'), /\.test\.ts$/),
];
const tiers = {
  '--unit': unitAndDb.filter((f) => !f.endsWith('.db.test.ts')),
  '--db': unitAndDb.filter((f) => f.endsWith('.db.test.ts')),
  '--browser': browser,
};
const named = args.filter((a) => !a.startsWith('--'));
const chosenTiers = TIERS.filter((t) => args.includes(t));
const files =
  named.length > 0
    ? named
    : chosenTiers.length > 0
      ? chosenTiers.flatMap((t) => tiers[t])
      : [...unitAndDb, ...browser];

if (files.length === 0) {
  console.error('No test files found.');
  process.exit(1);
}

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);
