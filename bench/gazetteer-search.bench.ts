/**
 * Gazetteer search latency on real data: Trafford's 11,264 postcodes and 880 streets, on PostgreSQL and
 * PGlite. Runs a fixed, seeded mix of queries (whole postcodes typed every which way, sector and outward
 * prefixes, street names, abbreviations, misspellings, reverse lookups) one at a time, and prints p50/p99
 * latency and queries per second per query type and engine, beside two baselines measured in the same
 * run: a `select 1` round trip and an exact-match btree lookup. Compare the ratios, not the milliseconds:
 * they travel between machines.
 *
 *   npm run bench:gazetteer
 *
 * CIVICDESK_BENCH_POSTGRES_URL   server where a scratch database is created and dropped
 *                                (default postgres://postgres@127.0.0.1:5432/postgres)
 * CIVICDESK_BENCH_ENGINES        pglite,postgres (default both)
 * CIVICDESK_BENCH_ROUNDS         queries per type (default 400)
 * CIVICDESK_TEST_TRAFFORD_DIR    the Trafford data (default ../shared/data/trafford beside the checkout)
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import pg from 'pg';
import { openDatabase, type DatabaseEngine, type DatabaseHandle } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { GazetteerService } from '../src/modules/gazetteer/gazetteer.service.js';

const POSTGRES_URL =
  process.env.CIVICDESK_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ENGINES = (process.env.CIVICDESK_BENCH_ENGINES ?? 'pglite,postgres')
  .split(',')
  .map((e) => e.trim())
  .filter((e): e is DatabaseEngine => e === 'pglite' || e === 'postgres');
const ROUNDS = Number(process.env.CIVICDESK_BENCH_ROUNDS ?? 400);
const WARMUP = 30;
const DATA_DIR =
  process.env.CIVICDESK_TEST_TRAFFORD_DIR ?? path.resolve(import.meta.dirname, '../../shared/data/trafford');
const POSTCODES = path.join(DATA_DIR, 'trafford_postcodes.csv');
const TREES = path.join(DATA_DIR, 'highways_trees.csv');

type Row = Record<string, string>;

/** A seeded generator: every run asks the same questions. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function pick<T>(items: readonly T[], next: () => number): T {
  return items[Math.floor(next() * items.length)]!;
}

const ABBREVIATE: Record<string, string> = {
  Road: 'Rd',
  Street: 'St',
  Avenue: 'Ave',
  Lane: 'Ln',
  Drive: 'Dr',
  Close: 'Cl',
  Crescent: 'Cres',
  Gardens: 'Gdns',
  Place: 'Pl',
  Square: 'Sq',
};

function misspell(name: string, next: () => number): string {
  const [first, ...rest] = name.split(' ');
  const word = first!;
  if (word.length < 4) return name;
  const i = 1 + Math.floor(next() * (word.length - 2));
  const typo =
    next() < 0.5
      ? word.slice(0, i) + word.slice(i + 1)
      : word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
  return [typo, ...rest].join(' ');
}

interface QueryType {
  name: string;
  /** Builds the i-th query of this type: a function that runs it. */
  make(service: GazetteerService, database: DatabaseHandle): () => Promise<unknown>;
}

