/**
 * Background jobs through the transactional outbox.
 *
 * A service that causes work (an email, a push to another system) calls `jobs.enqueue(trx, ...)` inside
 * its own transaction: the job is committed with the change or not at all. Workers (in the web process
 * by default, or `civicdesk worker` processes) claim due jobs, run the handler registered for the job's
 * kind, and on failure retry with growing delays until the job is dead-lettered with its last error.
 * Delivery is at-least-once: handlers must be safe to run again (use idempotency keys where the other
 * side supports them).
 */
import crypto from 'node:crypto';
import os from 'node:os';
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger as Logger } from 'fastify';
import type { Database, OutboxJobRow } from '../../db/database.js';
import { retryDelayMs } from './backoff.js';
import * as outbox from './outbox.repository.js';
import type { EnqueueOptions, Executor } from './outbox.repository.js';

export interface JobContext {
  job: OutboxJobRow;
  /** Aborted when the job's lease is about to run out or the worker is shutting down. */
  signal: AbortSignal;
  log: Logger;
}

export type JobHandler = (payload: Record<string, unknown>, context: JobContext) => Promise<void>;

export interface JobSettings {
  maxAttempts: number;
  leaseSeconds: number;
  concurrency: number;
  pollMs: number;
  /** Retry delays: override in tests to see retries in milliseconds rather than minutes. */
  backoff?: { baseMs: number; maxMs: number };
}

export class Jobs {
  readonly #handlers = new Map<string, JobHandler>();
  readonly #wakeListeners = new Set<() => void>();

  constructor(
    private readonly db: Kysely<Database>,
    readonly settings: JobSettings,
  ) {}

