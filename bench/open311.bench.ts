/**
 * The Open311 server at scale, over real HTTP on 127.0.0.1 against the real app on PostgreSQL, with
 * 10,000, 100,000 and 1,000,000 generated cases (bench/lib/case-generator.ts):
 *
 * - GET /open311/v2/requests.json and .xml: the default (last 90 days, at most 1,000), filtered by
 *   service and status, a 30-day window a year back, ten ids, and one request (requests/{id});
 * - POST requests.xml as FixMyStreet sends it (form-encoded, CRLF, 6-decimal coordinates, attributes),
 *   against the JSON intake (POST /api/v1/reports) with the same reports, in the same run;
 * - the baseline, GET /healthz.
 *
 *   npm run bench:open311
 *   CIVICDESK_BENCH_SIZES=10000 npx tsx bench/open311.bench.ts [--clients 4] [--seconds 10]
 *
 * CIVICDESK_BENCH_POSTGRES_URL   server where a scratch database is created and dropped per size
 *                                (default postgres://postgres@127.0.0.1:5432/postgres)
 * CIVICDESK_BENCH_SIZES          case counts, comma-separated (default 10000,100000,1000000)
 *
 * Every response is checked (status and a marker). The in-process worker is off: POSTs leave their
 * outbox jobs pending, as in bench/intake.bench.ts. The Open311 client's key has a rate limit high enough
 * not to throttle the run (it is sent on the GETs too); JSON-intake requests carry their own X-Forwarded-For address (the app trusts
 * the proxy header for this run), as the intake benchmark does, because that API limits each address.
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
import { demoStreets } from '../src/demo/demo-council.js';
import { seedDemoCouncil } from '../src/demo/seed.js';
import { buildDomain } from '../src/domain.js';
import { ApiClientsService } from '../src/modules/api-clients/api-clients.service.js';
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
  },
});
const CLIENTS = Math.max(1, Number(args.clients));
const SECONDS = Math.max(1, Number(args.seconds));
const POOL_SIZE = Number(args['pool-size']);
const SEED = Number(args.seed);
const HOST = '127.0.0.1';
const DAY_MS = 24 * 3600_000;

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

interface Answer {
  status: number;
  body: string;
}

interface Call {
  method: 'GET' | 'POST';
  path: string;
  headers?: http.OutgoingHttpHeaders;
  body?: string;
}

function send(agent: http.Agent, port: number, call: Call): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: HOST,
        port,
        method: call.method,
        path: call.path,
        agent,
        headers: {
          ...call.headers,
          ...(call.body !== undefined ? { 'content-length': Buffer.byteLength(call.body) } : {}),
        },
        timeout: 60_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${call.method} ${call.path} timed out`)));
    req.on('error', reject);
    req.end(call.body);
  });
}

interface Measured {
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  failures: number;
  sampleFailure?: string;
}

/** CLIENTS keep-alive clients make `next()` calls back to back for SECONDS; every answer is checked. */
async function drive(port: number, next: () => Call, ok: (a: Answer) => boolean): Promise<Measured> {
  const agents = Array.from({ length: CLIENTS }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  let sampleFailure: string | undefined;
  const run = async (ms: number, latencies: number[]) => {
    let failures = 0;
    const deadline = performance.now() + ms;
    await Promise.all(
      agents.map(async (agent) => {
        while (performance.now() < deadline) {
          const call = next();
          const started = performance.now();
          try {
            const answer = await send(agent, port, call);
            if (!ok(answer)) {
              failures++;
              sampleFailure ??= `${call.method} ${call.path}: ${answer.status} ${answer.body.slice(0, 200)}`;
            }
          } catch (error) {
            failures++;
            sampleFailure ??= `${call.method} ${call.path}: ${(error as Error).message}`;
          }
          latencies.push(performance.now() - started);
        }
      }),
    );
    return failures;
  };
  try {
    await run(Math.min(2000, SECONDS * 200), []); // warm-up
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
      ...(sampleFailure ? { sampleFailure } : {}),
    };
  } finally {
    for (const agent of agents) agent.destroy();
  }
}

/** A deterministic point near a demo street (so the place description and routing have work to do). */
function pointFor(i: number): { lat: number; lon: number } {
  const street = demoStreets[i % demoStreets.length]!;
  const t = ((i * 7919) % 1000) / 1000;
  return {
    lon: Number((street.from[0] + (street.to[0] - street.from[0]) * t).toFixed(6)),
    lat: Number((street.from[1] + (street.to[1] - street.from[1]) * t).toFixed(6)),
  };
}

