/**
 * Opens the database the settings select: PostgreSQL when DATABASE_URL is set, otherwise PGlite in the
 * data folder (or in memory, for tests). Both are driven through Kysely with the same PostgreSQL
 * dialect, so every query and migration runs unchanged on either.
 */
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import type { Database } from './database.js';
import { PGliteDialect } from './pglite-dialect.js';

export type DatabaseEngine = 'pglite' | 'postgres';

export type DatabaseTarget =
  | {
      engine: 'postgres';
      url: string;
      poolSize?: number;
      applicationName?: string;
      /** Called when an idle pooled connection fails; default: a line on stderr. */
      onIdleError?: (error: Error) => void;
    }
  /** `dataDir` undefined: an in-memory database that vanishes on close (tests). */
  | { engine: 'pglite'; dataDir?: string };

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly engine: DatabaseEngine;
  /** PGlite has no autovacuum: the app calls this on a timer. A no-op on PostgreSQL. */
  maintain(): Promise<void>;
  close(): Promise<void>;
}

/**
 * bigint columns (ids, counts) come back from node-postgres as strings, from PGlite as numbers. Our
 * bigints stay far below 2^53, so both are read as numbers; types are per pool, not global.
 */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

/**
 * Extensions the schema may use. Each must also exist in PostgreSQL 15's contrib (Debian ships it) and be
 * created by a migration: pg_trgm gives typo-tolerant place search on both engines.
 */
const PGLITE_EXTENSIONS = { pg_trgm };

function defaultIdleError(error: Error): void {
  console.error(`PostgreSQL: an idle connection failed and will be replaced: ${error.message}`);
}

export async function openDatabase(target: DatabaseTarget): Promise<DatabaseHandle> {
  if (target.engine === 'postgres') {
    const pool = new pg.Pool({
      connectionString: target.url,
      max: target.poolSize ?? 10,
      application_name: target.applicationName ?? 'civicdesk',
      types: pgTypes,
    });
    // An idle connection can be cut by the server (restart, failover, a DBA's kill). node-postgres then
    // emits 'error' on the pool, which would crash the process if nobody listened; the pool replaces the
    // connection on the next query, so it is reported, not fatal.
    pool.on('error', (error) => (target.onIdleError ?? defaultIdleError)(error));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      engine: 'postgres',
      maintain: async () => {},
      close: () => db.destroy(),
    };
  }

  let lock: DataDirLock | undefined;
  let pglite: PGlite;
  if (target.dataDir) {
    const dir = path.resolve(target.dataDir);
    lock = lockDataDir(dir);
    try {
      // PGlite has no checkpointer tuning of its own: cap the WAL so the folder does not grow without bound.
      pglite = new PGlite(path.join(dir, 'pgdata'), {
        postgresqlconf: ['max_wal_size = 64MB', 'min_wal_size = 32MB'],
        extensions: PGLITE_EXTENSIONS,
      });
      await pglite.waitReady;
    } catch (error) {
      lock.release();
      throw error;
    }
  } else {
    pglite = new PGlite({ extensions: PGLITE_EXTENSIONS });
    await pglite.waitReady;
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return {
    db,
    engine: 'pglite',
    maintain: async () => {
      await sql`vacuum (analyze)`.execute(db);
    },
    close: async () => {
      await db.destroy();
      lock?.release();
    },
  };
}
