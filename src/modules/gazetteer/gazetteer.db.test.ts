import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import { describeEachEngine } from '../../../test/helpers/database.js';
import { importPostcodesCommand, importStreetsCommand } from './gazetteer.cli.js';
import { ImportFileError } from './gazetteer.import.js';
import { GazetteerService } from './gazetteer.service.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'civicdesk-gazetteer-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes a fixture file and returns its path. */
function csv(name: string, ...lines: string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const POSTCODES = csv(
  'postcodes.csv',
  'postcode,ward_code,ward_name,lon,lat',
  'M33 7AA,E05000001,Brooklands,-2.3655,53.3879',
  'M33 7AB,E05000001,Brooklands,-2.3301,53.4001',
  'M33 7BA,E05000001,Brooklands,-2.3320,53.4010',
  'M33 6XY,E05000002,"Sale Moor, East",-2.3100,53.4200',
  'M33 0AF,E05000002,"Sale Moor, East",-2.3110,53.4210',
  'M3 1AB,E05000003,City,-2.2500,53.4800',
  'M30 9ZZ,E05000004,Eccles,-2.3400,53.4800',
  'M31 1AA,E05000005,Partington,-2.4200,53.4200',
  'WA14 1AA,E05000006,Altrincham,-2.3500,53.3870',
);

/** The ONS Postcode Directory's own column names, with a terminated postcode. */
const ONSPD = csv(
  'onspd.csv',
  'pcd,pcd2,pcds,dointr,doterm,osward,oslaua,parish,lsoa21,lat,long',
  'M337TT ,M33  7TT,M33 7TT,198001,202001,E05000001,E08000009,,E01000001,53.3890,-2.3600',
  'M337UU ,M33  7UU,M33 7UU,198001,,E05000001,E08000009,E04000001,E01000001,53.3891,-2.3601',
);

const STREETS = csv(
  'streets.csv',
  'street,town,lon,lat',
  'Bradgate Road,,-2.3650,53.3877',
  'Bradgate Road,,-2.3655,53.3879',
  'Bradgate Road,,-2.3660,53.3881',
  // The same street abbreviated: one street, not two.
  'Bradgate Rd,,-2.3665,53.3883',
  'Broad Road,,-2.3500,53.3900',
  'Highgate Road,,-2.3400,53.3950',
  'Moorside Road,,-2.3300,53.4000',
  'Moorside Road,,-2.3302,53.4001',
  'St Johns Road,,-2.3200,53.4100',
  'Bradbury Avenue,,-2.3660,53.3900',
  'Church Street,Sale,-2.3180,53.4250',
  'Church St,Altrincham,-2.3500,53.3880',
  // A long lane whose middle is far from its west end, and a short close near that end.
  ...Array.from({ length: 11 }, (_, i) => `Long Lane,,${(-2.3 - i * 0.001).toFixed(4)},53.4400`),
  'Short Close,,-2.3095,53.4406',
);

const PLACES = csv(
  'places.csv',
  'name,type,lon,lat',
  'Woodheys Park,park,-2.3350,53.4150',
  'Woodheys Park,park,-2.3360,53.4160',
  'Sale Water Park,park,-2.2950,53.4300',
);

const ADDRESSES = csv(
  'addresses.csv',
  'uprn,address,postcode,lon,lat',
  '100000000012,"12 Bradgate Road, Sale",m33 7aa,-2.36555,53.38795',
  '100000000002,"2 Bradgate Road, Sale",M337AA,-2.3651,53.3877',
  '100000000010,"10 Bradgate Road, Sale",M33 7AA,-2.3654,53.3878',
  '100000000020,"Flat 1, 20 Moorside Road, Sale",M33 7AB,-2.3301,53.4001',
);

function labels(results: { label: string }[]): string[] {
  return results.map((r) => r.label);
}

describeEachEngine('gazetteer', (getDatabase, engine) => {
  const service = () => new GazetteerService(getDatabase().db);

  async function empty(): Promise<void> {
    const { db } = getDatabase();
    await db.deleteFrom('gazetteer_place_point').execute();
    await db.deleteFrom('gazetteer_place').execute();
    await db.deleteFrom('gazetteer_address').execute();
    await db.deleteFrom('gazetteer_postcode').execute();
  }

  async function loadFixtures(): Promise<void> {
    await empty();
    const gazetteer = service();
    for (const report of [
      await gazetteer.importPostcodes(POSTCODES),
      await gazetteer.importPostcodes(ONSPD),
      await gazetteer.importStreets(STREETS),
      await gazetteer.importPlaces(PLACES),
      await gazetteer.importAddresses(ADDRESSES),
    ]) {
      assert.equal(report.committed, true, JSON.stringify(report.rejected));
    }
  }

  describe('search', () => {
    before(loadFixtures);

    it('imports what the fixtures hold, merging rows that name one street', async () => {
      assert.deepEqual(await service().counts(), {
        postcodes: 11,
        streets: 10,
        places: 2,
        addresses: 4,
        placePoints: 27,
      });
    });

    it('finds a whole postcode exactly, however it is typed, then the addresses in it in house order', async () => {
      for (const query of ['m33 7aa', 'M337AA', ' M33  7AA ']) {
        const results = await service().search(query);
        assert.equal(results[0]?.kind, 'postcode');
        assert.equal(results[0]?.label, 'M33 7AA');
        assert.equal(results[0]?.detail, 'Postcode, Brooklands ward');
        assert.deepEqual(labels(results.slice(1)), [
          '2 Bradgate Road, Sale',
          '10 Bradgate Road, Sale',
          '12 Bradgate Road, Sale',
        ]);
      }
    });

    it('lists the postcodes that start with a partial postcode, in order, and nothing else', async () => {
      const expected = ['M33 7AA', 'M33 7AB', 'M33 7BA', 'M33 7UU'];
      assert.deepEqual(labels(await service().search('M33 7')), expected);
      assert.deepEqual(labels(await service().search('m337')), expected);
      assert.deepEqual(labels(await service().search('M33 7A')), ['M33 7AA', 'M33 7AB']);
      assert.deepEqual(labels(await service().search('M33')), ['M33 0AF', 'M33 6XY', ...expected]);
      assert.deepEqual(labels(await service().search('M33 7', { limit: 2 })), ['M33 7AA', 'M33 7AB']);
    });

    it('puts an outward code first, then the longer ones that start the same way', async () => {
      const results = labels(await service().search('M3'));
      assert.deepEqual(results.slice(0, 3), ['M3 1AB', 'M30 9ZZ', 'M31 1AA']);
      assert.ok(results.every((p) => p.startsWith('M3')));
      // No WA1 postcodes: those of WA14 instead.
      assert.deepEqual(labels(await service().search('wa1')), ['WA14 1AA']);
    });

    it('offers the sector for a postcode it does not have', async () => {
      assert.deepEqual(labels(await service().search('M33 7ZZ')), [
        'M33 7AA',
        'M33 7AB',
        'M33 7BA',
        'M33 7UU',
      ]);
    });

    it('keeps terminated postcodes out of lists but still finds them exactly', async () => {
      assert.ok(!labels(await service().search('M33 7')).includes('M33 7TT'));
      const [exact] = await service().search('M33 7TT');
      assert.equal(exact?.label, 'M33 7TT');
      assert.match(exact!.detail, /no longer used/);
    });

    it('reads abbreviations the way names were stored: "Bradgate Rd" finds Bradgate Road first', async () => {
      const results = await service().search('Bradgate Rd');
      assert.equal(results[0]?.kind, 'street');
      assert.equal(results[0]?.label, 'Bradgate Road');
      assert.equal(results.filter((r) => r.label === 'Bradgate Road').length, 1);
      assert.equal(labels(await service().search('st johns rd'))[0], 'St Johns Road');
      assert.equal(labels(await service().search('Saint Johns Road'))[0], 'St Johns Road');
    });

    it('forgives typos', async () => {
      assert.equal(labels(await service().search('Bradgtae Road'))[0], 'Bradgate Road');
      assert.equal(labels(await service().search('bradgate raod'))[0], 'Bradgate Road');
      assert.ok(
        labels(await service().search('Moorsde Road'))
          .slice(0, 3)
          .includes('Moorside Road'),
      );
      assert.equal(labels(await service().search('Woodhey Park'))[0], 'Woodheys Park');
    });

    it('ranks whole names, then names that start with the query, then similar ones', async () => {
      // "Bradgate" starts the street's name; it is only a word inside the addresses.
      const results = await service().search('Bradgate');
      assert.equal(results[0]?.label, 'Bradgate Road');
      assert.deepEqual(
        results.slice(1, 4).map((r) => r.kind),
        ['address', 'address', 'address'],
      );
      // A house number leads to the address.
      assert.equal(labels(await service().search('12 Bradgate'))[0], '12 Bradgate Road, Sale');
      assert.equal(labels(await service().search('flat 1 20 moorside'))[0], 'Flat 1, 20 Moorside Road, Sale');
    });

    it('tells apart streets of one name in different places', async () => {
      const results = (await service().search('Church Street')).filter((r) => r.label === 'Church Street');
      assert.deepEqual(results.map((r) => r.detail).sort(), ['Street, Altrincham', 'Street, Sale']);
      const [sale] = await service().search('church street sale');
      assert.equal(sale?.detail, 'Street, Sale');
    });

    it('returns named places with their type', async () => {
      const [park] = await service().search('woodheys park', { kinds: ['place'] });
      assert.equal(park?.kind, 'place');
      assert.equal(park?.detail, 'Park');
    });

    it('filters by kind and honours the limit', async () => {
      const streets = await service().search('road', { kinds: ['street'], limit: 3 });
      assert.equal(streets.length, 3);
      assert.ok(streets.every((r) => r.kind === 'street'));
      await assert.rejects(service().search('road', { limit: 0 }), /limit/);
    });

    it('treats hostile or oversized input as text', async () => {
      for (const query of [
        "'; drop table gazetteer_place; --",
        "Bradgate' OR '1'='1",
        '%_\\',
        'x'.repeat(100_000),
        '',
        '   ',
        'a',
      ]) {
        const results = await service().search(query);
        assert.ok(Array.isArray(results));
      }
      assert.equal((await service().counts()).streets, 10);
    });

    it('finds results again by id', async () => {
      for (const query of ['M33 7AA', 'Bradgate Road', 'Woodheys Park', '12 Bradgate Road']) {
        const [first] = await service().search(query);
        assert.deepEqual(await service().find(first!.id), first);
      }
      assert.equal(await service().find('street:999999'), null);
      assert.equal(await service().find('nonsense'), null);
      assert.equal(await service().find('address:12; drop'), null);
    });
  });

  describe('nearest', () => {
    before(loadFixtures);

    it('describes a pin by the street it is on', async () => {
      const near = await service().nearest(-2.36572, 53.38802, { kinds: ['street'] });
      assert.equal(near.length, 1);
      assert.equal(near[0]?.label, 'Bradgate Road');
      assert.equal(near[0]?.description, 'Bradgate Road');
      assert.ok(near[0]!.distanceMetres < 20, String(near[0]!.distanceMetres));
    });

    it('finds the street with the nearest point, not the nearest middle', async () => {
      // By the west end of Long Lane: its middle is 300 m away, Short Close's only point 60 m.
      const [street] = await service().nearest(-2.3099, 53.44005, { kinds: ['street'] });
      assert.equal(street?.label, 'Long Lane');
      assert.ok(street!.distanceMetres < 15);
    });

    it('gives the nearest of each kind asked for, nearest first, and names the locality', async () => {
      const near = await service().nearest(-2.3181, 53.4251, { kinds: ['street', 'postcode', 'address'] });
      assert.deepEqual(
        near.map((n) => n.kind),
        ['street'],
      );
      assert.equal(near[0]?.description, 'Church Street, Sale');
      const wide = await service().nearest(-2.36555, 53.38796, {
        kinds: ['street', 'address', 'postcode'],
        maxMetres: 1000,
      });
      assert.deepEqual(
        wide.map((n) => n.kind),
        ['address', 'postcode', 'street'],
      );
      assert.ok(wide[0]!.distanceMetres <= wide[1]!.distanceMetres);
      assert.equal(wide[0]?.description, '12 Bradgate Road, Sale');
    });

    it('describes a point in words', async () => {
      assert.equal(await service().describePoint(-2.3657, 53.38805), 'Near 12 Bradgate Road, Sale');
      assert.equal(await service().describePoint(-2.3099, 53.44005), 'Long Lane');
      assert.equal(await service().describePoint(-2.3355, 53.4156), 'Near Woodheys Park');
      assert.equal(await service().describePoint(-1.5, 52.5), null);
    });

    it('finds nothing beyond the distance, and refuses a point that is not one', async () => {
      assert.deepEqual(
        await service().nearest(-2.3099, 53.44005, { kinds: ['address'], maxMetres: 100 }),
        [],
      );
      await assert.rejects(service().nearest(Number.NaN, 53), /longitude/);
      await assert.rejects(service().nearest(-2.3, 95), /longitude/);
    });
  });

  describe('imports', () => {
    it('rejects bad rows with their line numbers and reasons, and imports nothing', async () => {
      await empty();
      const file = csv(
        'bad-postcodes.csv',
        'postcode,ward_code,ward_name,lon,lat',
        'M33 7AA,E05000001,Brooklands,-2.3655,53.3879',
        ',E05000001,Brooklands,-2.3655,53.3879',
        'NOT A CODE,E05000001,Brooklands,-2.3655,53.3879',
        'M33 7AB,E05000001,"Brooklands,',
        'south",abc,53.3879',
        'M33 7BA,E05000001,Brooklands,-2.3655,99.999999',
        'M33 7BB,E05000001,Brooklands,53.3879,-2.3655',
        'M33 7BD,E05000001,Brooklands,-2.3655',
        '',
        'M33 7BE,E05000001,Brooklands,-2.3655,',
        'M33 7BF,E05000001,Brooklands,-2.3655,53.3879',
      );
      const report = await service().importPostcodes(file);
      assert.equal(report.committed, false);
      assert.equal(report.imported, 0);
      assert.equal(report.rows, 9);
      assert.equal(report.goodRows, 2);
      assert.deepEqual(report.rejected, [
        { line: 3, reason: 'missing postcode (column "postcode")' },
        { line: 4, reason: 'invalid postcode "NOT A CODE"' },
        { line: 5, reason: 'unparseable longitude "abc"' },
        {
          line: 7,
          reason: 'latitude 99.999999 is outside -90 to 90 (the postcode has no location in the directory)',
        },
        {
          line: 8,
          reason:
            'point (longitude 53.3879, latitude -2.3655) is outside the UK: are the longitude and latitude columns the wrong way round?',
        },
        { line: 9, reason: 'has 4 fields where the header has 5' },
        { line: 11, reason: 'missing latitude (column "lat")' },
      ]);
      assert.equal((await service().counts()).postcodes, 0);
    });

    it('with skipInvalid, imports the good rows and lists the bad ones', async () => {
      await empty();
      const file = csv(
        'some-bad-addresses.csv',
        'UPRN,Address,Postcode,Lon,Lat',
        '1,"1 Good Street, Sale",M33 7AA,-2.3,53.4',
        'x1,"2 Good Street, Sale",M33 7AA,-2.3,53.4',
        '3,"3 Good Street, Sale",M33 7CA,-2.3,53.4',
        '4,"",M33 7AA,-2.3,53.4',
        '5,"5 Good Street, Sale",,-2.3,53.4',
      );
      const report = await service().importAddresses(file, { skipInvalid: true });
      assert.equal(report.committed, true);
      assert.equal(report.imported, 2);
      assert.deepEqual(report.rejected, [
        { line: 3, reason: 'invalid UPRN "x1" (expected 1 to 12 digits)' },
        { line: 4, reason: 'invalid postcode "M33 7CA"' },
        { line: 5, reason: 'missing address (column "Address")' },
      ]);
      assert.equal((await service().counts()).addresses, 2);
      const [five] = await service().search('5 good street');
      assert.equal(five?.id, 'address:5');
    });

    it('imports nothing from a street file with a bad row, unless told to skip it', async () => {
      await empty();
      const file = csv(
        'bad-streets.csv',
        'street,lon,lat',
        'Good Road,-2.3,53.4',
        ',-2.3,53.4',
        'Other Road,-2.3,north',
      );
      const report = await service().importStreets(file);
      assert.equal(report.committed, false);
      assert.deepEqual(report.rejected, [
        { line: 3, reason: 'missing name (column "street")' },
        { line: 4, reason: 'unparseable latitude "north"' },
      ]);
      assert.equal((await service().counts()).streets, 0);
      const skipped = await service().importStreets(file, { skipInvalid: true });
      assert.equal(skipped.committed, true);
      assert.equal(skipped.imported, 1);
      assert.equal((await service().counts()).streets, 1);
    });

    it('imports the same files again without duplicating anything, and updates what changed', async () => {
      await loadFixtures();
      const gazetteer = service();
      const counts = await gazetteer.counts();
      const queries = ['Bradgate Road', 'M33 7', 'M33 7AA', 'Woodheys Park', 'Church Street'];
      const found = await Promise.all(queries.map((q) => gazetteer.search(q)));

      for (const file of [POSTCODES, ONSPD]) assert.ok((await gazetteer.importPostcodes(file)).committed);
      assert.ok((await gazetteer.importStreets(STREETS)).committed);
      assert.ok((await gazetteer.importPlaces(PLACES)).committed);
      assert.ok((await gazetteer.importAddresses(ADDRESSES)).committed);
      assert.deepEqual(await gazetteer.counts(), counts);
      // Same rows, same ids: a re-import updates in place.
      assert.deepEqual(await Promise.all(queries.map((q) => gazetteer.search(q))), found);

      const moved = csv('moved.csv', 'postcode,lon,lat', 'm33 7aa,-2.3000,53.4000');
      assert.ok((await gazetteer.importPostcodes(moved)).committed);
      const [postcode] = await gazetteer.search('M33 7AA');
      assert.deepEqual([postcode?.lon, postcode?.lat], [-2.3, 53.4]);
      // The file is the truth for each postcode it lists: fields it lacks are cleared.
      assert.equal(postcode?.detail, 'Postcode');
      assert.equal((await gazetteer.counts()).postcodes, counts.postcodes);

      const lane = csv(
        'lane.csv',
        'street,lon,lat',
        'Long Lane,-2.3000,53.4400',
        'Long Lane,-2.3010,53.4400',
      );
      const [before] = await gazetteer.search('Long Lane');
      assert.ok((await gazetteer.importStreets(lane)).committed);
      const [after] = await gazetteer.search('Long Lane');
      assert.equal(after?.id, before?.id);
      assert.equal((await gazetteer.counts()).placePoints, counts.placePoints - 11 + 2);
    });

    it('says clearly when a file is missing, empty, or lacks a column', async () => {
      const gazetteer = service();
      await assert.rejects(
        gazetteer.importPostcodes(path.join(dir, 'nowhere.csv')),
        (error: Error) =>
          error instanceof ImportFileError && /File not found: .*nowhere\.csv/.test(error.message),
      );
      await assert.rejects(gazetteer.importPostcodes(csv('empty.csv')), /is empty/);
      fs.writeFileSync(path.join(dir, 'zero.csv'), '');
      await assert.rejects(gazetteer.importPostcodes(path.join(dir, 'zero.csv')), /is empty/);
      await assert.rejects(
        gazetteer.importPostcodes(csv('header.csv', 'postcode,lon,lat')),
        /header but no rows/,
      );
      await assert.rejects(
        gazetteer.importPostcodes(
          csv('trees.csv', 'treeID,species,street,lon,lat', 'T1,Oak,Elm Road,-2.3,53.4'),
        ),
        (error: Error) =>
          error instanceof ImportFileError &&
          error.message.includes('there is no postcode column') &&
          error.message.includes('--postcode-field') &&
          error.message.includes('Its columns are: "treeID", "species", "street", "lon", "lat"'),
      );
      await assert.rejects(
        gazetteer.importStreets(STREETS, { nameField: 'street_name' }),
        /there is no column "street_name" \(--name-field\)/,
      );
      await assert.rejects(
        gazetteer.importPostcodes(csv('broken.csv', 'postcode,lon,lat', '"M33 7AA,-2.3,53.4')),
        /not valid CSV/,
      );
    });

    it('runs as a command: exit codes, bad rows on stderr, nothing imported', async () => {
      await empty();
      const database = getDatabase();
      const dataDir = fs.mkdtempSync(path.join(dir, 'data-'));
      const env =
        engine === 'postgres'
          ? { DATABASE_URL: database.url, CIVICDESK_ENV: 'test' }
          : { CIVICDESK_DATA_DIR: dataDir, CIVICDESK_ENV: 'test' };
      const errors: string[] = [];
      const output: string[] = [];
      mock.method(console, 'error', (...args: unknown[]) => errors.push(args.join(' ')));
      mock.method(console, 'log', (...args: unknown[]) => output.push(args.join(' ')));
      try {
        const bad = csv('cli-bad.csv', 'pcds,long,lat', 'M33 7AA,-2.3,53.4', 'M33 7ZZZ,-2.3,53.4');
        assert.equal(await importPostcodesCommand.run({ values: {}, positionals: [bad], env }), 1);
        assert.ok(
          errors.some((e) => e.includes('line 3: invalid postcode "M33 7ZZZ"')),
          errors.join('\n'),
        );
        assert.ok(errors.some((e) => e.includes('nothing was imported')));
        assert.equal(
          await importPostcodesCommand.run({ values: { 'skip-invalid': true }, positionals: [bad], env }),
          0,
        );
        assert.ok(
          output.some((o) => o.includes('Imported 1 postcodes')),
          output.join('\n'),
        );
        assert.equal(
          await importStreetsCommand.run({ values: {}, positionals: [path.join(dir, 'gone.csv')], env }),
          1,
        );
        assert.ok(errors.some((e) => e.includes('File not found')));
        await assert.rejects(
          importStreetsCommand.run({ values: {}, positionals: [], env }),
          /Give the CSV file/,
        );
      } finally {
        mock.restoreAll();
      }
      if (engine === 'postgres') assert.equal((await service().counts()).postcodes, 1);
    });
  });
});
