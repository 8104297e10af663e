/**
 * The back office at scale: the officer's queue pages and the case page over real HTTP, with 10,000,
 * 100,000 and 1,000,000 generated cases (bench/lib/case-generator.ts) on PostgreSQL. The baseline,
 * measured in the same run against the same app, is GET /healthz (no database work beyond a ping).
 *
 *   npm run bench:back-office
 *   CIVICDESK_BENCH_SIZES=10000,100000 npx tsx bench/back-office.bench.ts [--clients 4] [--seconds 10]
 *
 * CIVICDESK_BENCH_POSTGRES_URL   server where a scratch database is created and dropped per size
 *                                (default postgres://postgres@127.0.0.1:5432/postgres)
 * CIVICDESK_BENCH_SIZES          case counts, comma-separated (default 10000,100000,1000000)
 *
 * For each size: a scratch database, migrated, the demo council seeded, N cases generated, ANALYZE; the
 * real app (production settings, no worker) listening on 127.0.0.1; the demo officer signs in through the
 * sign-in form (officers need no TOTP unless CIVICDESK_STAFF_TOTP_REQUIRED); then each page is driven by
 * a few keep-alive clients for a fixed time. Every response must be a 200 with the page's marker in it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { seedDemoCouncil } from '../src/demo/seed.js';
import { generateCases } from './lib/case-generator.js';

const POSTGRES_URL =
  process.env.CIVICDESK_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SIZES = (process.env.CIVICDESK_BENCH_SIZES ?? '10000,100000,1000000')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0);

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '10' },
    'pool-size': { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    explain: { type: 'boolean', default: true },
  },
});
const CLIENTS = Math.max(1, Number(args.clients));
const SECONDS = Math.max(1, Number(args.seconds));
const POOL_SIZE = Number(args['pool-size']);
const SEED = Number(args.seed);
const HOST = '127.0.0.1';
const REQUEST_TIMEOUT_MS = 60_000;
/** A word in about one description in twelve (see the generator): the text search has work to do. */
const SEARCH_WORD = 'kerb';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function format(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return '–';
  return n.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function table(headers: string[], rows: string[][], leftColumns = 2): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, c) => (c < leftColumns ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (c < leftColumns ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
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

interface Response {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

function request(
  agent: http.Agent,
  port: number,
  method: 'GET' | 'POST',
  urlPath: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: HOST, port, method, path: urlPath, agent, headers, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The demo officer signs in through the form, as a person would; returns the session cookie. */
async function signIn(port: number, email: string, password: string): Promise<string> {
  const agent = new http.Agent({ keepAlive: false });
  const form = await request(agent, port, 'GET', '/staff/sign-in');
  const cookie = String(form.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1];
  if (!cookie || !csrf) throw new Error('The sign-in form has no session cookie or CSRF token');
  const posted = await request(
    agent,
    port,
    'POST',
    '/staff/sign-in',
    { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    new URLSearchParams({ _csrf: csrf, email, password }).toString(),
  );
  if (posted.status !== 303) throw new Error(`Sign-in answered ${posted.status}`);
  // Signing in replaces the session (a new cookie), so a fixated session id is worthless.
  const signedIn = String(posted.headers['set-cookie']?.[0] ?? cookie).split(';')[0]!;
  const check = await request(agent, port, 'GET', '/staff/cases', { cookie: signedIn });
  if (check.status !== 200) throw new Error(`The queue answered ${check.status} after sign-in`);
  return signedIn;
}

interface Measured {
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  failures: number;
}

/** CLIENTS keep-alive clients request `next()` back to back for SECONDS; every response is checked. */
async function drive(
  port: number,
  cookie: string,
  next: () => string,
  ok: (response: Response) => boolean,
): Promise<Measured> {
  const agents = Array.from({ length: CLIENTS }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  const run = async (ms: number, latencies: number[]) => {
    let failures = 0;
    const deadline = performance.now() + ms;
    await Promise.all(
      agents.map(async (agent) => {
        while (performance.now() < deadline) {
          const started = performance.now();
          try {
            const response = await request(agent, port, 'GET', next(), { cookie });
            if (!ok(response)) failures++;
          } catch {
            failures++;
          }
          latencies.push(performance.now() - started);
        }
      }),
    );
    return failures;
  };
  try {
    await run(Math.min(2000, SECONDS * 200), []); // warm-up: JIT, pool, caches
    const latencies: number[] = [];
    const started = performance.now();
    const failures = await run(SECONDS * 1000, latencies);
    const elapsed = (performance.now() - started) / 1000;
    return {
      requests: latencies.length,
      perSecond: latencies.length / elapsed,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      failures,
    };
  } finally {
    for (const agent of agents) agent.destroy();
  }
}

interface Row {
  size: number;
  page: string;
  measured: Measured;
}

async function benchSize(size: number): Promise<{ rows: Row[]; notes: string[] }> {
  const name = `civicdesk_bench_bo_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const parsed = new URL(POSTGRES_URL);
  parsed.pathname = `/${name}`;
  const url = parsed.toString();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'civicdesk-bench-back-office-'));
  const database = await openDatabase({ engine: 'postgres', url, poolSize: POOL_SIZE });
  let app: FastifyInstance | undefined;
  const notes: string[] = [];
  try {
    await migrateToLatest(database.db);
    const credentials = await seedDemoCouncil(database.db);
    const officer = credentials!.find((c) => c.role === 'officer')!;
    const generated = await generateCases(database.db, {
      count: size,
      seed: SEED,
      onProgress: (done, total) =>
        process.stderr.write(`\r  generating ${format(done)} / ${format(total)} cases`),
    });
    process.stderr.write('\n');
    const analyzeStarted = performance.now();
    await sql`vacuum analyze`.execute(database.db);
    notes.push(
      `${format(size)} cases: generated in ${format(generated.ms / 1000, 1)} s (${format(generated.contacts)} contacts, ${format(generated.events)} events, ${generated.wards} wards), vacuum analyze ${format((performance.now() - analyzeStarted) / 1000, 1)} s`,
    );

    const config = loadConfig({
      CIVICDESK_ENV: 'production',
      CIVICDESK_SESSION_SECRET: crypto.randomBytes(24).toString('hex'),
      CIVICDESK_BASE_URL: 'https://report.example.gov.uk',
      SMTP_URL: 'smtp://127.0.0.1:9',
      CIVICDESK_DATA_DIR: dataDir,
      CIVICDESK_LOG_LEVEL: 'warn',
      HOST,
      PORT: '0',
      DATABASE_URL: url,
      DATABASE_POOL_SIZE: String(POOL_SIZE),
      CIVICDESK_RUN_WORKER: 'false',
    });
    app = await buildApp(config, { database });
    await app.listen({ host: HOST, port: 0 });
    const address = app.server.address();
    if (!address || typeof address !== 'object') throw new Error('The app is not listening');
    const port = address.port;
    const cookie = await signIn(port, officer.email, officer.password);

    // Case pages to visit: a seeded sample of references, the same for every run.
    const sample = await sql<{ reference: string }>`
      select reference from cases order by md5(reference || ${SEED}::text) limit 2000`.execute(database.db);
    const references = sample.rows.map((r) => r.reference);
    let nextCase = 0;

    const isQueue = (r: Response) => r.status === 200 && r.body.includes('<table');
    const pages: { page: string; next: () => string; ok: (r: Response) => boolean }[] = [
      {
        page: 'queue: view=team&service=pothole&status=open',
        next: () => '/staff/cases?view=team&service=pothole&status=open',
        ok: isQueue,
      },
      {
        page: `queue: view=all&q=${SEARCH_WORD}`,
        next: () => `/staff/cases?view=all&q=${SEARCH_WORD}`,
        ok: isQueue,
      },
      {
        page: 'case page: /staff/cases/<reference>',
        next: () => `/staff/cases/${references[nextCase++ % references.length]}`,
        ok: (r) => r.status === 200 && r.body.includes('ASH-'),
      },
      { page: 'baseline: /healthz', next: () => '/healthz', ok: (r) => r.status === 200 },
    ];
    const rows: Row[] = [];
    for (const { page, next, ok } of pages) {
      process.stderr.write(`  ${page}\n`);
      rows.push({ size, page, measured: await drive(port, cookie, next, ok) });
    }
    if (args.explain) notes.push(...(await explainQueue(database.db, size)));
    return { rows, notes };
  } finally {
    await app?.close();
    await database.close().catch(() => undefined);
    await adminQuery(`drop database if exists ${name} with (force)`);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The time PostgreSQL itself takes for the queue's statements (EXPLAIN ANALYZE), to see which one grows. */
async function explainQueue(db: Parameters<typeof generateCases>[0], size: number): Promise<string[]> {
  const ids = await sql<{ body_id: string; team_id: string; staff_id: string }>`
    select body_id, team_id, id as staff_id from staff_user where email = 'officer@ashdown.example'`.execute(
    db,
  );
  const { body_id: bodyId, team_id: teamId, staff_id: staffId } = ids.rows[0]!;
  const statements: [string, ReturnType<typeof sql>][] = [
    [
      'page: team, pothole, open',
      sql`select cases.id from cases join service on service.id = cases.service_id
          where cases.body_id = ${bodyId} and cases.team_id = ${teamId} and cases.closed_at is null and service.code = 'pothole'
          order by cases.due_at asc nulls last, cases.created_at desc limit 50`,
    ],
    [
      'count: team, pothole, open',
      sql`select count(*) from cases join service on service.id = cases.service_id
          where cases.body_id = ${bodyId} and cases.team_id = ${teamId} and cases.closed_at is null and service.code = 'pothole'`,
    ],
    [
      'count: mine, pothole, open',
      sql`select count(*) from cases join service on service.id = cases.service_id
          where cases.body_id = ${bodyId} and cases.assignee_staff_id = ${staffId} and cases.closed_at is null and service.code = 'pothole'`,
    ],
    [
      'count: all, pothole, open',
      sql`select count(*) from cases join service on service.id = cases.service_id
          where cases.body_id = ${bodyId} and cases.closed_at is null and service.code = 'pothole'`,
    ],
    [
      `page: all, q=${SEARCH_WORD}`,
      sql`select cases.id from cases join service on service.id = cases.service_id
          where cases.body_id = ${bodyId} and (cases.reference ilike ${`%${SEARCH_WORD}%`} or cases.description ilike ${`%${SEARCH_WORD}%`}
            or cases.location_description ilike ${`%${SEARCH_WORD}%`} or cases.location_detail ilike ${`%${SEARCH_WORD}%`})
          order by cases.due_at asc nulls last, cases.created_at desc limit 50`,
    ],
    // Capped as the queue counts them (COUNT_CAP + 1 in case-queue.repository.ts): "1,000+".
    [
      `count: all, q=${SEARCH_WORD} (capped)`,
      sql`select count(*) from (select cases.id from cases join service on service.id = cases.service_id
          where cases.body_id = ${bodyId} and (cases.reference ilike ${`%${SEARCH_WORD}%`} or cases.description ilike ${`%${SEARCH_WORD}%`}
            or cases.location_description ilike ${`%${SEARCH_WORD}%`} or cases.location_detail ilike ${`%${SEARCH_WORD}%`})
          limit 1001) capped`,
    ],
    [
      `count: my team, open, q=${SEARCH_WORD} (capped)`,
      sql`select count(*) from (select cases.id from cases join service on service.id = cases.service_id
          where cases.body_id = ${bodyId} and cases.team_id = ${teamId} and cases.closed_at is null
            and (cases.reference ilike ${`%${SEARCH_WORD}%`} or cases.description ilike ${`%${SEARCH_WORD}%`}
            or cases.location_description ilike ${`%${SEARCH_WORD}%`} or cases.location_detail ilike ${`%${SEARCH_WORD}%`})
          limit 1001) capped`,
    ],
  ];
  const lines: string[] = [];
  for (const [label, statement] of statements) {
    const plan = await sql<{ 'QUERY PLAN': string }>`explain (analyze, buffers off) ${statement}`.execute(db);
    const text = plan.rows.map((r) => r['QUERY PLAN']);
    const time = text.find((l) => l.startsWith('Execution Time'))?.replace('Execution Time: ', '') ?? '?';
    const scan =
      text
        .find((l) => /Scan|Seq/.test(l))
        ?.trim()
        .replace(/\s+\(cost.*$/, '') ?? '';
    lines.push(`${format(size)} · ${label}: ${time} (${scan.replace(/^->\s*/, '')})`);
  }
  return lines;
}

const allRows: Row[] = [];
const allNotes: string[] = [];
console.log(
  `Back office benchmark: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, ${CLIENTS} clients, ${SECONDS} s per page, sizes ${SIZES.map((s) => format(s)).join(', ')}`,
);
for (const size of SIZES) {
  process.stderr.write(`size ${format(size)}\n`);
  const { rows, notes } = await benchSize(size);
  allRows.push(...rows);
  allNotes.push(...notes);
}
const baselineOf = (size: number) => allRows.find((r) => r.size === size && r.page.startsWith('baseline'))!;
const smallest = Math.min(...SIZES);
console.log();
console.log(
  table(
    [
      'cases',
      'page',
      'requests',
      'req/s',
      'p50 ms',
      'p99 ms',
      'vs baseline',
      `req/s vs ${format(smallest)}`,
      'failed',
    ],
    allRows.map((r) => {
      const first = allRows.find((x) => x.size === smallest && x.page === r.page)!;
      return [
        format(r.size),
        r.page,
        format(r.measured.requests),
        format(r.measured.perSecond, 1),
        format(r.measured.p50, 1),
        format(r.measured.p99, 1),
        `${format(r.measured.perSecond / baselineOf(r.size).measured.perSecond, 3)}×`,
        `${format(r.measured.perSecond / first.measured.perSecond, 2)}×`,
        format(r.measured.failures),
      ];
    }),
    2,
  ),
);
console.log();
for (const note of allNotes) console.log(note);
const failed = allRows.reduce((n, r) => n + r.measured.failures, 0);
if (failed > 0) {
  console.log(`FAIL: ${failed} requests failed or answered without the page`);
  process.exitCode = 1;
}
