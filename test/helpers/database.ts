/**
 * Real databases for tests, on both engines. Each call makes a brand-new database: an in-memory PGlite,
 * or a freshly created PostgreSQL database that is dropped again when the test file is done.
 *
 * CIVICDESK_TEST_ENGINES picks engines (default "pglite,postgres"); CIVICDESK_TEST_POSTGRES_URL points at
 * a server where the user may CREATE DATABASE (default: postgres@127.0.0.1:5432, as on CI).
 */
import crypto from 'node:crypto';
import { after, before, describe } from 'node:test';
import pg from 'pg';
import { openDatabase, type DatabaseEngine, type DatabaseHandle } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';

export const POSTGRES_ADMIN_URL =
  process.env.CIVICDESK_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export const ENGINES: DatabaseEngine[] = (process.env.CIVICDESK_TEST_ENGINES ?? 'pglite,postgres')
  .split(',')
  .map((e) => e.trim())
  .filter((e): e is DatabaseEngine => e === 'pglite' || e === 'postgres');

export interface TestDatabase extends DatabaseHandle {
  /** For PostgreSQL: the URL of this test's database (e.g. to give a second process). */
  url?: string;
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(
  engine: DatabaseEngine,
  { migrate = true }: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  if (engine === 'pglite') {
    const handle = await openDatabase({ engine: 'pglite' });
    if (migrate) await migrateToLatest(handle.db);
    return handle;
  }
  const name = `civicdesk_test_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = withDatabase(POSTGRES_ADMIN_URL, name);
  const handle = await openDatabase({ engine: 'postgres', url, poolSize: 8 });
  if (migrate) await migrateToLatest(handle.db);
  return {
    ...handle,
    url,
    close: async () => {
      await handle.close();
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}

/**
 * Declares the same suite once per engine, each with its own fresh database:
 *   describeEachEngine('outbox', (getDb) => { it('...', async () => { const { db } = getDb(); ... }) })
 */
export function describeEachEngine(
  name: string,
  suite: (getDatabase: () => TestDatabase, engine: DatabaseEngine) => void,
): void {
  for (const engine of ENGINES) {
    describe(`${name} [${engine}]`, () => {
      let database: TestDatabase | undefined;
      before(async () => {
        database = await createTestDatabase(engine);
      });
      after(async () => {
        await database?.close();
      });
      suite(() => {
        if (!database) throw new Error('test database not ready');
        return database;
      }, engine);
    });
  }
}
