/**
 * The JSON intake under load: POST /api/v1/reports through the real app (routing, idempotency check,
 * place description, one transaction with the case, its timeline and its outbox jobs), listening on
 * 127.0.0.1, driven by concurrent keep-alive HTTP clients, on PostgreSQL and on PGlite. The baseline,
 * measured in the same run on the same database, is the same number of rows written to a table shaped
 * like `cases` with plain single-row transactions: through `pg` from as many concurrent connections
 * (PostgreSQL), or through PGlite's own `transaction()`/`query()` (PGlite). Compare the ratios: they travel
 * between machines, the requests per second do not.
 *
 *   npm run bench:intake
 *   npx tsx bench/intake.bench.ts [--engines postgres,pglite] [--clients 16] [--rounds 3]
 *       [--requests-postgres 1500] [--requests-pglite 300] [--pool-size 10] [--profile-requests 50]
 *
 * CIVICDESK_BENCH_POSTGRES_URL   server where a scratch database is created and dropped
 *                                (default postgres://postgres@127.0.0.1:5432/postgres)
 *
 * The app runs in this process with the in-process worker OFF (this measures intake, not email), so the
 * outbox jobs stay pending and are counted at the end: every 201 must be a committed case with its
 * receipt and team-notice jobs. The load generator only ever connects to 127.0.0.1, sends a fixed number
 * of requests and gives up on any request after 30 s. See bench/README.md for how to read the output.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import type { FastifyInstance } from 'fastify';
import { Kysely, sql } from 'kysely';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase, type DatabaseEngine, type DatabaseHandle } from '../src/db/connect.js';
import type { Database } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { PGliteDialect } from '../src/db/pglite-dialect.js';
import { DEMO_BOUNDS, demoStreets } from '../src/demo/demo-council.js';
import { seedDemoCouncil } from '../src/demo/seed.js';
import { findByIdempotencyKey } from '../src/modules/cases/cases.repository.js';

const POSTGRES_URL =
  process.env.CIVICDESK_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const { values: args } = parseArgs({
  options: {
    engines: { type: 'string', default: 'postgres,pglite' },
    clients: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '3' },
    'requests-postgres': { type: 'string', default: '1500' },
    'requests-pglite': { type: 'string', default: '300' },
    'pool-size': { type: 'string', default: '10' },
    'profile-requests': { type: 'string', default: '50' },
    seed: { type: 'string', default: '1' },
  },
});
const ENGINES = args.engines
  .split(',')
  .map((e) => e.trim())
  .filter((e): e is DatabaseEngine => e === 'pglite' || e === 'postgres');
const CLIENTS = Math.max(1, Number(args.clients));
const ROUNDS = Math.max(1, Number(args.rounds));
const REQUESTS: Record<DatabaseEngine, number> = {
  postgres: Number(args['requests-postgres']),
  pglite: Number(args['requests-pglite']),
};
/** DATABASE_POOL_SIZE for the app (its default is 10, fewer than the 16 clients: that is the point). */
const POOL_SIZE = Number(args['pool-size']);
const PROFILE_REQUESTS = Number(args['profile-requests']);
const SEED = Number(args.seed);
/** Warm-up before anything is timed: JIT, connection pools, the area index, the planner's statistics. */
const WARMUP_FRACTION = 0.1;
const REQUEST_TIMEOUT_MS = 30_000;
/** A hard stop for one round, whatever happens: the bench must end by itself. */
const ROUND_DEADLINE_MS = 180_000;
const HOST = '127.0.0.1';

// ---------------------------------------------------------------------------------------------------------
// Helpers

/** mulberry32: a tiny seeded PRNG, so every run sends the same reports. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)]!;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function percentile(values: ArrayLike<number>, p: number): number {
  const sorted = Array.from(values).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

function format(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return '–';
  return n.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

const mb = (bytes: number) => format(bytes / 2 ** 20);

function table(headers: string[], rows: string[][], leftColumns = 2): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, c) => (c < leftColumns ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (c < leftColumns ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

/** A full collection, so "heap after" is what is still alive, not what the GC has yet to get round to. */
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

function memory(): { rss: number; heapUsed: number; external: number } {
  const { rss, heapUsed, external } = process.memoryUsage();
  return { rss, heapUsed, external };
}

/** Peak RSS while something runs, sampled every 50 ms. */
function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 50);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

/**
 * CPU time used by every PostgreSQL server process on this machine, in ms (Linux /proc; USER_HZ = 100).
 * Approximate: a backend that exits during the interval takes its time with it. Undefined where /proc
 * cannot be read or the server is not local.
 */
function postgresCpuMs(): Map<number, number> | undefined {
  if (!fs.existsSync('/proc/self/stat')) return undefined;
  const result = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (!stat.slice(stat.indexOf('(') + 1, close).startsWith('postgres')) continue;
      const fields = stat.slice(close + 2).split(' ');
      // Fields 14 and 15 (utime, stime) are the 12th and 13th after the command name.
      result.set(Number(entry), (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // The process ended while we looked.
    }
  }
  return result;
}