function queryTypes(postcodes: Row[], trees: Row[]): QueryType[] {
  const codes = postcodes.map((r) => r.postcode!);
  const streets = [...new Set(trees.map((t) => t.street!))];
  const abbreviable = streets.filter((s) => ABBREVIATE[s.split(' ').at(-1)!]);
  const next = random(20261123);
  return [
    { name: 'baseline: select 1', make: (_s, d) => () => sql`select 1`.execute(d.db) },
    {
      name: 'baseline: btree lookup',
      make: (_s, d) => {
        const code = pick(codes, next);
        return () =>
          d.db
            .selectFrom('gazetteer_postcode')
            .select(['postcode', 'lon', 'lat'])
            .where('postcode', '=', code)
            .execute();
      },
    },
    {
      name: 'full postcode',
      make: (s) => {
        const code = pick(codes, next);
        const typed = [code, code.toLowerCase(), code.replace(' ', ''), ` ${code.toLowerCase()} `][
          Math.floor(next() * 4)
        ]!;
        return () => s.search(typed);
      },
    },
    {
      name: 'postcode sector ("M33 7")',
      make: (s) => {
        const sector = pick(codes, next).slice(0, -2);
        return () => s.search(sector);
      },
    },
    {
      name: 'outward code ("M33")',
      make: (s) => {
        const outward = pick(codes, next).split(' ')[0]!;
        return () => s.search(outward);
      },
    },
    {
      name: 'street name',
      make: (s) => {
        const street = pick(streets, next);
        return () => s.search(street);
      },
    },
    {
      name: 'street, abbreviated ("Rd")',
      make: (s) => {
        const words = pick(abbreviable, next).split(' ');
        const query = [...words.slice(0, -1), ABBREVIATE[words.at(-1)!]].join(' ');
        return () => s.search(query);
      },
    },
    {
      name: 'street, misspelt',
      make: (s) => {
        const query = misspell(pick(streets, next), next);
        return () => s.search(query);
      },
    },
    {
      name: 'street name prefix ("Bradg")',
      make: (s) => {
        const street = pick(streets, next);
        const query = street.slice(0, Math.max(3, Math.min(street.length, 3 + Math.floor(next() * 4))));
        return () => s.search(query);
      },
    },
    {
      name: 'reverse: nearest street + address',
      make: (s) => {
        const tree = pick(trees, next);
        const lon = Number(tree.lon) + (next() - 0.5) * 0.0004;
        const lat = Number(tree.lat) + (next() - 0.5) * 0.0003;
        return () => s.nearest(lon, lat, { kinds: ['street', 'address'] });
      },
    },
  ];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

interface Result {
  engine: DatabaseEngine;
  type: string;
  n: number;
  p50: number;
  p99: number;
  qps: number;
}

async function openEngine(
  engine: DatabaseEngine,
): Promise<{ database: DatabaseHandle; drop(): Promise<void> }> {
  if (engine === 'pglite') {
    const database = await openDatabase({ engine: 'pglite' });
    return { database, drop: async () => {} };
  }
  const name = `civicdesk_bench_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  const admin = async (text: string) => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  const database = await openDatabase({ engine: 'postgres', url: url.toString(), poolSize: 4 });
  return { database, drop: () => admin(`drop database if exists ${name} with (force)`) };
}

async function benchEngine(engine: DatabaseEngine, postcodes: Row[], trees: Row[]): Promise<Result[]> {
  const { database, drop } = await openEngine(engine);
  try {
    await migrateToLatest(database.db);
    const service = new GazetteerService(database.db);
    let started = performance.now();
    const postcodeReport = await service.importPostcodes(POSTCODES);
    const postcodeSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    const streetReport = await service.importStreets(TREES, { nameField: 'street' });
    const streetSeconds = (performance.now() - started) / 1000;
    console.log(
      `${engine}: imported ${postcodeReport.imported} postcodes in ${postcodeSeconds.toFixed(2)} s, ` +
        `${streetReport.imported} streets (${streetReport.points} points) in ${streetSeconds.toFixed(2)} s`,
    );

    // The same seeded queries on every engine, interleaved so that no type runs on a warmer cache.
    const types = queryTypes(postcodes, trees);
    const plan: { type: number; run: () => Promise<unknown> }[] = [];
    for (let round = 0; round < WARMUP + ROUNDS; round++) {
      types.forEach((type, index) => plan.push({ type: index, run: type.make(service, database) }));
    }
    const shuffle = random(99);
    for (let i = plan.length - 1; i > 0; i--) {
      const j = Math.floor(shuffle() * (i + 1));
      [plan[i], plan[j]] = [plan[j]!, plan[i]!];
    }
    const seen = types.map(() => 0);
    const timings = types.map((): number[] => []);
    for (const step of plan) {
      const t = performance.now();
      await step.run();
      const elapsed = performance.now() - t;
      seen[step.type]! += 1;
      if (seen[step.type]! > WARMUP) timings[step.type]!.push(elapsed);
    }
    return types.map((type, index) => {
      const sorted = [...timings[index]!].sort((a, b) => a - b);
      const total = sorted.reduce((sum, ms) => sum + ms, 0);
      return {
        engine,
        type: type.name,
        n: sorted.length,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        qps: (sorted.length / total) * 1000,
      };
    });
  } finally {
    await database.close();
    await drop();
  }
}

function printTable(results: Result[]): void {
  const header = ['engine', 'query', 'n', 'p50 ms', 'p99 ms', 'q/s', 'p50 / select 1', 'p50 / btree'];
  const rows = results.map((r) => {
    const base = results.find((b) => b.engine === r.engine && b.type === 'baseline: select 1')!;
    const btree = results.find((b) => b.engine === r.engine && b.type === 'baseline: btree lookup')!;
    return [
      r.engine,
      r.type,
      String(r.n),
      r.p50.toFixed(3),
      r.p99.toFixed(3),
      r.qps.toFixed(0),
      `${(r.p50 / base.p50).toFixed(1)}×`,
      `${(r.p50 / btree.p50).toFixed(1)}×`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(line(header));
  console.log(
    `|${widths.map((w, i) => (i < 2 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
  );
  for (const row of rows) console.log(line(row));
}

async function main(): Promise<void> {
  if (!fs.existsSync(POSTCODES) || !fs.existsSync(TREES)) {
    throw new Error(`The Trafford data is not in ${DATA_DIR}: set CIVICDESK_TEST_TRAFFORD_DIR.`);
  }
  const postcodes = parse(fs.readFileSync(POSTCODES), { columns: true, bom: true }) as Row[];
  const trees = parse(fs.readFileSync(TREES), { columns: true, bom: true }) as Row[];
  console.log(
    `Gazetteer search: ${postcodes.length} postcodes, ${new Set(trees.map((t) => t.street)).size} streets; ` +
      `${ROUNDS} queries per type after ${WARMUP} warm-up, one at a time, node ${process.version}\n`,
  );
  const results: Result[] = [];
  for (const engine of ENGINES) results.push(...(await benchEngine(engine, postcodes, trees)));
  console.log('');
  printTable(results);
}

await main();
