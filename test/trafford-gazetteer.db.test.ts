/**
 * The gazetteer on real data: Trafford's 11,264 postcodes and the 880 street names of its street trees.
 * The data stays outside the repository: CIVICDESK_TEST_TRAFFORD_DIR, by default ../shared/data/trafford
 * beside the checkout.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { GazetteerService } from '../src/modules/gazetteer/gazetteer.service.js';
import { describeEachEngine } from './helpers/database.js';

const DATA_DIR =
  process.env.CIVICDESK_TEST_TRAFFORD_DIR ?? path.resolve(import.meta.dirname, '../../shared/data/trafford');
const POSTCODES = path.join(DATA_DIR, 'trafford_postcodes.csv');
const TREES = path.join(DATA_DIR, 'highways_trees.csv');

if (!fs.existsSync(POSTCODES) || !fs.existsSync(TREES)) {
  throw new Error(`The Trafford data is not in ${DATA_DIR}: set CIVICDESK_TEST_TRAFFORD_DIR to its folder.`);
}

type Row = Record<string, string>;
const postcodeRows = parse(fs.readFileSync(POSTCODES), { columns: true, bom: true }) as Row[];
const treeRows = parse(fs.readFileSync(TREES), { columns: true, bom: true }) as Row[];
const streetNames = [...new Set(treeRows.map((t) => t.street!))].sort();

/** A small seeded generator, so every run asks the same questions. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** The name with one letter of its first word dropped or two swapped ("Moorside Road" → "Mooside Road"). */
function misspell(name: string, next: () => number): string {
  const [first, ...rest] = name.split(' ');
  const word = first!;
  const i = 1 + Math.floor(next() * (word.length - 2));
  const typo =
    next() < 0.5
      ? word.slice(0, i) + word.slice(i + 1)
      : word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
  return [typo, ...rest].join(' ');
}

describeEachEngine('gazetteer on Trafford data', (getDatabase) => {
  const service = () => new GazetteerService(getDatabase().db);

  before(async () => {
    const postcodes = await service().importPostcodes(POSTCODES);
    assert.equal(postcodes.rejectedCount, 0, JSON.stringify(postcodes.rejected.slice(0, 5)));
    const streets = await service().importStreets(TREES, {
      nameField: 'street',
      lonField: 'lon',
      latField: 'lat',
    });
    assert.equal(streets.rejectedCount, 0, JSON.stringify(streets.rejected.slice(0, 5)));
  });

  it('imports every postcode and every street', async () => {
    const counts = await service().counts();
    assert.equal(postcodeRows.length, 11_264);
    assert.equal(counts.postcodes, 11_264);
    assert.equal(streetNames.length, 880);
    assert.equal(counts.streets, 880);
  });

  it('finds only the postcodes of a sector for "M33 7", in order', async () => {
    const inSector = postcodeRows.map((r) => r.postcode!).filter((p) => p.startsWith('M33 7'));
    inSector.sort();
    const results = await service().search('M33 7', { limit: 50 });
    assert.equal(results.length, Math.min(50, inSector.length));
    assert.ok(results.every((r) => r.kind === 'postcode' && r.label.startsWith('M33 7')));
    assert.deepEqual(
      results.map((r) => r.label),
      inSector.slice(0, results.length),
    );
  });

  it('finds a whole postcode typed in lower case exactly, first', async () => {
    const row = postcodeRows.find((r) => r.postcode!.startsWith('M33 7'))!;
    const [first] = await service().search(row.postcode!.toLowerCase());
    assert.equal(first?.kind, 'postcode');
    assert.equal(first?.label, row.postcode);
    assert.equal(first?.detail, `Postcode, ${row.ward_name} ward`);
    assert.deepEqual([first?.lon, first?.lat], [Number(row.lon), Number(row.lat)]);
    const [compact] = await service().search(row.postcode!.replace(' ', '').toLowerCase());
    assert.equal(compact?.label, row.postcode);
  });

  it('finds Bradgate Road first for "Bradgate Rd"', async () => {
    const [first] = await service().search('Bradgate Rd');
    assert.equal(first?.kind, 'street');
    assert.equal(first?.label, 'Bradgate Road');
  });

  it('finds misspelt streets in the top three', async () => {
    for (const [typo, name] of [
      ['Moorsdie Road', 'Moorside Road'],
      ['Cantebury Road', 'Canterbury Road'],
      ['Davyhlume Road', 'Davyhulme Road'],
      ['Bradgtae Road', 'Bradgate Road'],
    ] as const) {
      assert.ok(streetNames.includes(name), name);
      const top = (await service().search(typo, { limit: 3 })).map((r) => r.label);
      assert.ok(top.includes(name), `${typo}: ${top.join(', ')}`);
    }

    // Every street whose first word has five letters or more, with one letter dropped or swapped.
    const next = random(20261123);
    let inTopThree = 0;
    let tried = 0;
    const missed: string[] = [];
    for (const name of streetNames) {
      if (name.split(' ')[0]!.length < 5) continue;
      const typo = misspell(name, next);
      tried += 1;
      const top = (await service().search(typo, { limit: 3 })).map((r) => r.label);
      if (top.includes(name)) inTopThree += 1;
      else missed.push(`${typo} → ${top.join(', ')}`);
    }
    assert.ok(tried > 700);
    assert.ok(
      inTopThree / tried >= 0.97,
      `${inTopThree}/${tried} in the top three; missed: ${missed.join('; ')}`,
    );
  });

  it('names the street a point on it belongs to', async () => {
    // Halfway between two neighbouring trees on Bradgate Road: on the street, but not a stored point.
    const bradgate = treeRows.filter((t) => t.street === 'Bradgate Road');
    const [a, b] = [bradgate[3]!, bradgate[4]!];
    const lon = (Number(a.lon) + Number(b.lon)) / 2;
    const lat = (Number(a.lat) + Number(b.lat)) / 2;
    const [street] = await service().nearest(lon, lat, { kinds: ['street'] });
    assert.equal(street?.label, 'Bradgate Road');
    assert.equal(await service().describePoint(lon, lat), 'Bradgate Road');

    // A sample of trees, each moved a few metres: almost all are nearest their own street (a tree at a
    // corner can be nearer the side street).
    const next = random(7);
    let right = 0;
    let tried = 0;
    for (let i = 0; i < treeRows.length; i += 37) {
      const tree = treeRows[i]!;
      const pin = {
        lon: Number(tree.lon) + (next() - 0.5) * 0.00012,
        lat: Number(tree.lat) + (next() - 0.5) * 0.00008,
      };
      const [near] = await service().nearest(pin.lon, pin.lat, { kinds: ['street'] });
      tried += 1;
      if (near?.label === tree.street) right += 1;
    }
    assert.ok(right / tried >= 0.97, `${right}/${tried}`);
  });
});