function postgresCpuSince(before: Map<number, number> | undefined): number {
  const after = postgresCpuMs();
  if (!before || !after || after.size === 0) return NaN;
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

// ---------------------------------------------------------------------------------------------------------
// The reports: varied, valid, inside the demo council, one Idempotency-Key each

interface Report {
  service_code: string;
  lat: number;
  lon: number;
  description: string;
  location_detail?: string;
  answers: Record<string, string | string[]>;
  reporter: { name: string; email: string; phone?: string };
}

/** The demo catalogue's services with answers that never hit a stop answer (those are refused, not cases). */
const SERVICES: { code: string; weight: number; answers(random: () => number): Report['answers'] }[] = [
  {
    code: 'pothole',
    weight: 4,
    answers: (r) => ({ danger: 'no', size: pick(['small', 'medium', 'large'], r) }),
  },
  {
    code: 'street-light',
    weight: 2,
    answers: (r) => ({
      fault: pick(['out', 'flickering', 'day'], r),
      ...(r() < 0.5 ? { column_number: `SL${1000 + Math.floor(r() * 9000)}` } : {}),
    }),
  },
  {
    code: 'fly-tipping',
    weight: 2,
    answers: (r) => {
      const kinds = ['bags', 'furniture', 'building', 'hazardous'].filter(() => r() < 0.5);
      return { waste_type: kinds.length ? kinds : ['bags'] };
    },
  },
  {
    code: 'missed-bin',
    weight: 1,
    answers: (r) => ({ bin: pick(['general', 'recycling', 'garden', 'food'], r) }),
  },
  {
    code: 'speeding',
    weight: 1,
    answers: (r) => ({
      when: pick(['morning', 'evening', 'night', 'all'], r),
      school: pick(['yes', 'no'], r),
      speed_limit: pick(['20', '30', '40', 'unknown'], r),
    }),
  },
];
const WEIGHTED = SERVICES.flatMap((s) => Array.from({ length: s.weight }, () => s));
/** Residents who report more than once are found again by email; the rest are new contacts. */
const RESIDENTS = 500;
const DESCRIPTIONS = [
  'Deep hole by the kerb, cars swerving round it',
  'Has been like this for a couple of weeks now',
  'Right outside the bus stop',
  'Getting worse after the rain',
  '',
];

function makeReports(count: number, random: () => number): Report[] {
  const reports: Report[] = [];
  for (let i = 0; i < count; i++) {
    const service = pick(WEIGHTED, random);
    let lon: number;
    let lat: number;
    if (random() < 0.6) {
      // Most reports are on a street: within about 100 m of a demo street (describePoint finds it).
      const street = pick(demoStreets, random);
      const t = random();
      lon = street.from[0] + (street.to[0] - street.from[0]) * t + (random() - 0.5) * 0.003;
      lat = street.from[1] + (street.to[1] - street.from[1]) * t + (random() - 0.5) * 0.0018;
    } else {
      // The rest anywhere in the council (describePoint falls back to places and postcodes).
      const margin = 0.002;
      lon = DEMO_BOUNDS.west + margin + random() * (DEMO_BOUNDS.east - DEMO_BOUNDS.west - 2 * margin);
      lat = DEMO_BOUNDS.south + margin + random() * (DEMO_BOUNDS.north - DEMO_BOUNDS.south - 2 * margin);
    }
    const resident = Math.floor(random() * RESIDENTS);
    reports.push({
      service_code: service.code,
      lat: Number(lat.toFixed(6)),
      lon: Number(lon.toFixed(6)),
      description: pick(DESCRIPTIONS, random),
      ...(random() < 0.3 ? { location_detail: `outside number ${1 + Math.floor(random() * 120)}` } : {}),
      answers: service.answers(random),
      reporter: {
        name: `Bench Resident ${resident}`,
        email: `resident${resident}@bench.example.org`,
        ...(resident % 3 === 0 ? { phone: `0161 496 ${String(resident).padStart(4, '0')}` } : {}),
      },
    });
  }
  return reports;
}

interface PreparedRequest {
  headers: http.OutgoingHttpHeaders;
  body: string;
}

let requestSerial = 0;

/**
 * Serialised before the clock starts. Every request carries its own Idempotency-Key and its own client
 * address (X-Forwarded-For from 198.18.0.0/15, the range RFC 2544 reserves for benchmarks; the app trusts
 * the proxy header for this run): the API's rate limit is 120 requests a minute per address, and this
 * models many residents' browsers and apps, not one client hammering the API.
 */
function prepare(reports: Report[], key: string, runId: string): PreparedRequest[] {
  return reports.map((report) => {
    const serial = requestSerial++;
    const body = JSON.stringify(report);
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        authorization: `Bearer ${key}`,
        'idempotency-key': `bench-${runId}-${serial}`,
        'x-forwarded-for': `198.${18 + ((serial >> 16) & 1)}.${(serial >> 8) & 255}.${serial & 255}`,
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------------------
// The load generator: N keep-alive connections to 127.0.0.1, a fixed number of requests, then stop

interface RoundResult {
  count: number;
  wallMs: number;
  /** Of the requests that were sent (a round that hits its deadline sends fewer). */
  latencies: number[];
  ok: number;
  failures: Map<string, number>;
  sampleFailure?: string;
  references: string[];
  newConnections: number;
  cpuMs: number;
  postgresCpuMs: number;
  /** Share of the round the event loop was busy (app, load generator and, for PGlite, the database). */
  loopBusy: number;
  peakRss: number;
}

function send(
  agent: http.Agent,
  port: number,
  request: PreparedRequest,
): Promise<{ status: number; body: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      { host: HOST, port, method: 'POST', path: '/api/v1/reports', agent, headers: request.headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            reused: outgoing.reusedSocket,
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.setTimeout(REQUEST_TIMEOUT_MS, () =>
      outgoing.destroy(new Error(`no response within ${REQUEST_TIMEOUT_MS} ms`)),
    );
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

async function drive(port: number, agents: http.Agent[], requests: PreparedRequest[]): Promise<RoundResult> {
  const latencies: number[] = [];
  const failures = new Map<string, number>();
  const references: string[] = [];
  let sampleFailure: string | undefined;
  let next = 0;
  let ok = 0;
  let newConnections = 0;
  const fail = (what: string, detail: string) => {
    failures.set(what, (failures.get(what) ?? 0) + 1);
    sampleFailure ??= `${what}: ${detail.slice(0, 300)}`;
  };

  const sampler = rssSampler();
  const pgBefore = postgresCpuMs();
  const cpuBefore = process.cpuUsage();
  const loopBefore = performance.eventLoopUtilization();
  const started = performance.now();
  await Promise.all(
    agents.map(async (agent) => {
      for (;;) {
        const i = next++;
        if (i >= requests.length) return;
        if (performance.now() - started > ROUND_DEADLINE_MS) {
          fail('not sent (round deadline)', `${requests.length - i} requests left`);
          continue;
        }
        const t = performance.now();
        try {
          const response = await send(agent, port, requests[i]!);
          latencies.push(performance.now() - t);
          if (!response.reused) newConnections++;
          let reference: unknown;
          try {
            reference = (JSON.parse(response.body) as { reference?: unknown }).reference;
          } catch {
            reference = undefined;
          }
          if (response.status === 201 && typeof reference === 'string') {
            ok++;
            references.push(reference);
          } else {
            fail(`HTTP ${response.status}`, response.body);
          }
        } catch (error) {
          latencies.push(performance.now() - t);
          fail('no response', String(error));
        }
      }
    }),
  );
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const loop = performance.eventLoopUtilization(loopBefore);
  return {
    count: requests.length,
    wallMs,
    latencies,
    ok,
    failures,
    ...(sampleFailure ? { sampleFailure } : {}),
    references,
    newConnections,
    cpuMs: (cpu.user + cpu.system) / 1000,
    postgresCpuMs: postgresCpuSince(pgBefore),
    loopBusy: loop.utilization,
    peakRss: sampler.stop(),
  };
}

// ---------------------------------------------------------------------------------------------------------
// The baseline: the same number of rows, single-row transactions, as many concurrent clients

interface Baseline {
  /** Writes `count` rows from `clients` concurrent clients; returns each row's begin→commit latency. */
  insert(count: number, lonLat: (i: number) => [number, number]): Promise<Float64Array>;
  rows(): Promise<number>;
  close(): Promise<void>;
}

const BASELINE_COLUMNS = [
  'reference',
  'service_id',
  'body_id',
  'team_id',
  'channel',
  'description',
  'answers',
  'lat',
  'lon',
  'location_description',
  'location_detail',
  'areas',
  'routing',
  'due_at',
  'reporter_contact_id',
  'reporter_name_public',
  'updates_by_email',
  'is_public',
  'tracking_token_hash',
  'idempotency_key',
  'api_client_id',
] as const;
const BASELINE_INSERT = `insert into bench_case (${BASELINE_COLUMNS.join(', ')})
  values (${BASELINE_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')}) returning id`;

let baselineSerial = 0;

/**
 * A table like `cases` (its columns, defaults, checks and indexes, unique ones included; not its foreign
 * keys), filled with rows copied from a real case the intake wrote, each with its own reference and key.
 */
async function baselineRowMaker(db: Kysely<Database>) {
  await sql`create table bench_case (like cases including defaults including constraints including indexes)`.execute(
    db,
  );
  const template = await db.selectFrom('cases').selectAll().limit(1).executeTakeFirstOrThrow();
  return (lon: number, lat: number): unknown[] => {
    const serial = baselineSerial++;
    const row: Record<string, unknown> = {
      ...template,
      reference: `BEN-${serial.toString(36).toUpperCase().padStart(8, '0')}`,
      idempotency_key: `baseline:${serial}`,
      lon,
      lat,
      answers: JSON.stringify(template.answers),
      areas: JSON.stringify(template.areas),
      routing: JSON.stringify(template.routing),
    };
    return BASELINE_COLUMNS.map((column) => row[column]);
  };
}

async function concurrently(
  count: number,
  workers: number,
  one: (i: number, worker: number) => Promise<void>,
): Promise<Float64Array> {
  const latencies = new Float64Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let i = next++; i < count; i = next++) {
        const t = performance.now();
        await one(i, worker);
        latencies[i] = performance.now() - t;
      }
    }),
  );
  return latencies;
}

async function postgresBaseline(url: string, db: Kysely<Database>): Promise<Baseline> {
  const makeRow = await baselineRowMaker(db);
  const clients = await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      const client = new pg.Client({ connectionString: url, application_name: 'civicdesk-bench-baseline' });
      await client.connect();
      return client;
    }),
  );
  return {
    insert: (count, lonLat) =>
      concurrently(count, CLIENTS, async (i, worker) => {
        const client = clients[worker]!;
        const params = makeRow(...lonLat(i));
        await client.query('begin');
        await client.query(BASELINE_INSERT, params);
        await client.query('commit');
      }),
    rows: async () =>
      Number((await sql<{ n: number }>`select count(*)::int as n from bench_case`.execute(db)).rows[0]!.n),
    close: async () => {
      await Promise.all(clients.map((c) => c.end()));
    },
  };
}

