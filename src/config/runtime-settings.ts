/**
 * Settings for the process itself: environment, where it listens, its database and data folder (the
 * first group of settings), and how it logs and runs background work (the last group). Kept apart from
 * the feature settings because they decide how Civicdesk runs, not what it shows or sends.
 */
import { Type, type Static, type TObject } from 'typebox';
import { Port, PositiveInt } from './setting-types.js';

export const processSettings = {
  CIVICDESK_ENV: Type.Union([Type.Literal('development'), Type.Literal('test'), Type.Literal('production')], {
    default: 'development',
    description:
      'development (default): demo seed and the sent-emails page. production: secrets and SMTP required, no demo data, no development pages. test: used by the test suite.',
  }),
  PORT: Type.Integer({ ...Port, default: 3000, description: 'TCP port the web server listens on.' }),
  HOST: Type.String({
    default: '127.0.0.1',
    minLength: 1,
    description: 'Interface the web server binds to. Use 0.0.0.0 inside a container or behind a proxy.',
  }),
  DATABASE_URL: Type.Optional(
    Type.String({
      pattern: '^postgres(ql)?://',
      description:
        'PostgreSQL connection string (postgres://user:pass@host:5432/db). Unset: the embedded PGlite database in CIVICDESK_DATA_DIR/pglite (one process, evaluation only).',
    }),
  ),
  DATABASE_POOL_SIZE: Type.Integer({
    ...PositiveInt,
    default: 10,
    description: 'Maximum PostgreSQL connections per process (ignored for PGlite).',
  }),
  CIVICDESK_DATA_DIR: Type.String({
    default: './data',
    minLength: 1,
    description:
      'Folder for local data: the PGlite database (pglite/), the file mailbox (mail/), residents’ photos (uploads/photos/) and the demo sign-ins (demo-credentials.txt).',
  }),
};

export const workerSettings = {
  CIVICDESK_TRUST_PROXY: Type.Boolean({
    default: false,
    description: 'Set to true behind a reverse proxy so client addresses come from X-Forwarded-For.',
  }),
  CIVICDESK_LOG_LEVEL: Type.Union(
    [
      Type.Literal('fatal'),
      Type.Literal('error'),
      Type.Literal('warn'),
      Type.Literal('info'),
      Type.Literal('debug'),
      Type.Literal('trace'),
      Type.Literal('silent'),
    ],
    { default: 'info', description: 'Log level (pino): fatal, error, warn, info, debug, trace or silent.' },
  ),
  CIVICDESK_RUN_WORKER: Type.Boolean({
    default: true,
    description:
      'Run the background worker inside `civicdesk serve`. Set to false when running `civicdesk worker` processes separately.',
  }),
  CIVICDESK_WORKER_CONCURRENCY: Type.Integer({
    ...PositiveInt,
    maximum: 100,
    default: 4,
    description: 'Jobs one worker process runs at the same time.',
  }),
  CIVICDESK_WORKER_POLL_MS: Type.Integer({
    minimum: 50,
    default: 1000,
    description: 'How often an idle worker looks for due jobs, in milliseconds.',
  }),
  CIVICDESK_JOB_MAX_ATTEMPTS: Type.Integer({
    ...PositiveInt,
    maximum: 50,
    default: 8,
    description: 'Attempts before a failing job is dead-lettered (kept with its last error).',
  }),
  CIVICDESK_JOB_LEASE_SECONDS: Type.Integer({
    minimum: 5,
    default: 120,
    description:
      'How long a claimed job is reserved for its worker; a job whose worker died is retried after this.',
  }),
  CIVICDESK_DEMO_SEED: Type.Boolean({
    default: true,
    description: 'Seed the fictional demo council into an empty database when serving (never in production).',
  }),
  CIVICDESK_VACUUM_INTERVAL_MINUTES: Type.Integer({
    minimum: 0,
    default: 60,
    description: 'PGlite only (it has no autovacuum): run VACUUM (ANALYZE) this often; 0 turns it off.',
  }),
};

type RuntimeRaw = Static<TObject<typeof processSettings & typeof workerSettings>>;

/** Problems with the process settings taken together; added to `problems`. */
export function runtimeProblems(config: RuntimeRaw, problems: string[]): void {
  if (!config.DATABASE_URL && !config.CIVICDESK_RUN_WORKER) {
    problems.push(
      'CIVICDESK_RUN_WORKER=false needs PostgreSQL (DATABASE_URL): with the embedded database no separate worker can run, so no email would ever be sent',
    );
  }
}
