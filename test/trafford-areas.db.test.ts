/**
 * Real boundaries and postcodes for Trafford (Greater Manchester), read from the shared data folder
 * (CIVICDESK_TEST_TRAFFORD_DIR, default ../shared/data/trafford beside the repository; never copied
 * into it). The 21 full-resolution wards and 4 civil parishes go in through the areas service on each
 * engine; every one of the 11,264 postcode centroids is then looked up in the spatial index.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { openDatabase } from '../src/db/connect.js';
import { listVersions } from '../src/modules/areas/areas.repository.js';
import { currentAreas, importAreas } from '../src/modules/areas/areas.service.js';
import { AreaIndex, AreaIndexProvider } from '../src/modules/areas/spatial-index.js';
import { describeEachEngine } from './helpers/database.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin/civicdesk.js');
const DATA_DIR = path.resolve(
  process.env.CIVICDESK_TEST_TRAFFORD_DIR || path.join(ROOT, '../shared/data/trafford'),
);

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(DATA_DIR, file), 'utf8'));
}

interface PostcodeRow {
  postcode: string;
  ward_code: string;
  ward_name: string;
  lon: string;
  lat: string;
}

function readPostcodes(): PostcodeRow[] {
  // Quoted fields hold commas (e.g. "Trafford 001H, ..."): a real CSV parser, not split(',').
  return parse(fs.readFileSync(path.join(DATA_DIR, 'trafford_postcodes.csv')), {
    columns: true,
    skip_empty_lines: true,
  }) as PostcodeRow[];
}

const fields = { codeField: 'area_code', nameField: 'area_name' } as const;

describe('Trafford data folder', () => {
  it('is there (set CIVICDESK_TEST_TRAFFORD_DIR to where the shared data lives)', () => {
    assert.ok(
      fs.existsSync(path.join(DATA_DIR, 'ward_2023_full.geojson')),
      `no Trafford data in ${DATA_DIR}`,
    );
  });
});

describeEachEngine('Trafford wards and parishes (real data)', (getDatabase) => {
  let index: AreaIndex;

  before(async () => {
    const { db } = getDatabase();
    const wards = await importAreas(db, readJson('ward_2023_full.geojson'), { kind: 'ward', ...fields });
    assert.deepEqual(wards, { total: 21, inserted: 21, replaced: 0, versioned: 0, skipped: [] });
    const parishes = await importAreas(db, readJson('parish.geojson'), { kind: 'parish', ...fields });
    assert.deepEqual(parishes, { total: 4, inserted: 4, replaced: 0, versioned: 0, skipped: [] });
    index = await new AreaIndexProvider(db).get();
  });

  it('stores the 21 wards and 4 parishes with their bounding boxes inside the borough', async () => {
    const { db } = getDatabase();
    assert.equal(index.size, 25);
    assert.equal((await listVersions(db, 'ward')).length, 21);
    assert.deepEqual(
      (await listVersions(db, 'parish')).map((p) => p.name),
      ['Carrington', 'Dunham Massey', 'Partington', 'Warburton'],
    );
    const box = await db
      .selectFrom('area')
      .select((eb) => [
        eb.fn.min('min_lon').as('w'),
        eb.fn.max('max_lon').as('e'),
        eb.fn.min('min_lat').as('s'),
        eb.fn.max('max_lat').as('n'),
      ])
      .executeTakeFirstOrThrow();
    // Trafford lies around 2.25–2.48° W, 53.36–53.48° N.
    assert.ok(box.w > -2.5 && box.e < -2.2 && box.s > 53.3 && box.n < 53.5, JSON.stringify(box));
    const stored = await currentAreas(db);
    const altrincham = stored.find((a) => a.code === 'E05015239')!;
    assert.equal(altrincham.geometry.type, 'Polygon');
    assert.ok(altrincham.geometry.coordinates[0]!.length > 500, 'full resolution, not generalised');
  });

  it('finds for every postcode centroid the ward the postcode directory gives, bar one 1 cm from a boundary', () => {
    const postcodes = readPostcodes();
    assert.equal(postcodes.length, 11_264);
    const mismatches: string[] = [];
    let withoutWard = 0;
    for (const row of postcodes) {
      const ward = index.lookup(Number(row.lon), Number(row.lat)).primary('ward');
      if (!ward) withoutWard++;
      if (ward?.code !== row.ward_code)
        mismatches.push(
          `${row.postcode}: directory ${row.ward_code} ${row.ward_name}, found ${ward?.code} ${ward?.name}`,
        );
    }
    assert.equal(withoutWard, 0, 'every centroid is in some ward');
    // Exactly one: WA14 2BF. The directory puts it in Bowdon (E05015241); its centroid (-2.362014,
    // 53.385917) lies about 1 cm inside Altrincham (E05015239), from the straight stretch of the shared
    // Bowdon/Altrincham boundary between (-2.36208077, 53.38522784) and (-2.36200899, 53.38596957). The
    // directory's coordinates are given to 6 decimal places (about 7 cm east–west, 11 cm north–south
    // here) and were converted from a 1 m grid reference, while the ONS assigned the ward from the
    // original point: at 1 cm either answer is within rounding, so this is a boundary case, not a bug.
    // (No centroid is within 1e-12° of an edge, so none is reported as on the boundary.)
    assert.deepEqual(mismatches, ['WA14 2BF: directory E05015241 Bowdon, found E05015239 Altrincham']);
  });

  it('puts exactly 414 postcodes inside a parish, each in one parish only', () => {
    let inParish = 0;
    for (const row of readPostcodes()) {
      const parishes = index.lookup(Number(row.lon), Number(row.lat)).ofKind('parish');
      assert.ok(parishes.length <= 1, `${row.postcode} is in ${parishes.length} parishes`);
      if (parishes.length === 1) inParish++;
    }
    assert.equal(inParish, 414);
  });
});

describe('civicdesk import-areas, run as a command', () => {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'civicdesk-areas-'));
  const dataDir = path.join(temp, 'data');
  after(() => fs.rmSync(temp, { recursive: true, force: true }));

  function civicdesk(...args: string[]) {
    const result = spawnSync(process.execPath, [BIN, 'import-areas', ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        CIVICDESK_DATA_DIR: dataDir,
        CIVICDESK_LOG_LEVEL: 'warn',
      },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }
  const wardArgs = ['--kind', 'ward', '--code-field', 'area_code', '--name-field', 'area_name'];
  const generalised = path.join(DATA_DIR, 'electoral_ward.geojson');

  it('imports the 21 generalised wards into the embedded database, then replaces them on a second run', async () => {
    const first = civicdesk(generalised, ...wardArgs);
    assert.equal(first.status, 0, first.stderr);
    assert.match(
      first.stdout,
      /Imported 21 of 21 ward areas from .*electoral_ward\.geojson: 21 new, 0 replaced, 0 new versions, 0 skipped\./,
    );
    // Not a terminal: no progress bar, just the one summary line on stderr.
    assert.doesNotMatch(first.stderr, /\r/);
    assert.match(first.stderr, /Wrote 21 ward areas \(\d+\.\d s\)/);

    const second = civicdesk(generalised, ...wardArgs);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /0 new, 21 replaced/);

    const database = await openDatabase({ engine: 'pglite', dataDir: path.join(dataDir, 'pglite') });
    try {
      const index = new AreaIndex(await currentAreas(database.db));
      assert.equal(index.size, 21);
      // M32 0TH, Trafford Town Hall on Talbot Road: in Gorse Hill & Cornbrook.
      assert.equal(index.lookup(-2.287483, 53.458999).primary('ward')?.name, 'Gorse Hill & Cornbrook');
    } finally {
      await database.close();
    }
  });

  it('rejects a file with an unclosed ring, naming the feature, and imports nothing', () => {
    const collection = readJson('electoral_ward.geojson') as {
      features: { geometry: { coordinates: number[][][] } }[];
    };
    collection.features[3]!.geometry.coordinates[0]!.pop();
    const file = path.join(temp, 'unclosed.geojson');
    fs.writeFileSync(file, JSON.stringify(collection));
    const result = civicdesk(file, ...wardArgs, '--valid-from', '2030-01-01');
    assert.equal(result.status, 1, result.stdout);
    assert.match(result.stderr, /unclosed\.geojson: a problem; nothing was imported\./);
    assert.match(
      result.stderr,
      /^ {2}feature 3 \(E05015242 Broadheath\): ring 0 \(outer\) is not closed: its last position \[[-\d.]+, [\d.]+\] should repeat its first/m,
    );
    assert.equal(result.stdout, '');

    const skipping = civicdesk(file, ...wardArgs, '--skip-invalid');
    assert.equal(skipping.status, 0, skipping.stderr);
    assert.match(
      skipping.stdout,
      /Imported 20 of 21 ward areas .* 0 new, 20 replaced, 0 new versions, 1 skipped\./,
    );
    assert.match(
      skipping.stderr,
      /Skipped 1 features \(--skip-invalid\):\n {2}feature 3 \(E05015242 Broadheath\): ring 0 \(outer\) is not closed/,
    );
  });

  it('rejects British National Grid coordinates and a BNG crs, saying to reproject', () => {
    const file = path.join(temp, 'bng.geojson');
    fs.writeFileSync(
      file,
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            properties: { area_code: 'E05000001', area_name: 'Grid Ward' },
            geometry: {
              type: 'Polygon',
              coordinates: [
                [
                  [378000, 394000],
                  [379000, 394000],
                  [379000, 395000],
                  [378000, 394000],
                ],
              ],
            },
          },
        ],
      }),
    );
    const result = civicdesk(file, ...wardArgs);
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      /^ {2}feature 0 \(E05000001 Grid Ward\): the coordinates look like OSGB36 \/ EPSG:27700 metres .* reproject to EPSG:4326$/m,
    );

    const withCrs = path.join(temp, 'bng-crs.geojson');
    fs.writeFileSync(
      withCrs,
      JSON.stringify({
        ...(readJson('parish.geojson') as object),
        crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::27700' } },
      }),
    );
    const crs = civicdesk(
      withCrs,
      '--kind',
      'parish',
      '--code-field',
      'area_code',
      '--name-field',
      'area_name',
    );
    assert.equal(crs.status, 1);
    assert.match(
      crs.stderr,
      /coordinate reference system is "urn:ogc:def:crs:EPSG::27700" \(British National Grid/,
    );
  });

  it('explains unreadable files, invalid JSON and missing options', () => {
    const missing = civicdesk(path.join(temp, 'nope.geojson'), ...wardArgs);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /cannot read .*nope\.geojson: there is no such file/);

    const broken = path.join(temp, 'broken.geojson');
    fs.writeFileSync(broken, '{\n  "type": "FeatureCollection",\n  "features": [,]\n}\n');
    const invalid = civicdesk(broken, ...wardArgs);
    assert.equal(invalid.status, 1);
    assert.match(invalid.stderr, /broken\.geojson is not valid JSON: unexpected "," at line 3, column 16/);

    const notCollection = path.join(temp, 'feature.geojson');
    fs.writeFileSync(notCollection, JSON.stringify({ type: 'Feature', properties: {}, geometry: null }));
    const wrongType = civicdesk(notCollection, ...wardArgs);
    assert.equal(wrongType.status, 1);
    assert.match(wrongType.stderr, /not a GeoJSON FeatureCollection \(it is a Feature\)/);

    const noKind = civicdesk(generalised, '--code-field', 'area_code', '--name-field', 'area_name');
    assert.equal(noKind.status, 2);
    assert.match(noKind.stderr, /--kind is required/);
    assert.match(noKind.stderr, /Usage: civicdesk import-areas FILE\.geojson/);
  });
});