async function pgliteBaseline(pglite: PGlite, db: Kysely<Database>): Promise<Baseline> {
  const makeRow = await baselineRowMaker(db);
  return {
    // PGlite has one session: its transaction() queues callers, as the app's dialect does.
    insert: (count, lonLat) =>
      concurrently(count, CLIENTS, async (i) => {
        const params = makeRow(...lonLat(i));
        await pglite.transaction(async (tx) => {
          await tx.query(BASELINE_INSERT, params);
        });
      }),
    rows: async () =>
      (await pglite.query<{ n: number }>('select count(*)::int as n from bench_case')).rows[0]!.n,
    close: async () => {},
  };
}

// ---------------------------------------------------------------------------------------------------------
// Query tracing for the profile pass (never during timed rounds)

interface TracedQuery {
  sql: string;
  /** performance.now() when the app sent it, and when its result came back. */
  start: number;
  end: number;
}

interface Tracer {
  start(): void;
  stop(): TracedQuery[];
}

/** Wraps node-postgres's Client.prototype.query (the app's pool uses the same class). */
function postgresTracer(): Tracer {
  const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
  const original = proto.query;
  let log: TracedQuery[] = [];
  return {
    start() {
      log = [];
      proto.query = function (this: unknown, ...a: unknown[]) {
        const entry = {
          sql: typeof a[0] === 'string' ? a[0] : String((a[0] as { text?: string })?.text),
          start: performance.now(),
          end: NaN,
        };
        log.push(entry);
        const result = original.apply(this, a);
        if (result && typeof (result as Promise<unknown>).then === 'function') {
          const done = () => {
            entry.end = performance.now();
          };
          void (result as Promise<unknown>).then(done, done);
        }
        return result;
      };
    },
    stop() {
      proto.query = original;
      return log;
    },
  };
}

