import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DataDirLockedError, lockDataDir } from './data-dir-lock.js';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'civicdesk-lock-'));
}

describe('lockDataDir', () => {
  it('refuses a second lock on the same folder while the first is held, naming the lock file', () => {
    const dir = tempDir();
    const first = lockDataDir(dir);
    assert.throws(
      () => lockDataDir(dir),
      (error: unknown) =>
        error instanceof DataDirLockedError &&
        error.message.includes(path.join(dir, 'civicdesk.lock')) &&
        error.message.includes(`pid ${process.pid}`),
    );
    first.release();
    const again = lockDataDir(dir);
    again.release();
  });

  it('takes over a lock left by a process that no longer runs', () => {
    const dir = tempDir();
    // A pid far above any the kernel hands out here stands for a crashed process.
    fs.writeFileSync(
      path.join(dir, 'civicdesk.lock'),
      JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), since: '2026-01-01T00:00:00Z' }),
    );
    const lock = lockDataDir(dir);
    const owner = JSON.parse(fs.readFileSync(lock.file, 'utf8')) as { pid: number };
    assert.equal(owner.pid, process.pid);
    lock.release();
    assert.equal(fs.existsSync(lock.file), false);
  });

  it('takes over a lock naming its own pid that it does not hold (a restarted container reuses pids)', () => {
    const dir = tempDir();
    fs.writeFileSync(
      path.join(dir, 'civicdesk.lock'),
      JSON.stringify({ pid: process.pid, host: os.hostname(), since: '2026-01-01T00:00:00Z' }),
    );
    const lock = lockDataDir(dir);
    lock.release();
  });

  it('treats a lock held from another host as held', () => {
    const dir = tempDir();
    fs.writeFileSync(
      path.join(dir, 'civicdesk.lock'),
      JSON.stringify({ pid: 1, host: 'some-other-host', since: '2026-01-01T00:00:00Z' }),
    );
    assert.throws(() => lockDataDir(dir), DataDirLockedError);
  });
});
