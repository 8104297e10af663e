#!/usr/bin/env node
/**
 * Runs the test suite with node's own test runner (through tsx, so tests are TypeScript).
 *   node scripts/run-tests.mjs            every tier: *.test.ts, *.db.test.ts, test/browser/*.spec.ts
 *   node scripts/run-tests.mjs --browser  only the browser specs
 *   node scripts/run-tests.mjs FILE...    just those files
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

const browser = find(path.join(root, 'test/browser'), /\.spec\.ts$/);
const unitAndDb = [
  ...find(path.join(root, 'src'), /\.test\.ts$/),
  ...find(path.join(root, 'test'), /\.test\.ts$/),
];
const files = args.includes('--browser')
  ? browser
  : args.filter((a) => !a.startsWith('--')).length > 0
    ? args.filter((a) => !a.startsWith('--'))
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