/** Wraps the PGlite instance's query and exec (what the app's dialect calls). */
function pgliteTracer(pglite: PGlite): Tracer {
  const target = pglite as unknown as Record<'query' | 'exec', (...a: unknown[]) => Promise<unknown>>;
  const originals = { query: target.query, exec: target.exec };
  let log: TracedQuery[] = [];
  return {
    start() {
      log = [];
      for (const method of ['query', 'exec'] as const) {
        target[method] = async (...a: unknown[]) => {
          const entry = { sql: String(a[0]), start: performance.now(), end: NaN };
          log.push(entry);
          try {
            return await originals[method].apply(pglite, a);
          } finally {
            entry.end = performance.now();
          }
        };
      }
    },
    stop() {
      target.query = originals.query;
      target.exec = originals.exec;
      return log;
    },
  };
}

/** Milliseconds during which at least one of the queries was in flight. */
function inFlightMs(queries: TracedQuery[]): number {
  let total = 0;
  let until = -Infinity;
  for (const q of [...queries].sort((a, b) => a.start - b.start)) {
    if (q.end <= until) continue;
    total += q.end - Math.max(q.start, until);
    until = q.end;
  }
  return total;
}

/** A statement in a few words: `select team`, `insert outbox_job` (subqueries and columns left out). */
function shortSql(text: string): string {
  let outer = text.replace(/\s+/g, ' ').trim();
  while (/\([^()]*\)/.test(outer)) outer = outer.replace(/\([^()]*\)/g, '');
  const verb = outer.split(' ')[0]!.toLowerCase();
  if (['begin', 'commit', 'rollback'].includes(verb)) return verb;
  const table = /\b(?:from|into|update)\s+("?[a-z_]+"?)/i.exec(outer)?.[1]?.replace(/"/g, '') ?? '?';
  return `${verb} ${table}`;
}

// ---------------------------------------------------------------------------------------------------------
// One engine, end to end

interface EngineResult {
  engine: DatabaseEngine;
  requests: number;
  rounds: RoundResult[];
  baseline: Float64Array[];
  baselineWallMs: number[];
  baselineCpuMs: number[];
  baselinePostgresCpuMs: number[];
  baselineLoopBusy: number[];
  memoryBefore: ReturnType<typeof memory>;
  memoryAfterGc: ReturnType<typeof memory>;
  verification: string[];
  verified: boolean;
  profile: string[];
}

interface Opened {
  database: DatabaseHandle;
  url?: string;
  pglite?: PGlite;
  dataDir: string;
  cleanup(): Promise<void>;
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function openEngine(engine: DatabaseEngine): Promise<Opened> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `civicdesk-bench-intake-${engine}-`));
  if (engine === 'postgres') {
    const name = `civicdesk_bench_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
    await adminQuery(`create database ${name}`).catch((error: unknown) => {
      fs.rmSync(dataDir, { recursive: true, force: true });
      throw error;
    });
    const parsed = new URL(POSTGRES_URL);
    parsed.pathname = `/${name}`;
    const url = parsed.toString();
    // As `civicdesk serve` opens it: the app's pool, DATABASE_POOL_SIZE connections.
    const database = await openDatabase({ engine: 'postgres', url, poolSize: POOL_SIZE });
    return {
      database,
      url,
      dataDir,
      cleanup: async () => {
        await adminQuery(`drop database if exists ${name} with (force)`);
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  // PGlite in a data folder, with the settings src/db/connect.ts uses; opened here rather than through
  // openDatabase so that the baseline can call PGlite's own query() on the very same instance.
  let pglite: PGlite;
  try {
    fs.mkdirSync(path.join(dataDir, 'pglite'));
    pglite = new PGlite(path.join(dataDir, 'pglite', 'pgdata'), {
      postgresqlconf: ['max_wal_size = 64MB', 'min_wal_size = 32MB'],
      extensions: { pg_trgm },
    });
    await pglite.waitReady;
  } catch (error) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return {
    database: {
      db,
      engine: 'pglite',
      maintain: async () => {
        await sql`vacuum (analyze)`.execute(db);
      },
      close: () => db.destroy(),
    },
    pglite,
    dataDir,
    cleanup: async () => {
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function benchEngine(engine: DatabaseEngine): Promise<EngineResult> {
  const requestsPerRound = REQUESTS[engine];
  const warmup = Math.max(CLIENTS * 4, Math.round(requestsPerRound * WARMUP_FRACTION));
  const opened = await openEngine(engine);
  const { database } = opened;
  let app: FastifyInstance | undefined;
  let baseline: Baseline | undefined;
  const agents = Array.from({ length: CLIENTS }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  try {
    const setupStarted = performance.now();
    await migrateToLatest(database.db);
    await seedDemoCouncil(database.db);
    const config = loadConfig({
      CIVICDESK_ENV: 'production',
      CIVICDESK_SESSION_SECRET: crypto.randomBytes(24).toString('hex'),
      CIVICDESK_BASE_URL: 'https://report.example.gov.uk',
      // Never contacted: the worker is off, so nothing is sent.
      SMTP_URL: 'smtp://127.0.0.1:9',
      CIVICDESK_DATA_DIR: opened.dataDir,
      CIVICDESK_LOG_LEVEL: 'warn',
      CIVICDESK_TRUST_PROXY: 'true',
      HOST,
      PORT: '0',
      ...(opened.url
        ? { DATABASE_URL: opened.url, DATABASE_POOL_SIZE: String(POOL_SIZE), CIVICDESK_RUN_WORKER: 'false' }
        : {}),
    });
    app = await buildApp(config, { database });
    // Listening, but no startBackground(): no worker, no housekeeping timers.
    await app.listen({ host: HOST, port: 0 });
    const address = app.server.address();
    if (!address || typeof address !== 'object' || address.address !== HOST) {
      throw new Error(`The app is not listening on ${HOST}: ${JSON.stringify(address)}`);
    }
    const port = address.port;
    const { client, key } = await app.apiClients.create({
      name: 'Intake benchmark',
      scopes: ['reports:write'],
    });
    const runId = `${engine}-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
    const random = prng(SEED);
    const allReferences = new Set<string>();
    let responses201 = 0;
    const keep = (round: RoundResult) => {
      responses201 += round.ok;
      for (const reference of round.references) allReferences.add(reference);
    };

    // Warm-up: the intake first (the baseline copies a real case), then the baseline.
    const warm = await drive(port, agents, prepare(makeReports(warmup, random), key, runId));
    keep(warm);
    if (warm.ok !== warmup) {
      throw new Error(
        `Warm-up: ${warmup - warm.ok} of ${warmup} requests failed (${warm.sampleFailure ?? '?'})`,
      );
    }
    baseline = opened.pglite
      ? await pgliteBaseline(opened.pglite, database.db)
      : await postgresBaseline(opened.url!, database.db);
    await baseline.insert(warmup, () => [-2.33, 53.435]);
    await sql`analyze`.execute(database.db);
    console.log(
      `${engine}: set up in ${format((performance.now() - setupStarted) / 1000, 1)} s ` +
        `(migrate, seed, API key, listen on ${HOST}:${port}, ${warmup} warm-up requests and rows)`,
    );

    collectGarbage();
    const memoryBefore = memory();
    const rounds: RoundResult[] = [];
    const baselineLatencies: Float64Array[] = [];
    const baselineWallMs: number[] = [];
    const baselineCpuMs: number[] = [];
    const baselinePostgresCpuMs: number[] = [];
    const baselineLoopBusy: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const reports = makeReports(requestsPerRound, random);
      const requests = prepare(reports, key, runId);
      const result = await drive(port, agents, requests);
      keep(result);
      rounds.push(result);

      const pgBefore = postgresCpuMs();
      const cpuBefore = process.cpuUsage();
      const loopBefore = performance.eventLoopUtilization();
      const started = performance.now();
      baselineLatencies.push(
        await baseline.insert(requestsPerRound, (i) => [reports[i]!.lon, reports[i]!.lat]),
      );
      baselineWallMs.push(performance.now() - started);
      const cpu = process.cpuUsage(cpuBefore);
      baselineCpuMs.push((cpu.user + cpu.system) / 1000);
      baselinePostgresCpuMs.push(postgresCpuSince(pgBefore));
      baselineLoopBusy.push(performance.eventLoopUtilization(loopBefore).utilization);
      console.log(
        `${engine}: round ${round + 1}/${ROUNDS}: intake ${format(result.ok)}/${format(result.count)} ` +
          `× 201 at ${format((result.count / result.wallMs) * 1000)} req/s; ` +
          `baseline ${format((requestsPerRound / baselineWallMs.at(-1)!) * 1000)} rows/s` +
          (result.sampleFailure ? `; first failure: ${result.sampleFailure}` : ''),
      );
    }
    collectGarbage();
    const memoryAfterGc = memory();

    // Every 201 is a committed case with its outbox jobs (checked before the profile adds cases).
    const { verification, verified } = await verify(
      database.db,
      client.id,
      responses201,
      allReferences,
      warmup + ROUNDS * requestsPerRound,
      await baseline.rows(),
    );

    const profile = await profilePass(
      app,
      port,
      key,
      runId,
      random,
      engine === 'postgres' ? postgresTracer() : pgliteTracer(opened.pglite!),
    );

    return {
      engine,
      requests: requestsPerRound,
      rounds,
      baseline: baselineLatencies,
      baselineWallMs,
      baselineCpuMs,
      baselinePostgresCpuMs,
      baselineLoopBusy,
      memoryBefore,
      memoryAfterGc,
      verification,
      verified,
      profile,
    };
  } finally {
    for (const agent of agents) agent.destroy();
    // Report, but do not stop at, a failure to close: the scratch database and folder must still go.
    const report = (what: string) => (error: unknown) => console.error(`${engine}: ${what}:`, error);
    await baseline?.close().catch(report('closing the baseline clients'));
    await app?.close().catch(report('closing the app'));
    await database.close().catch(report('closing the database'));
    await opened.cleanup();
  }
}

