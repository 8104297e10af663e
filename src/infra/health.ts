/**
 * /healthz: the process is up (for a process supervisor). /readyz: this process can do its job (for a
 * load balancer): the database answers, every migration is applied, and a background worker is alive
 * somewhere (in this process or a `civicdesk worker`).
 */
import fp from 'fastify-plugin';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { pendingMigrations } from '../db/migrate.js';
import { liveWorkerCount } from './jobs/outbox.repository.js';
import { WORKER_ALIVE_SECONDS } from './jobs/jobs.js';

interface Check {
  ok: boolean;
  detail?: string;
}

export default fp(
  async (app, opts: { db: Kysely<Database> }) => {
    const { db } = opts;
    app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));

    app.get('/readyz', { logLevel: 'warn' }, async (request, reply) => {
      // Details go to the log; the response says only which check failed.
      const failed = (name: string, error: unknown): Check => {
        request.log.warn({ err: error, check: name }, 'readiness check failed');
        return { ok: false, detail: 'failed: see the server log' };
      };
      const checks: Record<string, Check> = {};
      try {
        await sql`select 1`.execute(db);
        checks.database = { ok: true };
      } catch (error) {
        checks.database = failed('database', error);
      }
      if (checks.database.ok) {
        try {
          const pending = await pendingMigrations(db);
          checks.migrations =
            pending.length === 0 ? { ok: true } : { ok: false, detail: `pending: ${pending.join(', ')}` };
        } catch (error) {
          checks.migrations = failed('migrations', error);
        }
        try {
          const workers = await liveWorkerCount(db, WORKER_ALIVE_SECONDS);
          checks.worker =
            workers > 0
              ? { ok: true, detail: `${workers} alive` }
              : { ok: false, detail: `no worker seen in the last ${WORKER_ALIVE_SECONDS} s` };
        } catch (error) {
          checks.worker = failed('worker', error);
        }
      }
      const ready = Object.values(checks).every((check) => check.ok) && checks.worker !== undefined;
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
    });
  },
  { name: 'health' },
);
