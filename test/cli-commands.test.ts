/**
 * The configuration commands as an administrator runs them, on an embedded database in a temp folder:
 * the routing test bench on the command line and the catalogue file round trip.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verify } from '@node-rs/argon2';
import { openDatabase } from '../src/db/connect.js';
import { createTestDatabase, ENGINES, type TestDatabase } from './helpers/database.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin/civicdesk.js');

describe('civicdesk route and catalogue', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'civicdesk-cli-commands-'));
  // PostgreSQL when the suite has it: each command is a new process, and PGlite's start-up would
  // dominate the run. (The embedded engine's CLI is covered by cli.test.ts.)
  let database: TestDatabase | undefined;
  before(async () => {
    if (ENGINES.includes('postgres')) database = await createTestDatabase('postgres', { migrate: false });
  });
  after(async () => {
    await database?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        CIVICDESK_DATA_DIR: dataDir,
        CIVICDESK_LOG_LEVEL: 'warn',
        ...(database?.url ? { DATABASE_URL: database.url } : {}),
      },
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('routes from the command line and prints the decision as JSON', () => {
    assert.equal(run('seed').status, 0);
    const result = run(
      'route',
      '--lat',
      '53.41',
      '--lon',
      '-2.37',
      '--service',
      'speeding',
      '--answer',
      'speed_limit=30',
      '--answer',
      'school=no',
      '--answer',
      'when=morning',
      '--at',
      '2026-11-24T10:00:00Z',
    );
    assert.equal(result.status, 0, result.stderr);
    const decision = JSON.parse(result.stdout);
    assert.equal(decision.outcome, 'routed');
    assert.equal(decision.body.code, 'little-wickham');
    assert.equal(decision.rule.name, 'Community Speedwatch in Little Wickham');
    assert.deepEqual(
      decision.areas.map((a: { code: string }) => a.code),
      ['DEMO-ASHDOWN', 'DEMO-W-SW', 'DEMO-P-LW'],
    );
    assert.equal(decision.dueAt, '2026-12-22T17:00:00.000Z');

    const outside = run('route', '--lat', '51.5', '--lon', '-0.12', '--service', 'pothole');
    assert.equal(outside.status, 3, 'not routed: a distinct exit code');
    assert.equal(JSON.parse(outside.stdout).outcome, 'outside');
    const bad = run('route', '--lat', 'north', '--lon', '-2.3', '--service', 'pothole');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--lat must be a latitude/);
  });

  it('exports the catalogue, refuses a broken one changing nothing, and imports a good one', () => {
    const file = path.join(dataDir, 'catalogue.yaml');
    const exported = run('catalogue', 'export', '--output', file);
    assert.equal(exported.status, 0, exported.stderr);
    const text = fs.readFileSync(file, 'utf8');
    assert.match(text, /code: speeding/);

    const broken = path.join(dataDir, 'broken.yaml');
    fs.writeFileSync(
      broken,
      text
        .replace('name: Pothole', 'name: Renamed pothole')
        .replace('body: little-wickham', 'body: nowhere-council'),
    );
    const refused = run('catalogue', 'import', broken);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /nothing was changed/);
    assert.match(refused.stderr, /there is no body "nowhere-council"/);
    assert.doesNotMatch(run('catalogue', 'export').stdout, /Renamed pothole/, 'nothing was written');

    const good = path.join(dataDir, 'good.yaml');
    fs.writeFileSync(good, text.replace('name: Pothole', 'name: Pothole or broken road'));
    const dryRun = run('catalogue', 'import', good, '--dry-run');
    assert.equal(dryRun.status, 0, dryRun.stderr);
    assert.doesNotMatch(
      run('catalogue', 'export').stdout,
      /Pothole or broken road/,
      'a dry run writes nothing',
    );
    const imported = run('catalogue', 'import', good);
    assert.equal(imported.status, 0, imported.stderr);
    assert.match(run('catalogue', 'export').stdout, /Pothole or broken road/);
  });

  it('creates a member of staff, printing a password that works, and refuses a second with the same email', async () => {
    const created = run(
      'staff',
      'create',
      '--email',
      'First.Admin@council.example',
      '--name',
      'First Admin',
      '--role',
      'admin',
      '--body',
      'ashdown',
    );
    assert.equal(created.status, 0, created.stderr);
    const password = /Their password, shown only now: (\S+)/.exec(created.stdout)?.[1];
    assert.ok(password, created.stdout);
    assert.match(created.stdout, /set up an authenticator app/);
    const again = run(
      'staff',
      'create',
      '--email',
      'first.admin@council.example',
      '--name',
      'Someone',
      '--role',
      'officer',
      '--body',
      'ashdown',
    );
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already a member of staff/);
    const badRole = run(
      'staff',
      'create',
      '--email',
      'x@council.example',
      '--name',
      'X',
      '--role',
      'mayor',
      '--body',
      'ashdown',
    );
    assert.equal(badRole.status, 2);
    assert.match(badRole.stderr, /--role must be one of/);
    const badTeam = run(
      'staff',
      'create',
      '--email',
      'y@council.example',
      '--name',
      'Y',
      '--role',
      'officer',
      '--body',
      'ashdown',
      '--team',
      'nowhere',
    );
    assert.equal(badTeam.status, 2);

    const handle = database
      ? await openDatabase({ engine: 'postgres', url: database.url! })
      : await openDatabase({ engine: 'pglite', dataDir: path.join(dataDir, 'pglite') });
    try {
      const row = await handle.db
        .selectFrom('staff_user')
        .select(['role', 'password_hash'])
        .where('email', '=', 'first.admin@council.example')
        .executeTakeFirstOrThrow();
      assert.equal(row.role, 'admin');
      assert.equal(await verify(row.password_hash!, password), true);
    } finally {
      await handle.close();
    }
  });
});