  /** Registers the handler for a job kind; modules do this when they are registered. */
  register(kind: string, handler: JobHandler): void {
    if (this.#handlers.has(kind)) throw new Error(`A handler for job kind "${kind}" is already registered`);
    this.#handlers.set(kind, handler);
  }

  handlerFor(kind: string): JobHandler | undefined {
    return this.#handlers.get(kind);
  }

  /**
   * Adds a job within the caller's transaction (or on its own if given the plain database handle).
   * Returns the job id, or undefined when a job with the same dedupe key already exists.
   */
  async enqueue(
    executor: Executor,
    kind: string,
    payload: Record<string, unknown>,
    options: EnqueueOptions = {},
  ): Promise<number | undefined> {
    if (!this.#handlers.has(kind)) throw new Error(`No handler is registered for job kind "${kind}"`);
    return outbox.insertJob(executor, kind, payload, {
      ...options,
      maxAttempts: options.maxAttempts ?? this.settings.maxAttempts,
    });
  }

  /** Tells workers in this process to look for jobs now rather than at their next poll. */
  wake(): void {
    for (const listener of this.#wakeListeners) listener();
  }

  createWorker(log: Logger, workerId?: string): Worker {
    return new Worker(this.db, this, log, workerId);
  }

  onWake(listener: () => void): () => void {
    this.#wakeListeners.add(listener);
    return () => this.#wakeListeners.delete(listener);
  }
}

const HEARTBEAT_MS = 10_000;
/** A worker counts as alive for /readyz if it beat within this window. */
export const WORKER_ALIVE_SECONDS = 45;

export class Worker {
  readonly id: string;
  readonly #inFlight = new Map<number, { promise: Promise<void>; abort: AbortController }>();
  #running = false;
  /** Set by stop(): jobs aborted from now on are being handed back, not failing. */
  #releasing = false;
  #loop: Promise<void> | undefined;
  #wakeUp: (() => void) | undefined;
  #unsubscribeWake: (() => void) | undefined;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly jobs: Jobs,
    private readonly log: Logger,
    workerId?: string,
  ) {
    this.id = workerId ?? `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
  }

  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    await outbox.beat(this.db, this.id, os.hostname(), process.pid);
    this.#heartbeat = setInterval(() => {
      outbox.beat(this.db, this.id, os.hostname(), process.pid).catch((error: unknown) => {
        this.log.warn({ err: error }, 'worker heartbeat failed');
      });
    }, HEARTBEAT_MS);
    this.#heartbeat.unref();
    this.#unsubscribeWake = this.jobs.onWake(() => this.#wakeUp?.());
    this.#loop = this.#run();
    this.log.info({ workerId: this.id }, 'worker started');
  }

  /**
   * Stops claiming, waits up to `graceMs` for running jobs to finish, then aborts the rest and hands them
   * back to the queue so another worker picks them up at once.
   */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#releasing = false;
    clearInterval(this.#heartbeat);
    this.#unsubscribeWake?.();
    this.#wakeUp?.();
    await this.#loop;

    const pending = [...this.#inFlight.values()].map((entry) => entry.promise);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(pending),
      new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timer);
    const unfinished = [...this.#inFlight.keys()];
    if (unfinished.length > 0) {
      this.#releasing = true;
      for (const entry of this.#inFlight.values()) entry.abort.abort(new Error('worker shutting down'));
      await outbox.releaseJobs(this.db, unfinished, this.id);
      this.log.warn({ jobs: unfinished }, 'released unfinished jobs on shutdown');
    }
    await outbox.removeHeartbeat(this.db, this.id).catch(() => {});
    this.log.info({ workerId: this.id }, 'worker stopped');
  }

  /** Claims one batch and runs it to completion. For tests and one-off draining. */
  async runOnce(): Promise<number> {
    const jobs = await outbox.claimJobs(
      this.db,
      this.id,
      this.jobs.settings.concurrency,
      this.jobs.settings.leaseSeconds,
    );
    await Promise.all(jobs.map((job) => this.#execute(job)));
    return jobs.length;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let claimed = 0;
      const free = this.jobs.settings.concurrency - this.#inFlight.size;
      if (free > 0) {
        try {
          const jobs = await outbox.claimJobs(this.db, this.id, free, this.jobs.settings.leaseSeconds);
          claimed = jobs.length;
          for (const job of jobs) this.#track(job);
        } catch (error) {
          this.log.error({ err: error }, 'claiming jobs failed');
        }
      }
      // Go straight round again while there is work and room; otherwise sleep until polled or woken.
      if (claimed > 0 && claimed === free) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.jobs.settings.pollMs);
        this.#wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wakeUp = undefined;
    }
  }

  #track(job: OutboxJobRow): void {
    const abort = new AbortController();
    const promise = this.#execute(job, abort).finally(() => {
      this.#inFlight.delete(job.id);
      this.#wakeUp?.(); // a slot is free
    });
    this.#inFlight.set(job.id, { promise, abort });
  }

  async #execute(job: OutboxJobRow, abort = new AbortController()): Promise<void> {
    const log = this.log.child({ jobId: job.id, kind: job.kind, attempt: job.attempts });
    // Stop the handler before the lease runs out, so no other worker starts the same job meanwhile.
    const leaseTimer = setTimeout(
      () => abort.abort(new Error('job took longer than its lease')),
      this.jobs.settings.leaseSeconds * 800,
    );
    try {
      const handler = this.jobs.handlerFor(job.kind);
      if (!handler) throw new Error(`No handler is registered for job kind "${job.kind}"`);
      await handler(job.payload, { job, signal: abort.signal, log });
      if (abort.signal.aborted) throw abort.signal.reason;
      await outbox.markDone(this.db, job.id, this.id);
      log.debug('job done');
    } catch (error) {
      const message = describeError(error);
      const attemptsLeft = job.attempts < job.max_attempts;
      const delay = attemptsLeft ? retryDelayMs(job.attempts, this.jobs.settings.backoff) : null;
      if (this.#releasing) return; // handed back by stop(): not the job's fault, not an attempt
      await outbox.markFailed(this.db, job, this.id, message, delay).catch((dbError: unknown) => {
        log.error({ err: dbError }, 'could not record job failure; it will be retried when its lease ends');
      });
      if (delay === null) log.error({ error: message }, 'job dead-lettered after its last attempt');
      else log.warn({ error: message, retryInMs: delay }, 'job failed; will retry');
    } finally {
      clearTimeout(leaseTimer);
    }
  }
}

function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, 4000);
}
