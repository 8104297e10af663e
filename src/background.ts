/**
 * Work that runs beside the web server, or alone in a `civicdesk worker` process: the outbox worker and
 * housekeeping (PGlite vacuum, expired sessions, old finished jobs).
 */
import type { FastifyInstance } from 'fastify';
import { deleteFinishedJobs } from './infra/jobs/outbox.repository.js';
import { deleteExpiredSessions } from './infra/session.js';
import { startInboundEmail } from './modules/delivery/index.js';

const HOUSEKEEPING_MS = 15 * 60 * 1000;
const KEEP_FINISHED_JOBS_DAYS = 30;

export interface Background {
  stop(graceMs?: number): Promise<void>;
}

export async function startBackground(app: FastifyInstance): Promise<Background> {
  const worker = app.jobs.createWorker(app.log.child({ component: 'worker' }));
  await worker.start();
  // Replies to cases emailed to bodies: an SMTP listener or an IMAP poller, if configured.
  const inboundEmail = await startInboundEmail(app);

  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, name: string, task: () => Promise<unknown>) => {
    const timer = setInterval(() => {
      task().catch((error: unknown) => app.log.warn({ err: error }, `${name} failed`));
    }, ms);
    timer.unref();
    timers.push(timer);
  };

  every(HOUSEKEEPING_MS, 'housekeeping', async () => {
    await deleteExpiredSessions(app.db);
    await deleteFinishedJobs(app.db, new Date(Date.now() - KEEP_FINISHED_JOBS_DAYS * 86_400_000));
    // Photos uploaded to a report that was never sent.
    await app.photos.deleteOrphans();
  });
  // Residents whose case passed its due date hear so, once, with a new date.
  every(60_000, 'overdue notices', () => app.cases.sendOverdueNotices());
  // Updates from the Open311 endpoints cases were delivered to (safe from several workers at once).
  every(app.config.CIVICDESK_OPEN311_POLL_SECONDS * 1000, 'open311 updates', () =>
    app.delivery.open311.pollAll(),
  );
  // PGlite has no autovacuum; on PostgreSQL this is a no-op.
  const vacuumMinutes = app.config.CIVICDESK_VACUUM_INTERVAL_MINUTES;
  if (app.database.engine === 'pglite' && vacuumMinutes > 0) {
    every(vacuumMinutes * 60_000, 'vacuum', () => app.database.maintain());
  }

  return {
    async stop(graceMs = 10_000) {
      for (const timer of timers) clearInterval(timer);
      await inboundEmail?.stop();
      await worker.stop(graceMs);
    },
  };
}
