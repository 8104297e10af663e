/**
 * The `civicdesk` command as a user runs it: real processes, a real port, a real data folder.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createTestDatabase, ENGINES } from './helpers/database.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin/civicdesk.js');

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  return { ...env, CIVICDESK_LOG_LEVEL: 'warn', ...extra };
}

/** Starts `civicdesk serve` and resolves with its URL once it says it is running. */
function startServe(dataDir: string): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: ROOT,
    env: cleanEnv({ CIVICDESK_DATA_DIR: dataDir, PORT: '0' }),
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += String(chunk)));
  child.stderr!.on('data', (chunk) => (output += String(chunk)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in time:\n${output}`)), 60_000);
    child.stdout!.on('data', () => {
      const url = /Civicdesk is running at (http:\/\/\S+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url, output: () => output });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before starting:\n${output}`));
    });
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('civicdesk serve on the embedded database', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'civicdesk-cli-'));
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('migrates, seeds the demo council, serves, refuses a second process on the same folder, and stops cleanly', async () => {
    const first = await startServe(dataDir);
    children.push(first.child);

    const start = await fetch(`${first.url}/`);
    assert.equal(start.status, 200);
    assert.match(await start.text(), /Pothole/);
    const ready = await fetch(`${first.url}/readyz`);
    assert.equal(ready.status, 200, await ready.clone().text());

    assert.match(first.output(), /Staff sign-ins/);
    const credentials = fs.readFileSync(path.join(dataDir, 'demo-credentials.txt'), 'utf8');
    for (const role of ['admin', 'team_lead', 'officer', 'agent'])
      assert.match(credentials, new RegExp(`^  ${role} `, 'm'));

    const second = spawnSync(process.execPath, [BIN, 'serve'], {
      cwd: ROOT,
      env: cleanEnv({ CIVICDESK_DATA_DIR: dataDir, PORT: '0' }),
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.notEqual(second.status, 0, 'a second process must not open the same PGlite folder');
    assert.match(second.stderr, /in use by another Civicdesk process/);
    assert.ok(second.stderr.includes(path.join(dataDir, 'pglite', 'civicdesk.lock')), second.stderr);

    const exited = exitOf(first.child);
    first.child.kill('SIGTERM');
    assert.equal(await exited, 0, `graceful shutdown:\n${first.output()}`);
    assert.equal(
      fs.existsSync(path.join(dataDir, 'pglite', 'civicdesk.lock')),
      false,
      'the lock is released',
    );
  });

  it('starts again after a crash, keeping the data and not seeding twice', async () => {
    const crashed = await startServe(dataDir);
    children.push(crashed.child);
    const killed = exitOf(crashed.child);
    crashed.child.kill('SIGKILL');
    await killed;
    assert.equal(
      fs.existsSync(path.join(dataDir, 'pglite', 'civicdesk.lock')),
      true,
      'a crash leaves the lock behind',
    );

    const again = await startServe(dataDir);
    children.push(again.child);
    assert.doesNotMatch(again.output(), /Staff sign-ins/, 'an existing council is not seeded again');
    assert.equal((await fetch(`${again.url}/`)).status, 200);
    const exited = exitOf(again.child);
    again.child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});

describe(
  'civicdesk migrate on PostgreSQL',
  { skip: !ENGINES.includes('postgres') && 'PostgreSQL not selected' },
  () => {
    it('applies the migrations once, then reports the database up to date', async () => {
      const database = await createTestDatabase('postgres', { migrate: false });
      try {
        const env = cleanEnv({ DATABASE_URL: database.url! });
        const first = spawnSync(process.execPath, [BIN, 'migrate'], { cwd: ROOT, env, encoding: 'utf8' });
        assert.equal(first.status, 0, first.stderr);
        assert.match(first.stdout, /applied 2026_11_23_1800_foundation/);
        const second = spawnSync(process.execPath, [BIN, 'migrate'], { cwd: ROOT, env, encoding: 'utf8' });
        assert.equal(second.status, 0, second.stderr);
        assert.match(second.stdout, /The database is up to date/);
      } finally {
        await database.close();
      }
    });
  },
);

describe('civicdesk with bad settings', () => {
  it('exits non-zero and names each problem', () => {
    const result = spawnSync(process.execPath, [BIN, 'migrate'], {
      cwd: ROOT,
      env: cleanEnv({ PORT: 'abc', CIVICDESK_DATABSE_URL: 'x' }),
      encoding: 'utf8',
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /PORT: must be integer/);
    assert.match(result.stderr, /CIVICDESK_DATABSE_URL is not a Civicdesk setting/);
  });

  it('refuses the worker on the embedded database, which allows one process', () => {
    const result = spawnSync(process.execPath, [BIN, 'worker'], {
      cwd: ROOT,
      env: cleanEnv({}),
      encoding: 'utf8',
    });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /needs PostgreSQL/);
  });
});
