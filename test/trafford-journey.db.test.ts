/**
 * The "done when": a resident reports a pothole at a real Trafford postcode, gets the receipt
 * email, and opens the tracking page from it. Real open data (the borough boundary and 11,264 postcodes
 * from ../shared/data/trafford, read in place), a council configured through the catalogue, and the
 * journey without JavaScript over HTTP, on both engines.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { pino } from 'pino';
import { demoCatalogue } from '../src/demo/demo-council.js';
import { importAreas } from '../src/modules/areas/areas.service.js';
import type { Worker } from '../src/infra/jobs/jobs.js';
import { buildTestApp, TestBrowser, type TestApp } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp.js';

const TRAFFORD = path.resolve(
  process.env.CIVICDESK_TEST_TRAFFORD_DIR || path.join(import.meta.dirname, '../../shared/data/trafford'),
);

describeEachEngine('reporting a pothole at a Trafford postcode', (getDatabase) => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let worker: Worker;

  before(async () => {
    smtp = await startSmtpServer();
    t = await buildTestApp(getDatabase(), {
      env: {
        SMTP_URL: smtp.url,
        CIVICDESK_BASE_URL: 'https://report.trafford.example',
        CIVICDESK_REFERENCE_PREFIX: 'TRF',
      },
      parts: { jobSettings: { pollMs: 20 } },
    });
    // The council's configuration: the demo's services, under a Trafford body.
    const catalogue = structuredClone(demoCatalogue);
    catalogue.bodies = [
      {
        code: 'trafford',
        name: 'Trafford Council',
        kind: 'metropolitan_borough',
        email: 'contact@trafford.example',
      },
    ];
    catalogue.teams = catalogue.teams
      .filter((team) => team.body === 'ashdown')
      .map((team) => ({ ...team, body: 'trafford' }));
    catalogue.services = catalogue.services.map((s) => ({
      ...s,
      offeredBy: ['trafford'],
      definition: { ...s.definition, defaultBody: 'trafford' },
    }));
    catalogue.routingRules = catalogue.routingRules
      .filter((r) => r.body === 'ashdown')
      .map((r) => ({ ...r, body: 'trafford' }));
    await t.app.domain.catalogue.import(catalogue);
    const borough = JSON.parse(
      fs.readFileSync(path.join(TRAFFORD, 'local_authority_district.geojson'), 'utf8'),
    );
    await importAreas(getDatabase().db, borough, {
      kind: 'council',
      codeField: 'area_code',
      nameField: 'area_name',
      bodyCode: 'trafford',
    });
    await t.app.domain.gazetteer.importPostcodes(path.join(TRAFFORD, 'trafford_postcodes.csv'));
    worker = t.app.jobs.createWorker(pino({ level: 'silent' }));
    await worker.start();
  });
  after(async () => {
    await worker.stop();
    await t.close();
    await smtp.close();
  });

  it('takes the report at M33 7AA, emails the receipt, and its link opens the tracking page', async () => {
    const browser = new TestBrowser(t.app);
    await browser.get('/report/start?service=pothole');
    const search = await browser.get('/report/where?q=m33%207aa');
    const place = /name="place" type="radio" value="([^"]+)"/.exec(search.body)?.[1];
    assert.ok(place, 'the postcode is found, typed in lower case');
    assert.match(search.body, /M33 7AA/);
    const where = await browser.post('/report/where', { q: 'm33 7aa', place });
    assert.equal(where.statusCode, 303);
    await browser.get('/report/questions');
    assert.equal((await browser.post('/report/questions', { danger: 'no', size: 'medium' })).statusCode, 303);
    await browser.get('/report/details');
    assert.equal(
      (await browser.post('/report/details', { description: 'Pothole by the kerb', locationDetail: '' }))
        .statusCode,
      303,
    );
    await browser.get('/report/photos');
    assert.equal((await browser.post('/report/photos', {})).statusCode, 303);
    await browser.get('/report/about-you');
    await browser.post('/report/about-you', {
      name: 'Sam Sale',
      email: 'sam.sale@example.org',
      flags: ['updates'],
    });
    const check = await browser.get('/report/check');
    assert.match(check.body, /M33 7AA/);
    const sent = await browser.post('/report/check', {});
    const reference = /\/report\/confirmation\/(TRF-\w{4}-\w{4})$/.exec(sent.headers.location as string)?.[1];
    assert.ok(reference, String(sent.headers.location));
    const confirmation = await browser.get(sent.headers.location as string);
    assert.match(confirmation.body, /Trafford Council/);

    const receipt = await smtp.waitFor((m) => m.parsed.subject === `Your report ${reference}: Pothole`);
    assert.deepEqual(receipt.envelope.to, ['sam.sale@example.org']);
    // Described by the nearest postcode centroid: M33 0AF shares M33 7AA's exact point in this data.
    assert.match(receipt.parsed.text ?? '', /Where: Near M33 (7AA|0AF)/);
    const link = /https:\/\/report\.trafford\.example(\/track\/\S+)/.exec(receipt.parsed.text ?? '')?.[1];
    assert.ok(link);
    const resident = new TestBrowser(t.app);
    const opened = await resident.get(link);
    assert.equal(opened.statusCode, 303);
    const tracking = await resident.get(opened.headers.location as string);
    assert.equal(tracking.statusCode, 200);
    assert.match(tracking.body, new RegExp(`<h1 class="govuk-heading-l">${reference}</h1>`));
    assert.match(tracking.body, /Trafford Council/);
  });
});