interface Row {
  size: number;
  scenario: string;
  measured: Measured;
}

async function benchSize(size: number): Promise<{ rows: Row[]; notes: string[] }> {
  const name = `civicdesk_bench_o311_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const parsed = new URL(POSTGRES_URL);
  parsed.pathname = `/${name}`;
  const url = parsed.toString();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'civicdesk-bench-open311-'));
  const database = await openDatabase({ engine: 'postgres', url, poolSize: POOL_SIZE });
  let app: FastifyInstance | undefined;
  const notes: string[] = [];
  try {
    await migrateToLatest(database.db);
    await seedDemoCouncil(database.db);
    const generated = await generateCases(database.db, {
      count: size,
      seed: SEED,
      onProgress: (done, total) =>
        process.stderr.write(`\r  generating ${format(done)} / ${format(total)} cases`),
    });
    process.stderr.write('\n');
    await sql`vacuum analyze`.execute(database.db);
    const clients = new ApiClientsService(database.db, buildDomain(database.db));
    const { key } = await clients.create({
      name: 'Bench FixMyStreet',
      scopes: ['open311:write', 'reports:write'],
      rateLimitPerMinute: 100_000,
    });
    const publicCases = await sql<{ n: string; recent: string }>`
      select count(*) as n, count(*) filter (where created_at > now() - interval '90 days') as recent
      from cases where is_public`.execute(database.db);
    notes.push(
      `${format(size)} cases generated in ${format(generated.ms / 1000, 1)} s; ${format(Number(publicCases.rows[0]!.n))} public, ${format(Number(publicCases.rows[0]!.recent))} of them in the last 90 days`,
    );

    const config = loadConfig({
      CIVICDESK_ENV: 'production',
      CIVICDESK_SESSION_SECRET: crypto.randomBytes(24).toString('hex'),
      CIVICDESK_BASE_URL: 'https://report.example.gov.uk',
      SMTP_URL: 'smtp://127.0.0.1:9',
      CIVICDESK_DATA_DIR: dataDir,
      CIVICDESK_LOG_LEVEL: 'warn',
      CIVICDESK_TRUST_PROXY: 'true',
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

    const sample = await sql<{ reference: string }>`
      select reference from cases where is_public order by md5(reference || ${SEED}::text) limit 2000`.execute(
      database.db,
    );
    const references = sample.rows.map((r) => r.reference);
    let nextRef = 0;
    const w3c = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const yearAgo = Date.now() - 365 * DAY_MS;
    const window = `start_date=${w3c(new Date(yearAgo))}&end_date=${w3c(new Date(yearAgo + 30 * DAY_MS))}`;
    const isJsonList = (a: Answer) => a.status === 200 && a.body.startsWith('[');
    const isXmlList = (a: Answer) => a.status === 200 && a.body.includes('<service_requests>');
    // With the client's key (as FixMyStreet sends it on GETs too), so reads count against its own limit.
    const get = (p: string): Call => ({
      method: 'GET',
      path: `/open311/v2/${p}${p.includes('?') ? '&' : '?'}api_key=${key}`,
    });

    let serial = 0;
    const fmsPost = (): Call => {
      const i = serial++;
      const { lat, lon } = pointFor(i);
      return {
        method: 'POST',
        path: '/open311/v2/requests.xml',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: new URLSearchParams([
          ['api_key', key],
          ['jurisdiction_id', 'example.gov.uk'],
          ['service_code', 'pothole'],
          [
            'description',
            `Pothole ${i}\r\n\r\nDeep and getting worse.\r\n\r\nhttps://fms.example/report/${i}`,
          ],
          ['first_name', 'Bench'],
          ['last_name', `Resident ${i % 500}`],
          ['email', `resident${i % 500}@bench.example.org`],
          ['lat', lat.toFixed(6)],
          ['long', lon.toFixed(6)],
          ['attribute[danger]', 'no'],
          ['attribute[size]', 'large'],
          ['attribute[fixmystreet_id]', `${size}-${i}`],
        ]).toString(),
      };
    };
    const jsonPost = (): Call => {
      const i = serial++;
      const { lat, lon } = pointFor(i);
      return {
        method: 'POST',
        path: '/api/v1/reports',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${key}`,
          'idempotency-key': `bench-${size}-${i}`,
          'x-forwarded-for': `198.${18 + ((i >> 16) & 1)}.${(i >> 8) & 255}.${i & 255}`,
        },
        body: JSON.stringify({
          service_code: 'pothole',
          lat,
          lon,
          description: `Pothole ${i}\n\nDeep and getting worse.`,
          answers: { danger: 'no', size: 'large' },
          reporter: { name: `Bench Resident ${i % 500}`, email: `resident${i % 500}@bench.example.org` },
        }),
      };
    };

    const scenarios: { scenario: string; next: () => Call; ok: (a: Answer) => boolean }[] = [
      { scenario: 'GET requests.json (90 days, ≤ 1,000)', next: () => get('requests.json'), ok: isJsonList },
      { scenario: 'GET requests.xml (90 days, ≤ 1,000)', next: () => get('requests.xml'), ok: isXmlList },
      {
        scenario: 'GET requests.json?service_code=pothole&status=open',
        next: () => get('requests.json?service_code=pothole&status=open'),
        ok: isJsonList,
      },
      {
        scenario: 'GET requests.xml?service_code=pothole&status=open',
        next: () => get('requests.xml?service_code=pothole&status=open'),
        ok: isXmlList,
      },
      {
        scenario: 'GET requests.json, 30 days a year ago',
        next: () => get(`requests.json?${window}`),
        ok: isJsonList,
      },
      {
        scenario: 'GET requests.json?service_request_id=<10 ids>',
        next: () => {
          const ids = Array.from({ length: 10 }, () => references[nextRef++ % references.length]);
          return get(`requests.json?service_request_id=${ids.join(',')}`);
        },
        ok: isJsonList,
      },
      {
        scenario: 'GET requests/<id>.xml',
        next: () => get(`requests/${references[nextRef++ % references.length]}.xml`),
        ok: isXmlList,
      },
      {
        scenario: 'POST requests.xml (FixMyStreet form)',
        next: fmsPost,
        ok: (a) => a.status === 200 && a.body.includes('<service_request_id>'),
      },
      {
        scenario: 'POST /api/v1/reports (JSON intake)',
        next: jsonPost,
        ok: (a) => a.status === 201 && a.body.includes('"reference"'),
      },
      {
        scenario: 'baseline: GET /healthz',
        next: () => ({ method: 'GET', path: '/healthz' }),
        ok: (a) => a.status === 200,
      },
    ];
    const rows: Row[] = [];
    for (const { scenario, next, ok } of scenarios) {
      process.stderr.write(`  ${scenario}\n`);
      const measured = await drive(port, next, ok);
      if (measured.sampleFailure) notes.push(`${format(size)} · ${scenario}: e.g. ${measured.sampleFailure}`);
      rows.push({ size, scenario, measured });
    }
    return { rows, notes };
  } finally {
    await app?.close();
    await database.close().catch(() => undefined);
    await adminQuery(`drop database if exists ${name} with (force)`);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const allRows: Row[] = [];
const allNotes: string[] = [];
console.log(
  `Open311 benchmark: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, ${CLIENTS} clients, ${SECONDS} s per scenario, sizes ${SIZES.map((s) => format(s)).join(', ')}`,
);
for (const size of SIZES) {
  process.stderr.write(`size ${format(size)}\n`);
  const { rows, notes } = await benchSize(size);
  allRows.push(...rows);
  allNotes.push(...notes);
}
const baselineOf = (size: number) =>
  allRows.find((r) => r.size === size && r.scenario.startsWith('baseline'))!;
const intakeOf = (size: number) =>
  allRows.find((r) => r.size === size && r.scenario.includes('JSON intake'))!;
console.log();
console.log(
  table(
    ['cases', 'scenario', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'vs baseline', 'vs JSON intake', 'failed'],
    allRows.map((r) => [
      format(r.size),
      r.scenario,
      format(r.measured.requests),
      format(r.measured.perSecond, 1),
      format(r.measured.p50, 1),
      format(r.measured.p99, 1),
      `${format(r.measured.perSecond / baselineOf(r.size).measured.perSecond, 3)}×`,
      r.scenario.startsWith('POST')
        ? `${format(r.measured.perSecond / intakeOf(r.size).measured.perSecond, 2)}×`
        : '',
      format(r.measured.failures),
    ]),
    2,
  ),
);
console.log();
for (const note of allNotes) console.log(note);
const failed = allRows.reduce((n, r) => n + r.measured.failures, 0);
if (failed > 0) {
  console.log(`FAIL: ${failed} requests failed or answered without the expected body`);
  process.exitCode = 1;
}
