/**
 * The admin area pages over HTTP: the list links to each area; an area's page gives its details, the
 * map placeholder and a no-JavaScript fallback (bounding box, GeoJSON download); the GeoJSON itself.
 * Admins only: signed-out visitors are sent to sign in, other staff are refused.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { buildTestApp, TestBrowser, type TestApp } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';
import { newArea, newBody, newStaff, rectangle, type TestStaff } from './helpers/factories.js';
import { signedIn } from './helpers/fixtures.js';

describeEachEngine('admin area pages', (getDatabase) => {
  let t: TestApp;
  let admin: TestBrowser;
  let officer: TestStaff;

  before(async () => {
    t = await buildTestApp(getDatabase());
    const council = await newBody(t.app, { area: true });
    await newArea(t.app, {
      body: council,
      kind: 'ward',
      code: 'W-NW',
      name: 'Northmoor ward',
      ring: rectangle(-2.4, 53.435, -2.33, 53.47),
    });
    admin = await signedIn(t.app, await newStaff(t.app, { role: 'admin', body: council }));
    officer = await newStaff(t.app, { role: 'officer', body: council });
  });
  after(() => t?.close());

  async function wardId(): Promise<string> {
    const list = await admin.get('/admin/areas');
    assert.equal(list.statusCode, 200);
    const match = /<a class="govuk-link" href="\/admin\/areas\/([0-9a-f-]{36})">Northmoor ward<\/a>/.exec(
      list.body,
    );
    assert.ok(match, 'the list links each area name to its page');
    return match[1]!;
  }

  it('shows an area with its details, a map placeholder, its bounding box and a download link', async () => {
    const id = await wardId();
    const page = await admin.get(`/admin/areas/${id}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<title>Northmoor ward – Areas – /);
    assert.match(page.body, /<h1 class="govuk-heading-l">Northmoor ward<\/h1>/);
    assert.match(page.body, /W-NW/);
    assert.match(page.body, /One polygon, 5 points/);
    assert.match(page.body, /data-module="app-area-map"/);
    assert.match(page.body, new RegExp(`data-geojson-url="/admin/areas/${id}.geojson"`));
    assert.match(page.body, /data-bounds="-2.4,53.435,-2.33,53.47"/);
    assert.match(page.body, /data-tile-url="https:\/\/tile.openstreetmap.org\/\{z\}\/\{x\}\/\{y\}.png"/);
    for (const value of ['-2.400000', '53.435000', '-2.330000', '53.470000']) {
      assert.ok(page.body.includes(`<td class="govuk-table__cell">${value}</td>`), value);
    }
    assert.match(page.body, new RegExp(`<a class="govuk-link" href="/admin/areas/${id}.geojson" download>`));
  });

  it('gives the boundary as a GeoJSON Feature', async () => {
    const id = await wardId();
    const response = await admin.get(`/admin/areas/${id}.geojson`);
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/geo\+json/);
    assert.match(String(response.headers['content-disposition']), /filename="area-ward-W-NW.geojson"/);
    const feature = response.json() as {
      type: string;
      id: string;
      bbox: number[];
      properties: Record<string, unknown>;
      geometry: { type: string; coordinates: number[][][] };
    };
    assert.equal(feature.type, 'Feature');
    assert.equal(feature.id, id);
    assert.deepEqual(feature.bbox, [-2.4, 53.435, -2.33, 53.47]);
    assert.deepEqual(feature.properties, {
      kind: 'ward',
      code: 'W-NW',
      name: 'Northmoor ward',
      validFrom: '1900-01-01',
      validTo: null,
    });
    assert.equal(feature.geometry.type, 'Polygon');
    assert.equal(feature.geometry.coordinates[0]!.length, 5);
  });

  it('answers 404 for an area that does not exist or an id that is not one', async () => {
    for (const path of [
      '/admin/areas/00000000-0000-4000-8000-000000000000',
      '/admin/areas/00000000-0000-4000-8000-000000000000.geojson',
      '/admin/areas/not-a-uuid',
      "/admin/areas/1'%20or%20'1'='1.geojson",
    ]) {
      assert.equal((await admin.get(path)).statusCode, 404, path);
    }
  });

  it('sends a signed-out visitor to sign in, and refuses staff without the admin role', async () => {
    const id = await wardId();
    const visitor = new TestBrowser(t.app);
    for (const path of [`/admin/areas/${id}`, `/admin/areas/${id}.geojson`]) {
      const response = await visitor.get(path);
      assert.equal(response.statusCode, 303, path);
      assert.match(String(response.headers.location), /^\/staff\/sign-in\?next=/);
    }
    const officerBrowser = await signedIn(t.app, officer);
    assert.equal((await officerBrowser.get(`/admin/areas/${id}`)).statusCode, 403);
    assert.equal((await officerBrowser.get(`/admin/areas/${id}.geojson`)).statusCode, 403);
  });
});
