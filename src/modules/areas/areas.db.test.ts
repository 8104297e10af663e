import assert from 'node:assert/strict';
import { beforeEach, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle } from '../../db/connect.js';
import type { Position } from '../../lib/geo/index.js';
import { describeEachEngine } from '../../../test/helpers/database.js';
import { listVersions } from './areas.repository.js';
import {
  AreaImportError,
  areaRevision,
  currentAreas,
  importAreas,
  type ImportAreasOptions,
} from './areas.service.js';
import { AreaIndexProvider } from './spatial-index.js';

const square = (x0: number, y0: number, x1: number, y1: number): Position[] => [
  [x0, y0],
  [x1, y0],
  [x1, y1],
  [x0, y1],
  [x0, y0],
];

/** A ward feature: a square south-west corner (lon, lat), 0.01° across. */
function ward(code: string, name: string, lon: number, lat: number, size = 0.01) {
  return {
    type: 'Feature',
    properties: { area_code: code, area_name: name },
    geometry: { type: 'Polygon', coordinates: [square(lon, lat, lon + size, lat + size)] },
  };
}

function collection(...features: unknown[]) {
  return { type: 'FeatureCollection', features };
}

const wards: ImportAreasOptions = {
  kind: 'ward',
  codeField: 'area_code',
  nameField: 'area_name',
  today: '2026-06-01',
};

