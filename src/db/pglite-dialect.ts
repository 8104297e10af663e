/**
 * A Kysely dialect for PGlite (PostgreSQL compiled to WebAssembly, running in this process).
 *
 * Kysely 0.28 (the last release that supports Node 20) has no PGlite dialect of its own, so this file
 * supplies the driver and reuses Kysely's PostgreSQL adapter, compiler and introspector: the SQL is
 * PostgreSQL's either way.
 *
 * PGlite is one backend with one session. Kysely may ask for several connections at once (concurrent
 * requests, a transaction beside plain queries), so connections are handed out one at a time behind a
 * queue: a transaction holds the only connection until it commits, exactly as a one-connection pool
 * would. That makes PGlite correct for one process and slow under concurrency, which is why PostgreSQL
 * is the production engine.
 */
import type { PGlite } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

/** How long a query waits for the connection before we call it a deadlock rather than a queue. */
const ACQUIRE_TIMEOUT_MS = 30_000;

export class PGliteDialect implements Dialect {
  constructor(private readonly pglite: PGlite) {}
  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PGliteDriver(this.pglite);
  }
  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}

class PGliteConnection implements DatabaseConnection {
  constructor(private readonly pglite: PGlite) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    // Without parameters, use the simple protocol as node-postgres does, so a migration may hold several
    // statements; the extended protocol (needed for parameters) takes exactly one.
    const result =
      compiledQuery.parameters.length === 0
        ? ((await this.pglite.exec(compiledQuery.sql)).at(-1) ?? { rows: [], affectedRows: 0, fields: [] })
        : await this.pglite.query<R>(compiledQuery.sql, compiledQuery.parameters as unknown[]);
    const command = compiledQuery.query.kind;
    const changesRows =
      command === 'InsertQueryNode' ||
      command === 'UpdateQueryNode' ||
      command === 'DeleteQueryNode' ||
      command === 'MergeQueryNode';
    return {
      rows: result.rows as R[],
      ...(changesRows && result.affectedRows !== undefined
        ? { numAffectedRows: BigInt(result.affectedRows) }
        : {}),
    };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite does not support streaming queries; page through results instead');
  }
}

class PGliteDriver implements Driver {
  readonly #connection: PGliteConnection;
  /** Resolves when the connection is free; each acquirer chains onto it. */
  #queue: Promise<void> = Promise.resolve();
  #release: (() => void) | undefined;

  constructor(private readonly pglite: PGlite) {
    this.#connection = new PGliteConnection(pglite);
  }

  async init(): Promise<void> {
    await this.pglite.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#queue;
    let release!: () => void;
    this.#queue = new Promise<void>((resolve) => (release = resolve));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ACQUIRE_TIMEOUT_MS);
      timer.unref();
    });
    const outcome = await Promise.race([previous.then(() => 'acquired' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      // Give our turn away as soon as it comes, so the queue behind us keeps moving.
      void previous.then(release);
      throw new Error(
        `Waited ${ACQUIRE_TIMEOUT_MS / 1000} s for PGlite's only connection. Most likely code inside a ` +
          'transaction ran a query on the plain database handle instead of the transaction: pass the ' +
          'transaction (trx) down to every call made inside it.',
      );
    }
    this.#release = release;
    return this.#connection;
  }

  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (settings.isolationLevel || settings.accessMode) {
      let sql = 'start transaction';
      if (settings.isolationLevel) sql += ` isolation level ${settings.isolationLevel}`;
      if (settings.accessMode) sql += ` ${settings.accessMode}`;
      await connection.executeQuery(CompiledQuery.raw(sql));
    } else {
      await connection.executeQuery(CompiledQuery.raw('begin'));
    }
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${name}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to savepoint ${name}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint ${name}`));
  }

  async destroy(): Promise<void> {
    if (!this.pglite.closed) await this.pglite.close();
  }
}