async function verify(
  db: Kysely<Database>,
  clientId: string,
  responses201: number,
  references: Set<string>,
  sent: number,
  baselineRows: number,
): Promise<{ verification: string[]; verified: boolean }> {
  const count = async (query: ReturnType<typeof sql<{ n: number }>>) =>
    Number((await query.execute(db)).rows[0]!.n);
  const cases = await count(sql`select count(*)::int as n from cases where api_client_id = ${clientId}`);
  const stored = new Set(
    (await db.selectFrom('cases').select('reference').where('api_client_id', '=', clientId).execute()).map(
      (r) => r.reference,
    ),
  );
  const unmatched = [...references].filter((r) => !stored.has(r)).length;
  const withoutReceipt = await count(sql`
    select count(*)::int as n from cases c where c.api_client_id = ${clientId}
      and not exists (select 1 from outbox_job j where j.dedupe_key = 'receipt:' || c.id::text)`);
  const withoutNotice = await count(sql`
    select count(*)::int as n from cases c where c.api_client_id = ${clientId}
      and not exists (select 1 from outbox_job j where j.dedupe_key = 'team-notice:' || c.id::text)`);
  const jobs = (
    await sql<{ kind: string; status: string; n: number }>`
      select split_part(dedupe_key, ':', 1) as kind, status, count(*)::int as n
      from outbox_job group by 1, 2 order by 1, 2`.execute(db)
  ).rows;
  const totalJobs = jobs.reduce((sum, j) => sum + j.n, 0);
  const events = await count(sql`select count(*)::int as n from case_event`);
  const allCases = await count(sql`select count(*)::int as n from cases`);

  const checks: [boolean, string][] = [
    [responses201 === sent, `${format(responses201)} of ${format(sent)} requests answered 201`],
    [
      cases === responses201,
      `${format(cases)} cases in the database for ${format(responses201)} responses 201`,
    ],
    [
      references.size === responses201 && unmatched === 0,
      `${format(references.size)} distinct references returned, ${unmatched} not in the database`,
    ],
    [
      withoutReceipt === 0 && withoutNotice === 0,
      `cases without a receipt job: ${withoutReceipt}, without a team notice: ${withoutNotice}`,
    ],
    [
      jobs.every((j) => j.status === 'pending'),
      `outbox jobs: ${jobs.map((j) => `${j.kind} ${j.status} ${format(j.n)}`).join(', ')} (worker off: all pending)`,
    ],
    [baselineRows === sent, `${format(baselineRows)} baseline rows for ${format(sent)} requests`],
  ];
  const verification = checks.map(([ok, text]) => `${ok ? 'ok  ' : 'FAIL'} ${text}`);
  verification.push(
    `     ${format(totalJobs / allCases, 2)} outbox jobs per case (` +
      jobs.map((j) => `${j.kind} ${format(j.n / allCases, 2)}`).join(', ') +
      `), ${format(events / allCases, 2)} timeline events per case`,
  );
  return { verification, verified: checks.every(([ok]) => ok) };
}