describeEachEngine('areas', (getDatabase, engine) => {
  beforeEach(async () => {
    await getDatabase().db.deleteFrom('area').execute();
  });

  it('imports good features with their bounding boxes, and bumps the area revision in the same transaction', async () => {
    const { db } = getDatabase();
    const before = await areaRevision(db);
    const result = await importAreas(
      db,
      collection(ward('E01', 'Altrincham', -2.35, 53.38), ward('E02', 'Bowdon', -2.37, 53.37)),
      wards,
    );
    assert.deepEqual(result, { total: 2, inserted: 2, replaced: 0, versioned: 0, skipped: [] });
    const rows = await db
      .selectFrom('area')
      .select([
        'kind',
        'code',
        'name',
        'min_lon',
        'min_lat',
        'max_lon',
        'max_lat',
        sql<string>`valid_from::text`.as('from'),
      ])
      .orderBy('code')
      .execute();
    assert.deepEqual(
      rows.map((r) => [r.kind, r.code, r.name, r.min_lon, r.min_lat, r.max_lon, r.max_lat, r.from]),
      [
        ['ward', 'E01', 'Altrincham', -2.35, 53.38, -2.35 + 0.01, 53.38 + 0.01, '1900-01-01'],
        ['ward', 'E02', 'Bowdon', -2.37, 53.37, -2.37 + 0.01, 53.37 + 0.01, '1900-01-01'],
      ],
    );
    assert.ok((await areaRevision(db)) > before, 'the revision moved');
    const current = await currentAreas(db, '2026-06-01');
    assert.deepEqual(current[0]!.geometry, ward('E01', 'Altrincham', -2.35, 53.38).geometry);
  });

  it('imports nothing from a file with one bad feature, and says which feature and why', async () => {
    const { db } = getDatabase();
    const revision = await areaRevision(db);
    const unclosed = ward('E02', 'Bowdon', -2.37, 53.37);
    (unclosed.geometry.coordinates[0] as Position[]).pop();
    const error = await importAreas(
      db,
      collection(ward('E01', 'Altrincham', -2.35, 53.38), unclosed, ward('E03', 'Hale', -2.34, 53.37)),
      wards,
    ).then(
      () => assert.fail('expected the import to be rejected'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof AreaImportError);
    assert.deepEqual(error.fileProblems, []);
    assert.equal(error.featureProblems.length, 1);
    const [problem] = error.featureProblems;
    assert.equal(problem!.index, 1);
    assert.equal(problem!.code, 'E02');
    assert.equal(problem!.name, 'Bowdon');
    assert.match(problem!.reasons[0]!, /ring 0 \(outer\) is not closed/);
    assert.equal(error.code, 'validation_failed');
    assert.equal(error.fieldErrors[0]?.field, '/features/1');
    const count = await db
      .selectFrom('area')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 0);
    assert.equal(await areaRevision(db), revision, 'nothing changed');
  });

  it('reports file-level problems: not a FeatureCollection, a foreign CRS, an unknown body', async () => {
    const { db } = getDatabase();
    await assert.rejects(importAreas(db, { type: 'Feature' }, wards), (e: AreaImportError) => {
      assert.match(e.fileProblems[0]!, /not a GeoJSON FeatureCollection \(it is a Feature\)/);
      return true;
    });
    const bng = {
      ...collection(ward('E01', 'A', -2.35, 53.38)),
      crs: { type: 'name', properties: { name: 'EPSG:27700' } },
    };
    await assert.rejects(importAreas(db, bng, wards), (e: AreaImportError) => {
      assert.match(e.fileProblems[0]!, /British National Grid/);
      return true;
    });
    await assert.rejects(
      importAreas(db, collection(ward('E01', 'A', -2.35, 53.38)), { ...wards, bodyCode: 'nobody' }),
      (e: AreaImportError) => {
        assert.deepEqual(e.fileProblems, ['there is no body with the code "nobody"']);
        return true;
      },
    );
    assert.deepEqual(await listVersions(db, 'ward'), []);
  });

  it('reports every bad feature at once: missing code, duplicate code, wrong geometry type', async () => {
    const { db } = getDatabase();
    const noCode = ward('', 'Nameless', -2.3, 53.3);
    const point = {
      type: 'Feature',
      properties: { area_code: 'E05', area_name: 'Dot' },
      geometry: { type: 'Point', coordinates: [-2.3, 53.3] },
    };
    await assert.rejects(
      importAreas(
        db,
        collection(ward('E01', 'A', -2.35, 53.38), noCode, ward('E01', 'Again', -2.3, 53.38), point, 'junk'),
        wards,
      ),
      (e: AreaImportError) => {
        assert.deepEqual(
          e.featureProblems.map((p) => [p.index, p.code, p.reasons.join('; ')]),
          [
            [1, undefined, 'it has no "area_code" property for the code'],
            [2, 'E01', 'its code E01 is also the code of feature 0'],
            [3, 'E05', 'the geometry is a Point; an area must be a Polygon or MultiPolygon'],
            [4, undefined, 'it is not a GeoJSON Feature (an object with "type": "Feature")'],
          ],
        );
        return true;
      },
    );
  });

  it('with skipInvalid, imports the good features and lists the skipped ones', async () => {
    const { db } = getDatabase();
    const bowTie = ward('E02', 'Bowdon', -2.37, 53.37);
    bowTie.geometry.coordinates = [
      [
        [0, 0],
        [1, 1],
        [1, 0],
        [0, 1],
        [0, 0],
      ],
    ];
    const result = await importAreas(
      db,
      collection(ward('E01', 'Altrincham', -2.35, 53.38), bowTie, ward('E03', 'Hale', -2.34, 53.37)),
      { ...wards, skipInvalid: true },
    );
    assert.equal(result.inserted, 2);
    assert.equal(result.skipped.length, 1);
    assert.equal(result.skipped[0]!.index, 1);
    assert.match(result.skipped[0]!.reasons[0]!, /crosses itself/);
    assert.deepEqual(
      (await listVersions(db, 'ward')).map((v) => v.code),
      ['E01', 'E03'],
    );
  });

  it('replaces the current version in place on re-import, keeping its id and body', async () => {
    const { db } = getDatabase();
    const body = await db
      .insertInto('body')
      .values({
        code: `test-${engine}-body`,
        name: 'Test Borough',
        kind: 'metropolitan_borough',
        email: null,
        phone: null,
        website: null,
      })
      .onConflict((oc) => oc.column('code').doUpdateSet({ name: 'Test Borough' }))
      .returning('id')
      .executeTakeFirstOrThrow();
    await importAreas(db, collection(ward('E01', 'Altrincham', -2.35, 53.38)), {
      ...wards,
      bodyCode: `test-${engine}-body`,
    });
    const [first] = await listVersions(db, 'ward');
    assert.equal(first!.bodyId, body.id);

    const result = await importAreas(
      db,
      collection(ward('E01', 'Altrincham Town', -2.36, 53.38, 0.02), ward('E04', 'New', 0, 0)),
      wards,
    );
    assert.deepEqual(result, { total: 2, inserted: 1, replaced: 1, versioned: 0, skipped: [] });
    const versions = await listVersions(db, 'ward');
    const again = versions.find((v) => v.code === 'E01')!;
    assert.equal(versions.filter((v) => v.code === 'E01').length, 1);
    assert.equal(again.id, first!.id);
    assert.equal(again.name, 'Altrincham Town');
    assert.equal(again.bodyId, body.id, 'no --body: the body stays');
    const row = await db
      .selectFrom('area')
      .select(['min_lon', 'max_lon'])
      .where('id', '=', first!.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual([row.min_lon, row.max_lon], [-2.36, -2.36 + 0.02]);
  });

  it('with validFrom, closes the version in force the day before and starts a new one', async () => {
    const { db } = getDatabase();
    await importAreas(db, collection(ward('E01', 'Old Altrincham', -2.35, 53.38)), wards);
    const result = await importAreas(db, collection(ward('E01', 'New Altrincham', -2.36, 53.38)), {
      ...wards,
      validFrom: '2026-05-07',
    });
    assert.deepEqual(result, { total: 1, inserted: 0, replaced: 0, versioned: 1, skipped: [] });
    assert.deepEqual(
      (await listVersions(db, 'ward')).map((v) => [v.name, v.validFrom, v.validTo]),
      [
        ['Old Altrincham', '1900-01-01', '2026-05-06'],
        ['New Altrincham', '2026-05-07', null],
      ],
    );
    assert.deepEqual(
      (await currentAreas(db, '2026-05-06')).map((a) => a.name),
      ['Old Altrincham'],
    );
    assert.deepEqual(
      (await currentAreas(db, '2026-05-07')).map((a) => a.name),
      ['New Altrincham'],
    );

    // Boundaries announced for a future date: today's stay current until then.
    await importAreas(db, collection(ward('E01', 'Future Altrincham', -2.37, 53.38)), {
      ...wards,
      validFrom: '2027-05-06',
    });
    assert.deepEqual(
      (await currentAreas(db, '2026-06-01')).map((a) => a.name),
      ['New Altrincham'],
    );
    assert.deepEqual(
      (await currentAreas(db, '2027-05-06')).map((a) => a.name),
      ['Future Altrincham'],
    );

    // The same validFrom again corrects that version in place.
    const fix = await importAreas(
      db,
      collection(ward('E01', 'Future Altrincham (corrected)', -2.37, 53.38)),
      {
        ...wards,
        validFrom: '2027-05-06',
      },
    );
    assert.equal(fix.replaced, 1);
    assert.equal((await listVersions(db, 'ward')).length, 3);

    // Without validFrom, and no version in force today, the import refuses to guess.
    await db.deleteFrom('area').where('code', '=', 'E01').where('name', '!=', 'Old Altrincham').execute();
    await db.updateTable('area').set({ valid_to: '2026-01-01' }).where('code', '=', 'E01').execute();
    await assert.rejects(
      importAreas(db, collection(ward('E01', 'Again', -2.35, 53.38)), { ...wards, today: '2026-06-01' }),
      (e: AreaImportError) => {
        assert.match(
          e.featureProblems[0]!.reasons[0]!,
          /none of its versions is in force today; give a valid-from date/,
        );
        return true;
      },
    );
  });

  it('bumps the revision for area writes made outside the service, such as the demo seed’s', async () => {
    const { db } = getDatabase();
    const before = await areaRevision(db);
    await db
      .insertInto('area')
      .values({
        kind: 'custom',
        code: 'X',
        name: 'Direct',
        geometry: JSON.stringify({ type: 'Polygon', coordinates: [square(0, 0, 1, 1)] }),
        min_lon: 0,
        min_lat: 0,
        max_lon: 1,
        max_lat: 1,
      })
      .execute();
    const afterInsert = await areaRevision(db);
    assert.ok(afterInsert > before);
    await db.deleteFrom('area').where('code', '=', 'X').execute();
    assert.ok((await areaRevision(db)) > afterInsert);
    // A rolled-back change leaves the revision where it was.
    const settled = await areaRevision(db);
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await trx.deleteFrom('area').execute();
        throw new Error('changed my mind');
      }),
    );
    assert.equal(await areaRevision(db), settled);
  });

  it('AreaIndexProvider rebuilds after maxAge once another process changed the areas, sharing one rebuild', async () => {
    const database = getDatabase();
    // Another process: a second connection pool on PostgreSQL. PGlite allows one process per data folder,
    // so there the "other process" writes through the same handle; the provider still learns of the change
    // only from the revision row.
    let other: DatabaseHandle = database;
    if (engine === 'postgres')
      other = await openDatabase({ engine: 'postgres', url: database.url!, poolSize: 2 });
    try {
      await importAreas(database.db, collection(ward('E01', 'Altrincham', -2.35, 53.38)), wards);
      let clock = 1_000_000;
      const provider = new AreaIndexProvider(database.db, {
        maxAgeMs: 5000,
        now: () => clock,
        today: () => '2026-06-01',
      });
      const first = await provider.get();
      assert.equal(provider.stats.builds, 1);
      assert.equal(first.lookup(-2.345, 53.385).primary('ward')?.code, 'E01');
      assert.equal(first.containing(-2.305, 53.385).length, 0);

      await importAreas(other.db, collection(ward('E02', 'Timperley', -2.31, 53.38)), wards);
      clock += 4999;
      assert.equal(await provider.get(), first, 'within maxAge the held index is used without asking');
      clock += 1;
      const [a, b, c] = await Promise.all([provider.get(), provider.get(), provider.get()]);
      assert.equal(provider.stats.builds, 2, 'three concurrent callers, one rebuild');
      assert.ok(a === b && b === c);
      assert.notEqual(a, first);
      assert.equal(a!.lookup(-2.305, 53.385).primary('ward')?.code, 'E02');

      clock += 10_000;
      assert.equal(await provider.get(), a, 'no change: the revision check keeps the index');
      assert.equal(provider.stats.builds, 2);

      // A new day can make a version current with no write at all.
      await importAreas(other.db, collection(ward('E01', 'Altrincham (2027)', -2.4, 53.38)), {
        ...wards,
        validFrom: '2027-05-06',
      });
      const tomorrow = new AreaIndexProvider(database.db, { today: () => '2027-05-06' });
      assert.equal((await tomorrow.get()).lookup(-2.395, 53.385).primary('ward')?.name, 'Altrincham (2027)');
    } finally {
      if (other !== database) await other.close();
    }
  });
});
