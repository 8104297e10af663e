/**
 * Routing lookups: point → every containing area, over Trafford's real boundaries.
 *
 *   npx tsx bench/routing-lookup.bench.ts [--points 200000] [--rounds 5] [--naive-points 2000] [--seed 1]
 *   npm run bench:routing
 *
 * Compares, in the same run and on the same random points (seeded, so every run uses the same ones):
 *   - naive:         pointInGeometry on every area, one after another (what you would write first);
 *   - naive + bbox:  the same, skipping areas whose bounding box does not hold the point;
 *   - AreaIndex:     what routing uses: a flatbush R-tree over polygon boxes, then the exact test on
 *                    prepared rings (flat Float64Arrays with a band index over latitude).
 * Each is checked to give the same answers before it is timed. The data folder comes from
 * CIVICDESK_TRAFFORD_DIR (or CIVICDESK_TEST_TRAFFORD_DIR), default ../shared/data/trafford.
 * See bench/README.md for how to read the table.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  bboxContainsPoint,
  geometryBBox,
  pointInGeometry,
  unionBBox,
  validateGeometry,
  type AreaGeometry,
  type BBox,
} from '../src/lib/geo/index.js';
import { AreaIndex, type IndexedArea } from '../src/modules/areas/spatial-index.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const DATA_DIR = path.resolve(
  process.env.CIVICDESK_TRAFFORD_DIR ||
    process.env.CIVICDESK_TEST_TRAFFORD_DIR ||
    path.join(ROOT, '../shared/data/trafford'),
);

const { values: args } = parseArgs({
  options: {
    points: { type: 'string', default: '200000' },
    'naive-points': { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '5' },
    seed: { type: 'string', default: '1' },
  },
});
const POINTS = Number(args.points);
const NAIVE_POINTS = Math.min(POINTS, Number(args['naive-points']));
const ROUNDS = Math.max(1, Number(args.rounds));
const SEED = Number(args.seed);
/** Per-lookup latency is timed on this many points (each call timed on its own). */
const LATENCY_POINTS = Math.min(POINTS, 50_000);

interface Layer {
  file: string;
  kind: IndexedArea['kind'];
}

function load(layers: Layer[]): IndexedArea[] {
  const areas: IndexedArea[] = [];
  for (const { file, kind } of layers) {
    const collection = JSON.parse(fs.readFileSync(path.join(DATA_DIR, file), 'utf8')) as {
      features: { properties: Record<string, string>; geometry: unknown }[];
    };
    for (const [i, feature] of collection.features.entries()) {
      const problems = validateGeometry(feature.geometry);
      if (problems.length > 0) throw new Error(`${file} feature ${i}: ${problems.join('; ')}`);
      const code = feature.properties.area_code!;
      areas.push({
        id: `${kind}:${code}`,
        kind,
        code,
        name: feature.properties.area_name!,
        bodyId: null,
        geometry: feature.geometry as AreaGeometry,
      });
    }
  }
  return areas;
}

/** mulberry32: a tiny seeded PRNG, so every run draws the same points. */
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

function randomPoints(box: BBox, count: number, seed: number): Float64Array {
  const random = prng(seed);
  const points = new Float64Array(count * 2);
  for (let i = 0; i < count; i++) {
    points[2 * i] = box[0] + random() * (box[2] - box[0]);
    points[2 * i + 1] = box[1] + random() * (box[3] - box[1]);
  }
  return points;
}

/** A lookup returns how many areas contain the point (the sum is printed, so no work can be skipped). */
type Lookup = (lon: number, lat: number) => number;
type Resolve = (lon: number, lat: number) => string[];

interface Method {
  name: string;
  points: number;
  lookup: Lookup;
  resolve: Resolve;
}

function methods(areas: IndexedArea[]): Method[] {
  const boxes = areas.map((a) => geometryBBox(a.geometry));
  const index = new AreaIndex(areas);
  const naive: Resolve = (lon, lat) =>
    areas.filter((a) => pointInGeometry(lon, lat, a.geometry) !== 'outside').map((a) => a.id);
  const naiveBBox: Resolve = (lon, lat) =>
    areas
      .filter(
        (a, i) =>
          bboxContainsPoint(boxes[i]!, lon, lat, 1e-12) &&
          pointInGeometry(lon, lat, a.geometry) !== 'outside',
      )
      .map((a) => a.id);
  return [
    {
      name: 'naive: pointInGeometry on every area',
      points: NAIVE_POINTS,
      lookup: (lon, lat) => {
        let found = 0;
        for (const area of areas) if (pointInGeometry(lon, lat, area.geometry) !== 'outside') found++;
        return found;
      },
      resolve: naive,
    },
    {
      name: 'naive + bounding-box pre-check',
      points: Math.min(POINTS, NAIVE_POINTS * 5),
      lookup: (lon, lat) => {
        let found = 0;
        for (let i = 0; i < areas.length; i++)
          if (
            bboxContainsPoint(boxes[i]!, lon, lat, 1e-12) &&
            pointInGeometry(lon, lat, areas[i]!.geometry) !== 'outside'
          )
            found++;
        return found;
      },
      resolve: naiveBBox,
    },
    {
      name: 'AreaIndex.containing (flatbush + prepared rings)',
      points: POINTS,
      lookup: (lon, lat) => index.containing(lon, lat).length,
      resolve: (lon, lat) => index.containing(lon, lat).map((a) => a.id),
    },
  ];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

let sink = 0;

/** Lookups per second over the first `count` points: the whole batch timed at once, so no timer overhead. */
function throughput(lookup: Lookup, points: Float64Array, count: number): number {
  const started = performance.now();
  let found = 0;
  for (let i = 0; i < count; i++) found += lookup(points[2 * i]!, points[2 * i + 1]!);
  const seconds = (performance.now() - started) / 1000;
  sink += found;
  return count / seconds;
}

/** Each lookup timed on its own, in microseconds (includes the timer's own cost, reported below the table). */
function latencies(lookup: Lookup, points: Float64Array, count: number): Float64Array {
  const times = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    sink += lookup(points[2 * i]!, points[2 * i + 1]!);
    times[i] = (performance.now() - started) * 1000;
  }
  return times.sort();
}