/**
 * Where the time goes, one request at a time (no queueing): the whole HTTP request, the intake called
 * in-process, and each stage called on its own; then every query one in-process submission makes.
 */
async function profilePass(
  app: FastifyInstance,
  port: number,
  key: string,
  runId: string,
  random: () => number,
  tracer: Tracer,
): Promise<string[]> {
  const n = PROFILE_REQUESTS;
  const reports = makeReports(n, random);
  const requests = prepare(makeReports(n, random), key, `${runId}-profile`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const client = (await app.apiClients.authenticate(key))!;
  const stages: Record<string, number[]> = {
    'HTTP POST /api/v1/reports, one client': [],
    'intake.submit() in-process': [],
    'apiClients.authenticate()': [],
    'findByIdempotencyKey()': [],
    'services.get()': [],
    'routing.route()': [],
    'gazetteer.describePoint()': [],
  };
  const time = async (stage: string, run: () => Promise<unknown>) => {
    const t = performance.now();
    await run();
    stages[stage]!.push(performance.now() - t);
  };
  const submission = (report: Report, i: number) => ({
    serviceCode: report.service_code,
    lat: report.lat,
    lon: report.lon,
    description: report.description,
    answers: report.answers,
    reporter: { ...report.reporter, wantsUpdates: true, showNamePublicly: false },
    channel: 'api' as const,
    apiClientId: client.id,
    idempotencyKey: `api:${client.id}:profile-${runId}-${i}`,
  });
  try {
    for (let i = 0; i < n; i++) {
      const report = reports[i]!;
      await time('HTTP POST /api/v1/reports, one client', async () => {
        const response = await send(agent, port, requests[i]!);
        if (response.status !== 201) throw new Error(`profile: HTTP ${response.status} ${response.body}`);
      });
      await time('intake.submit() in-process', () => app.intake.submit(submission(report, i)));
      await time('apiClients.authenticate()', () => app.apiClients.authenticate(key));
      await time('findByIdempotencyKey()', () => findByIdempotencyKey(app.db, `api:${client.id}:none-${i}`));
      await time('services.get()', () => app.domain.services.get(report.service_code));
      await time('routing.route()', () =>
        app.domain.routing.route({
          lat: report.lat,
          lon: report.lon,
          serviceCode: report.service_code,
          answers: report.answers,
        }),
      );
      await time('gazetteer.describePoint()', () =>
        app.domain.gazetteer.describePoint(report.lon, report.lat),
      );
    }

    // Every statement of a few in-process submissions, in order, with its time.
    const traces: { queries: TracedQuery[]; wallMs: number }[] = [];
    for (let i = 0; i < 20; i++) {
      tracer.start();
      const t = performance.now();
      await app.intake.submit(submission(reports[i % n]!, n + i));
      const wallMs = performance.now() - t;
      await new Promise((resolve) => setImmediate(resolve));
      traces.push({ queries: tracer.stop(), wallMs });
    }
    // The most common count: describePoint asks one or two more when no street is near.
    const lengths = traces.map((t) => t.queries.length);
    const perRequest = lengths
      .slice()
      .sort((a, b) => lengths.filter((l) => l === b).length - lengths.filter((l) => l === a).length)[0]!;
    const typical = traces.filter((t) => t.queries.length === perRequest);
    const trace = (typical[0] ?? traces[0]!).queries;
    const isVerb = (verb: string) => (q: TracedQuery) => shortSql(q.sql) === verb;
    const inTransaction = (queries: TracedQuery[]) =>
      queries.slice(queries.findIndex(isVerb('begin')), queries.findIndex(isVerb('commit')) + 1);
    const counts = new Map<string, number>();
    for (const q of trace) counts.set(shortSql(q.sql), (counts.get(shortSql(q.sql)) ?? 0) + 1);
    const repeated = [...counts].filter(([, c]) => c > 1).sort((a, b) => b[1] - a[1]);
    const p50 = (values: number[]) => format(median(values), 2);

    const lines = Object.keys(stages).map(
      (stage) =>
        `  ${stage.padEnd(40)} p50 ${format(percentile(stages[stage]!, 50), 2).padStart(6)} ms   ` +
        `p99 ${format(percentile(stages[stage]!, 99), 2).padStart(6)} ms`,
    );
    lines.push(
      `  one traced submission (p50 of 20): ${p50(traces.map((t) => t.wallMs))} ms, a query in flight for ` +
        `${p50(traces.map((t) => inFlightMs(t.queries)))} ms of it, the rest is JavaScript between queries; ` +
        `begin→commit ${p50(
          traces.map((t) => {
            const tx = inTransaction(t.queries);
            return tx.at(-1)!.end - tx[0]!.start;
          }),
        )} ms, ` +
        `waiting on queries ${p50(traces.map((t) => inFlightMs(inTransaction(t.queries))))} ms of it`,
      `  queries per submission: ${perRequest}, ${inTransaction(trace).length} of them begin→commit ` +
        `(+1 for the API key on HTTP); repeated: ${repeated.map(([q, c]) => `${c}× ${q}`).join('; ') || 'none'}`,
      `  in order, ms each (median): ${trace
        .map(
          (q, i) =>
            `${shortSql(q.sql)} ${format(median(typical.map((t) => t.queries[i]!.end - t.queries[i]!.start)), 1)}`,
        )
        .join(' → ')}`,
    );
    return lines;
  } finally {
    tracer.stop();
    agent.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------------

function printResults(results: EngineResult[]): void {
  const headers = [
    'engine',
    'workload',
    'rows/round',
    'median req/s',
    'vs baseline',
    'p50 ms',
    'p99 ms',
    'not 201',
    'node CPU ms/req',
    'PG CPU ms/req',
    'event loop busy',
    'RSS MB before→peak→after GC',
    'heap MB before→after GC',
  ];
  const rows: string[][] = [];
  for (const r of results) {
    const intakeRates = r.rounds.map((round) => (round.count / round.wallMs) * 1000);
    const baselineRates = r.baselineWallMs.map((ms) => (r.requests / ms) * 1000);
    const intakeRate = median(intakeRates);
    const baselineRate = median(baselineRates);
    const failures = r.rounds.reduce((sum, round) => sum + (round.count - round.ok), 0);
    const perRequest = (values: number[]) => format(median(values) / r.requests, 2);
    rows.push([
      r.engine,
      `intake: POST /api/v1/reports, ${CLIENTS} keep-alive clients`,
      format(r.requests),
      format(intakeRate),
      `${format(intakeRate / baselineRate, 3)}×`,
      format(median(r.rounds.map((round) => percentile(round.latencies, 50))), 2),
      format(median(r.rounds.map((round) => percentile(round.latencies, 99))), 2),
      format(failures),
      perRequest(r.rounds.map((round) => round.cpuMs)),
      r.engine === 'postgres' ? perRequest(r.rounds.map((round) => round.postgresCpuMs)) : 'in node',
      `${format(100 * median(r.rounds.map((round) => round.loopBusy)))}%`,
      `${mb(r.memoryBefore.rss)}→${mb(Math.max(...r.rounds.map((round) => round.peakRss)))}→${mb(r.memoryAfterGc.rss)}`,
      `${mb(r.memoryBefore.heapUsed)}→${mb(r.memoryAfterGc.heapUsed)}`,
    ]);
    rows.push([
      r.engine,
      r.engine === 'postgres'
        ? `baseline: pg, ${CLIENTS} clients, begin/insert/commit`
        : `baseline: pglite.transaction(query), ${CLIENTS} callers`,
      format(r.requests),
      format(baselineRate),
      '1.000×',
      format(median(r.baseline.map((l) => percentile(l, 50))), 2),
      format(median(r.baseline.map((l) => percentile(l, 99))), 2),
      '–',
      perRequest(r.baselineCpuMs),
      r.engine === 'postgres' ? perRequest(r.baselinePostgresCpuMs) : 'in node',
      `${format(100 * median(r.baselineLoopBusy))}%`,
      '',
      '',
    ]);
  }
  console.log(table(headers, rows));
}

function loadAverage(): string {
  return os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log(
    `Intake benchmark: node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.availableParallelism()}; ` +
      `${CLIENTS} clients, ${ROUNDS} rounds (median reported), app pool ${POOL_SIZE} connections (PostgreSQL), ` +
      `requests per round: ${ENGINES.map((e) => `${e} ${format(REQUESTS[e])}`).join(', ')}; ` +
      `load average ${loadAverage()} (other work on this machine skews every number)\n`,
  );
  const results: EngineResult[] = [];
  for (const engine of ENGINES) results.push(await benchEngine(engine));

  console.log('');
  printResults(results);
  for (const r of results) {
    const connections = r.rounds.reduce((sum, round) => sum + round.newConnections, 0);
    console.log(
      `\n${r.engine}: checks after ${format(r.rounds.length)} rounds (${connections} new connections during timed rounds):`,
    );
    for (const line of r.verification) console.log(`  ${line}`);
    for (const [i, round] of r.rounds.entries()) {
      if (round.failures.size === 0) continue;
      console.log(
        `  FAIL round ${i + 1}: ${[...round.failures].map(([what, n]) => `${n}× ${what}`).join(', ')}; first: ${round.sampleFailure}`,
      );
    }
    console.log(`${r.engine}: where the time goes, one request at a time (${PROFILE_REQUESTS} of each):`);
    for (const line of r.profile) console.log(line);
  }
  console.log(
    `\nnode CPU is this process: the app, the load generator and (for PGlite) the database. PG CPU is every ` +
      `local postgres process (≈, 10 ms ticks). Load average now ${loadAverage()}. ` +
      `Total ${format((performance.now() - started) / 1000, 1)} s.`,
  );
  if (results.some((r) => !r.verified)) process.exitCode = 1;
}

await main();
