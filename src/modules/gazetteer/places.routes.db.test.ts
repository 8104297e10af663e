/**
 * The place search and reverse lookup JSON endpoints, through HTTP on the real app: their answers, their
 * validation (problem+json), their caching and rate limits, and that they start no session.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { describeEachEngine } from '../../../test/helpers/database.js';
import { GazetteerService } from './gazetteer.service.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'civicdesk-places-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

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
);
const STREETS = csv(
  'streets.csv',
  'street,town,lon,lat',
  'Bradgate Road,Sale,-2.3650,53.3877',
  'Bradgate Road,Sale,-2.3660,53.3881',
  'Broad Road,Sale,-2.3500,53.3900',
);
const PLACES = csv('places.csv', 'name,type,lon,lat', 'Woodheys Park,park,-2.3350,53.4150');
const ADDRESSES = csv(
  'addresses.csv',
  'uprn,address,postcode,lon,lat',
  '100000000012,"12 Bradgate Road, Sale",M33 7AA,-2.36555,53.38795',
  '100000000010,"10 Bradgate Road, Sale",M33 7AA,-2.3654,53.3878',
);

describeEachEngine('place search and reverse lookup API', (getDatabase) => {
  let t: TestApp;

  before(async () => {
    const gazetteer = new GazetteerService(getDatabase().db);
    for (const report of [
      await gazetteer.importPostcodes(POSTCODES),
      await gazetteer.importStreets(STREETS, { localityField: 'town' }),
      await gazetteer.importPlaces(PLACES),
      await gazetteer.importAddresses(ADDRESSES),
    ]) {
      assert.equal(report.committed, true, JSON.stringify(report.rejected));
    }
    t = await buildTestApp(getDatabase());
  });
  after(() => t?.close());

  const get = (url: string) => t.app.inject({ method: 'GET', url });

  it('finds places by name, with kind, label, detail and a point, cacheable and without a session', async () => {
    const response = await get('/api/v1/places?q=bradgate%20rd');
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    assert.equal(response.headers['cache-control'], 'public, max-age=300');
    assert.equal(response.headers['set-cookie'], undefined, 'no session is started');
    const { results } = response.json() as {
      results: { id: string; kind: string; label: string; detail: string; lat: number; lon: number }[];
    };
    assert.deepEqual(Object.keys(results[0]!).sort(), ['detail', 'id', 'kind', 'label', 'lat', 'lon']);
    assert.equal(results[0]!.kind, 'street');
    assert.equal(results[0]!.label, 'Bradgate Road');
    assert.equal(results[0]!.detail, 'Street, Sale');
    assert.ok(Math.abs(results[0]!.lat - 53.388) < 0.01 && Math.abs(results[0]!.lon + 2.366) < 0.01);
    assert.ok(results.some((r) => r.kind === 'address' && r.label === '12 Bradgate Road, Sale'));
  });

  it('finds a postcode and the addresses in it, and honours the limit', async () => {
    const all = (await get('/api/v1/places?q=m33%207aa')).json() as { results: { label: string }[] };
    assert.deepEqual(
      all.results.map((r) => r.label),
      ['M33 7AA', '10 Bradgate Road, Sale', '12 Bradgate Road, Sale'],
    );
    const one = (await get('/api/v1/places?q=m33%207aa&limit=1')).json() as { results: unknown[] };
    assert.equal(one.results.length, 1);
    const none = (await get('/api/v1/places?q=zzzzqqqq')).json() as { results: unknown[] };
    assert.deepEqual(none.results, []);
  });

  it('refuses a query that is missing, too short or too long, and a bad limit, as problem+json', async () => {
    for (const [url, field] of [
      ['/api/v1/places', '/q'],
      ['/api/v1/places?q=a', '/q'],
      [`/api/v1/places?q=${'x'.repeat(101)}`, '/q'],
      ['/api/v1/places?q=bradgate&limit=21', '/limit'],
      ['/api/v1/places?q=bradgate&limit=0', '/limit'],
      ['/api/v1/places?q=bradgate&limit=ten', '/limit'],
    ] as const) {
      const response = await get(url);
      assert.equal(response.statusCode, 400, url);
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/, url);
      const problem = response.json() as { code: string; status: number; errors: { field: string }[] };
      assert.equal(problem.code, 'validation_failed', url);
      assert.equal(problem.status, 400);
      assert.ok(
        problem.errors.some((e) => e.field === field),
        `${url}: ${JSON.stringify(problem.errors)}`,
      );
    }
    // Exactly the limits are fine.
    assert.equal((await get(`/api/v1/places?q=${'x'.repeat(100)}&limit=20`)).statusCode, 200);
    assert.equal((await get('/api/v1/places?q=ab')).statusCode, 200);
  });

  it('treats hostile input as text', async () => {
    const response = await get(`/api/v1/places?q=${encodeURIComponent("'; drop table gazetteer_place; --")}`);
    assert.equal(response.statusCode, 200);
    assert.equal((await new GazetteerService(getDatabase().db).counts()).streets, 2);
  });

  it('describes a point in words, with the street and the address near it', async () => {
    const response = await get('/api/v1/places/reverse?lat=53.38805&lon=-2.3657');
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['cache-control'], 'public, max-age=300');
    assert.equal(response.headers['set-cookie'], undefined);
    assert.deepEqual(response.json(), {
      description: 'Near 12 Bradgate Road, Sale',
      street: 'Bradgate Road, Sale',
      address: '12 Bradgate Road, Sale',
    });
    // By Broad Road, more than 50 m from any address: the street only.
    assert.deepEqual((await get('/api/v1/places/reverse?lat=53.39&lon=-2.35')).json(), {
      description: 'Broad Road, Sale',
      street: 'Broad Road, Sale',
    });
    // Nothing near at all.
    assert.deepEqual((await get('/api/v1/places/reverse?lat=52.5&lon=-1.5')).json(), { description: null });
  });

  it('refuses a point that is not one, as problem+json', async () => {
    for (const query of ['lat=91&lon=0', 'lat=0&lon=-181', 'lat=north&lon=0', 'lat=53.4', '']) {
      const response = await get(`/api/v1/places/reverse?${query}`);
      assert.equal(response.statusCode, 400, query);
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      assert.equal((response.json() as { code: string }).code, 'validation_failed');
    }
  });

  it('limits each client to 120 reverse lookups a minute, then answers 429 as problem+json', async () => {
    const lookup = (remoteAddress: string) =>
      t.app.inject({ method: 'GET', url: '/api/v1/places/reverse?lat=52.5&lon=-1.5', remoteAddress });
    for (let i = 0; i < 120; i++) {
      const response = await lookup('192.0.2.10');
      assert.equal(response.statusCode, 200, `request ${i + 1}`);
    }
    const refused = await lookup('192.0.2.10');
    assert.equal(refused.statusCode, 429);
    assert.match(String(refused.headers['content-type']), /^application\/problem\+json/);
    assert.equal((refused.json() as { code: string }).code, 'rate_limited');
    assert.ok(refused.headers['retry-after']);
    // Another client is not affected.
    assert.equal((await lookup('192.0.2.11')).statusCode, 200);
  });

  it('lets images come from the tile server named in the settings, and from nowhere else', async () => {
    const imgSrc = (csp: unknown) => /img-src ([^;]*)/.exec(String(csp))?.[1];
    const page = await get('/');
    assert.equal(
      imgSrc(page.headers['content-security-policy']),
      "'self' data: https://tile.openstreetmap.org",
    );

    const other = await buildTestApp(getDatabase(), {
      env: { CIVICDESK_MAP_TILE_URL: 'https://{s}.tiles.example.org/osm/{z}/{x}/{y}.png?key=abc' },
    });
    try {
      const response = await other.app.inject({ method: 'GET', url: '/' });
      assert.equal(
        imgSrc(response.headers['content-security-policy']),
        "'self' data: https://*.tiles.example.org",
      );
    } finally {
      await other.close();
    }
  });
});
