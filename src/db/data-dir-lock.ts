/**
 * An exclusive lock on the PGlite data folder. Two processes opening one PGlite folder corrupt it
 * (each believes it is the only postmaster), so the second must refuse to start, naming the lock.
 *
 * The lock is a file created with O_EXCL holding the owner's pid and host. A lock left by a process
 * that has died (same host, pid no longer running) is taken over, so a crash never needs a manual step.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export class DataDirLockedError extends Error {
  constructor(
    public readonly lockFile: string,
    owner: string,
  ) {
    super(
      `The embedded database folder is in use by another Civicdesk process (${owner}); lock file: ${lockFile}. ` +
        'PGlite allows one process per folder: stop the other process, or use PostgreSQL (DATABASE_URL) to run several. ' +
        'If you are sure no other process uses the folder (for example it was moved from another machine), delete the lock file.',
    );
    this.name = 'DataDirLockedError';
  }
}

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Lock files this process holds, so a lock naming our own pid can be told from a stale one. */
const heldByThisProcess = new Set<string>();

export interface DataDirLock {
  readonly file: string;
  release(): void;
}

export function lockDataDir(dir: string): DataDirLock {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'civicdesk.lock');
  const me: LockOwner = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };

  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(me), { flag: 'wx', mode: 0o600 });
      heldByThisProcess.add(file);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        heldByThisProcess.delete(file);
        try {
          const owner = JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner;
          if (owner.pid === me.pid && owner.host === me.host) fs.unlinkSync(file);
        } catch {
          // Already gone: nothing to release.
        }
      };
      process.once('exit', release);
      return { file, release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }

    let owner: LockOwner | undefined;
    try {
      owner = JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner;
    } catch {
      owner = undefined; // Unreadable or half-written: treat as held, to be safe.
    }
    // Stale: its process has gone. A restarted container often reuses the crashed process's pid, so a
    // lock naming our own pid that we do not hold is stale too.
    const stale =
      owner !== undefined &&
      owner.host === os.hostname() &&
      (owner.pid === process.pid ? !heldByThisProcess.has(file) : !isRunning(owner.pid));
    if (!stale) {
      const who = owner ? `pid ${owner.pid} on ${owner.host} since ${owner.since}` : 'unknown owner';
      throw new DataDirLockedError(file, who);
    }
    fs.rmSync(file, { force: true });
  }
  throw new DataDirLockedError(file, 'another process took it over while this one started');
}
