/**
 * The documentation must not promise what the code lacks: every npm script and `civicdesk` command the
 * docs name must exist, and the settings listed in README.md and .env.example must be exactly those in
 * the schema, with the schema's defaults and descriptions.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigSchema } from '../src/config.js';
import { ROOT_DIR } from '../src/infra/paths.js';
import {
  defaultCell,
  README_TABLE_END,
  README_TABLE_START,
  renderEnvExample,
} from '../scripts/config-docs.js';

const REGENERATE = 'run `npx tsx scripts/generate-config-docs.ts`';

const read = (file: string) => fs.readFileSync(path.join(ROOT_DIR, file), 'utf8');

function markdownFiles(dir: string): string[] {
  const full = path.join(ROOT_DIR, dir);
  if (!fs.existsSync(full)) return [];
  return fs.readdirSync(full, { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : markdownFiles(relative);
    return entry.isFile() && entry.name.endsWith('.md') ? [relative] : [];
  });
}

/** README.md first; then the other hand-written documents that tell people what to run. */
const DOCUMENTS = [
  'README.md',
  ...['CHANGELOG.md'].filter((file) => fs.existsSync(path.join(ROOT_DIR, file))),
  ...markdownFiles('docs'),
  ...markdownFiles('src').filter((file) => path.basename(file) === 'README.md'),
];

const schemaKeys = Object.keys(ConfigSchema.properties);
const schemaProperty = (key: string) =>
  (ConfigSchema.properties as Record<string, { description?: string; default?: unknown }>)[key]!;

describe('npm commands in the documentation', () => {
  const scripts = Object.keys(
    (JSON.parse(read('package.json')) as { scripts?: Record<string, string> }).scripts ?? {},
  );

  for (const file of DOCUMENTS) {
    it(`${file} names only npm scripts that package.json has`, () => {
      const text = read(file);
      const named = new Set<string>();
      for (const match of text.matchAll(/\bnpm run(?:-script)? ([\w:.-]+)/g)) named.add(match[1]!);
      for (const match of text.matchAll(/\bnpm (start|test)\b/g)) named.add(match[1]!);
      const missing = [...named].filter((name) => !scripts.includes(name));
      assert.deepEqual(missing, [], `${file} names npm scripts that package.json lacks`);
    });
  }

  it('README.md gives the two quick-start commands', () => {
    const readme = read('README.md');
    assert.match(readme, /npm install && npm start/);
    assert.match(readme, /npm test/);
  });
});

describe('settings in .env.example and README.md', () => {
  it('.env.example names every setting in the schema and nothing else', () => {
    const named = [...read('.env.example').matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
    assert.deepEqual(
      schemaKeys.filter((key) => !named.includes(key)),
      [],
      `settings missing from .env.example: ${REGENERATE}`,
    );
    assert.deepEqual(
      named.filter((key) => !schemaKeys.includes(key)),
      [],
      '.env.example names settings the schema does not have',
    );
  });

  it('.env.example matches the schema’s descriptions and defaults', () => {
    assert.equal(read('.env.example'), renderEnvExample(), `.env.example is out of date: ${REGENERATE}`);
  });

  it("README.md's configuration table lists every setting with its default and description", () => {
    const readme = read('README.md');
    const start = readme.indexOf(README_TABLE_START);
    const end = readme.indexOf(README_TABLE_END);
    assert.ok(start !== -1 && end > start, 'README.md has lost the configuration table markers');

    const rows = new Map<string, { defaultText: string; description: string }>();
    for (const line of readme.slice(start, end).split('\n')) {
      const cells = line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((cell) => cell.trim());
      const key = /^`([A-Z][A-Z0-9_]*)`$/.exec(cells[0] ?? '')?.[1];
      if (key) rows.set(key, { defaultText: cells[1] ?? '', description: cells[2] ?? '' });
    }

    assert.deepEqual(
      schemaKeys.filter((key) => !rows.has(key)),
      [],
      `settings missing from README.md: ${REGENERATE}`,
    );
    assert.deepEqual(
      [...rows.keys()].filter((key) => !schemaKeys.includes(key)),
      [],
      'README.md lists settings the schema does not have',
    );
    for (const key of schemaKeys) {
      const row = rows.get(key)!;
      const property = schemaProperty(key);
      assert.equal(row.defaultText, defaultCell(property.default), `README default of ${key}: ${REGENERATE}`);
      assert.equal(
        row.description.replace(/\\\|/g, '|'),
        (property.description ?? '').replace(/\s+/g, ' ').trim(),
        `README description of ${key}: ${REGENERATE}`,
      );
    }
  });
});

describe('civicdesk commands in the documentation', () => {
  const named = new Map<string, string>();
  for (const file of DOCUMENTS) {
    // `civicdesk serve`, `npx civicdesk worker`, `node bin/civicdesk.js migrate`: lower case only, so
    // the product's name in prose is not mistaken for the command.
    for (const match of read(file).matchAll(/(?<![\w-])civicdesk(?:\.js)?[ \t]+([a-z][a-z0-9-]*)/g)) {
      if (!named.has(match[1]!)) named.set(match[1]!, file);
    }
  }

  it('the documentation names some commands', () => {
    assert.ok(named.size > 0);
  });

  for (const [command, file] of named) {
    it(`"civicdesk ${command}" (named in ${file}) is a command the CLI knows`, () => {
      const result = spawnSync(process.execPath, ['bin/civicdesk.js', command, '--help'], {
        cwd: ROOT_DIR,
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(
        result.status,
        0,
        `civicdesk ${command} --help exited ${result.status}:\n${result.stdout}${result.stderr}`,
      );
      assert.match(result.stdout, new RegExp(`^Usage: civicdesk ${command}\\b`, 'm'));
    });
  }
});