function timerOverheadMicros(): number {
  const times = latencies(() => 0, new Float64Array(20_000), 10_000);
  return percentile(times, 50);
}

function checkAgreement(all: Method[], points: Float64Array, count: number): void {
  const reference = all[0]!;
  for (let i = 0; i < count; i++) {
    const lon = points[2 * i]!;
    const lat = points[2 * i + 1]!;
    const expected = reference.resolve(lon, lat).sort().join(',');
    for (const method of all.slice(1)) {
      const got = method.resolve(lon, lat).sort().join(',');
      if (got !== expected)
        throw new Error(`${method.name} disagrees at (${lon}, ${lat}): ${got} vs ${expected}`);
    }
  }
}

function format(n: number, digits = 0): string {
  return n.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

function run(label: string, layers: Layer[]): void {
  const loadStarted = performance.now();
  const areas = load(layers);
  const vertices = areas.reduce(
    (sum, a) =>
      sum +
      (a.geometry.type === 'Polygon' ? [a.geometry.coordinates] : a.geometry.coordinates)
        .flat()
        .reduce((s, ring) => s + ring.length, 0),
    0,
  );
  const buildStarted = performance.now();
  const all = methods(areas);
  const buildMs = performance.now() - buildStarted;
  const box = areas.map((a) => geometryBBox(a.geometry)).reduce(unionBBox);
  const points = randomPoints(box, POINTS, SEED);

  checkAgreement(all, points, Math.min(2000, POINTS));
  // Warm-up: let the JIT compile every path before anything is timed.
  for (const method of all) throughput(method.lookup, points, Math.min(method.points, 5000));

  const rates = all.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    all.forEach((method, m) => rates[m]!.push(throughput(method.lookup, points, method.points)));
  }
  const medians = rates.map(median);
  const latency = all.map((method) =>
    latencies(method.lookup, points, Math.min(method.points, LATENCY_POINTS)),
  );

  let matches = 0;
  let outside = 0;
  const index = new AreaIndex(areas);
  for (let i = 0; i < POINTS; i++) {
    const found = index.containing(points[2 * i]!, points[2 * i + 1]!).length;
    matches += found;
    if (found === 0) outside++;
  }

  console.log(
    `\n${label}: ${areas.length} areas, ${format(vertices)} vertices (loaded in ${format(buildStarted - loadStarted)} ms, index built in ${format(buildMs)} ms)`,
  );
  console.log(
    `${format(POINTS)} random points over the bounding box [${box.map((n) => n.toFixed(4)).join(', ')}], seed ${SEED}; ` +
      `${format((100 * outside) / POINTS, 1)}% outside every area, ${format(matches / POINTS, 2)} areas per point on average\n`,
  );
  console.log(
    table(
      ['method', 'points/round', 'median lookups/s', 'p50 µs', 'p99 µs', 'speed-up'],
      all.map((method, m) => [
        method.name,
        format(method.points),
        format(medians[m]!),
        format(percentile(latency[m]!, 50), 2),
        format(percentile(latency[m]!, 99), 2),
        `${format(medians[m]! / medians[0]!, 1)}×`,
      ]),
    ),
  );
}

const started = performance.now();
console.log(
  `Routing lookup benchmark: node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.availableParallelism()}, ` +
    `${ROUNDS} rounds (median reported), data from ${DATA_DIR}`,
);
run('Trafford wards (full resolution) + parishes', [
  { file: 'ward_2023_full.geojson', kind: 'ward' },
  { file: 'parish.geojson', kind: 'parish' },
]);
run('Trafford borough + wards (full) + parishes + localities + LSOAs', [
  { file: 'local_authority_district.geojson', kind: 'council' },
  { file: 'ward_2023_full.geojson', kind: 'ward' },
  { file: 'parish.geojson', kind: 'parish' },
  { file: 'localities.geojson', kind: 'locality' },
  { file: 'lsoa.geojson', kind: 'custom' },
]);
console.log(
  `\nTimer overhead included in each p50/p99: about ${format(timerOverheadMicros(), 2)} µs. ` +
    `Total ${format((performance.now() - started) / 1000, 1)} s. (checksum ${sink})`,
);
