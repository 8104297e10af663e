import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from './connect.js';
import { migrateToLatest, pendingMigrations } from './migrate.js';

describe('embedded PGlite in a data folder', () => {
  it('caps the WAL, vacuums on request, keeps data across restarts and locks the folder', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'civicdesk-pglite-'));
    try {
      const first = await openDatabase({ engine: 'pglite', dataDir: dir });
      const wal = await sql<{ max_wal_size: string }>`show max_wal_size`.execute(first.db);
      assert.equal(wal.rows[0]?.max_wal_size, '64MB');
      await migrateToLatest(first.db);
      await first.db
        .insertInto('body')
        .values({
          code: 'kept',
          name: 'Kept Council',
          kind: 'unitary',
          email: null,
          phone: null,
          website: null,
        })
        .execute();
      await first.maintain(); // VACUUM (ANALYZE): PGlite has no autovacuum
      await assert.rejects(
        openDatabase({ engine: 'pglite', dataDir: dir }),
        /in use by another Civicdesk process/,
      );
      await first.close();

      const second = await openDatabase({ engine: 'pglite', dataDir: dir });
      assert.deepEqual(await pendingMigrations(second.db), []);
      const row = await second.db
        .selectFrom('body')
        .select('name')
        .where('code', '=', 'kept')
        .executeTakeFirst();
      assert.equal(row?.name, 'Kept Council');
      await second.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
