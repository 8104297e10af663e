/**
 * The Open311 GeoReport v2 server on the wire, over real HTTP on 127.0.0.1, as the clients described in
 * ../shared/OPEN311.md talk to it: a FixMyStreet-style client (XML only, form-encoded POSTs with CRLF
 * line breaks, 6-decimal coordinates, repeated attribute keys, api_key in the body), a client using the
 * spec's `attribute[code][]` and JSON with the key in the query string, a batch-style client polling
 * tokens, and a back office POSTing mySociety updates with extended statuses. JSON answers are checked
 * against JSON Schemas written from the spec (test/schemas/open311/); errors are the spec's error list
 * with 400/403/404. The resident's emails arrive at a real SMTP server.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, it } from 'node:test';
import { Ajv } from 'ajv';
import { XMLParser } from 'fast-xml-parser';
import sharp from 'sharp';
import { Open311Client, Open311RequestError } from '../src/modules/delivery/open311/open311-client.js';
import type { Question } from '../src/modules/services/service-definition.js';
import { TestBrowser } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';
import { newService, newStreet, newTeam, type Target, type TestStaff } from './helpers/factories.js';
import { newCouncil, POTHOLE_QUESTIONS, signedIn, useMailingApp } from './helpers/fixtures.js';

const SCHEMA_DIR = path.join(import.meta.dirname, 'schemas/open311');
const ajv = new Ajv({ allErrors: true, strict: false });
for (const file of fs.readdirSync(SCHEMA_DIR)) {
  ajv.addSchema(JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, file), 'utf8')) as object);
}

function assertSchema(name: string, value: unknown): void {
  const validate = ajv.getSchema(`https://civicdesk.invalid/schemas/open311/${name}.json`);
  assert.ok(validate, `schema ${name}`);
  assert.ok(validate(value), `${name}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}`);
}

/** Reads XML as FixMyStreet does (XML::Simple): the root's name ignored, list elements forced to arrays. */
const xmlParser = new XMLParser({
  parseTagValue: false,
  isArray: (name) =>
    [
      'service',
      'attribute',
      'value',
      'request',
      'error',
      'request_update',
      'group',
      'format',
      'endpoint',
    ].includes(name),
});
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Xml = any;
function parseXml(body: string): Xml {
  assert.match(body, /^<\?xml version="1\.0" encoding="utf-8"\?>\n/);
  const parsed = xmlParser.parse(body) as Record<string, unknown>;
  const roots = Object.keys(parsed).filter((k) => k !== '?xml');
  assert.equal(roots.length, 1, 'one root element');
  return parsed[roots[0]!];
}

interface Answer extends Response {
  json(): Promise<Xml>;
  clone(): Answer;
}

const W3C = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/;

/** A form body as FixMyStreet's HTTP::Request::Common writes it: pairs in order, lists as repeated keys. */
function form(pairs: [string, string][]): string {
  const params = new URLSearchParams();
  for (const [k, v] of pairs) params.append(k, v);
  return params.toString();
}

const choice = (code: string, keys: string[], required = true): Question => ({
  code,
  text: `The ${code}`,
  datatype: 'singlevaluelist',
  required,
  options: keys.map((key) => ({ key, name: `The ${key}` })),
});

/**
 * The council the server speaks for, with the services these tests report to: a public pothole service
 * in a group with keywords and a notice of what happens next, a private missed-bin one, fly-tipping with a list of many answers and a
 * notice, street lights for a team of their own, and speeding. Its streets: Mill Lane and Church Road.
 */
async function newOpen311Council(target: Target): Promise<{ admin: TestStaff }> {
  const council = await newCouncil(target, {
    body: { name: 'Ashdown Borough Council (fictional)' },
    service: {
      code: 'pothole',
      group: 'Roads and pavements',
      keywords: ['road', 'hole', 'surface', 'carriageway'],
      whatHappensNext: 'An inspector will visit within 5 working days.',
      questions: POTHOLE_QUESTIONS,
    },
    staff: ['admin'],
  });
  const { body, team } = council;
  await newService(target, {
    body,
    team,
    code: 'missed-bin',
    isPublic: false,
    questions: [choice('bin', ['general', 'recycling'])],
  });
  await newService(target, {
    body,
    team,
    code: 'fly-tipping',
    questions: [
      { ...choice('waste_type', ['bags', 'furniture', 'building', 'hazardous']), datatype: 'multivaluelist' },
      { code: 'evidence_notice', text: 'Do not touch it.', datatype: 'notice', required: false },
    ],
  });
  await newService(target, {
    body,
    team: await newTeam(target, { body, code: 'street-lighting' }),
    code: 'street-light',
    name: 'Street light not working',
    questions: [
      { code: 'column_number', text: 'Number on the lamp post', datatype: 'string', required: false },
      choice('fault', ['out', 'flickering']),
    ],
  });
  await newService(target, { body, team, code: 'speeding' });
  await newStreet(target, {
    name: 'Mill Lane',
    locality: 'Ashdown',
    from: [-2.381, 53.452],
    to: [-2.372, 53.458],
  });
  await newStreet(target, {
    name: 'Church Road',
    locality: 'Eastbrook',
    from: [-2.31, 53.441],
    to: [-2.296, 53.446],
  });
  return { admin: council.staff.admin! };
}

describeEachEngine('Open311 GeoReport v2 server', (getDatabase) => {
  const mailing = useMailingApp(getDatabase, {
    CIVICDESK_REFERENCE_PREFIX: 'ASH',
    CIVICDESK_BASE_URL: 'https://report.ashdown.example',
  });
  let base: string;
  let fmsKey: string;
  let fmsClientId: string;
  let appKey: string;
  let admin: TestStaff;
  const db = () => getDatabase().db;

  before(async () => {
    const { app } = mailing();
    ({ admin } = await newOpen311Council(app));
    const fms = await app.apiClients.create({ name: 'FixMyStreet', scopes: ['open311:write'] });
    fmsKey = fms.key;
    fmsClientId = fms.client.id;
    ({ key: appKey } = await app.apiClients.create({ name: 'Ashdown app', scopes: ['reports:write'] }));
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    base = `${address}/open311/v2`;
  });

  /** fetch, with the JSON body typed loosely: the schemas check its shape. */
  const get = (pathAndQuery: string) => fetch(`${base}/${pathAndQuery}`) as Promise<Answer>;
  const postForm = (pathAndQuery: string, body: string) =>
    fetch(`${base}/${pathAndQuery}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
    }) as Promise<Answer>;

  /** A FixMyStreet-style report, as its Open311 class posts it. */
  const fmsReport = (extra: [string, string][] = []): [string, string][] => [
    ['api_key', fmsKey],
    ['jurisdiction_id', 'ashdown.example'],
    ['service_code', 'pothole'],
    [
      'description',
      'Pothole on Mill Lane\r\n\r\nDeep hole by the bus stop.\r\nCars swerve.\r\n\r\nhttps://fms.example/report/42',
    ],
    ['first_name', 'Rosa'],
    ['last_name', 'Resident'],
    ['email', 'rosa@example.org'],
    ['lat', '53.450123'],
    ['long', '-2.381234'],
    ['attribute[danger]', 'no'],
    ['attribute[size]', 'large'],
    ['attribute[easting]', '377000'],
    ['attribute[northing]', '391000'],
    ...extra,
  ];

  it('answers discovery in XML and JSON, with the spec content types and W3C dates', async () => {
    const xml = await get('discovery.xml');
    assert.equal(xml.status, 200);
    assert.equal(xml.headers.get('content-type'), 'text/xml; charset=utf-8');
    const discovery = parseXml(await xml.text());
    assert.match(discovery.changeset, W3C);
    assert.equal(discovery.endpoints.endpoint[0].url, 'https://report.ashdown.example/open311/v2');
    assert.deepEqual(discovery.endpoints.endpoint[0].formats.format, ['text/xml', 'application/json']);

    const json = await get('discovery.json');
    assert.equal(json.headers.get('content-type'), 'application/json; charset=utf-8');
    const body = await json.json();
    assertSchema('discovery', body);
    assert.equal(body.endpoints[0].specification, 'http://wiki.open311.org/GeoReport_v2');
  });

  it('lists services with groups, keywords and booleans, ignoring jurisdiction_id', async () => {
    const xml = parseXml(await (await get('services.xml?jurisdiction_id=ashdown.example')).text());
    const pothole = xml.service.find((s: Xml) => s.service_code === 'pothole');
    assert.equal(pothole.metadata, 'true');
    assert.equal(pothole.type, 'realtime');
    assert.deepEqual(pothole.group, ['Roads and pavements'], 'FixMyStreet reads every <group> as a list');
    assert.deepEqual(pothole.groups.group, ['Roads and pavements']);
    assert.equal(pothole.keywords, 'road,hole,surface,carriageway');

    const json = await (await get('services.json?jurisdiction_id=')).json();
    assertSchema('services', json);
    assert.ok(Array.isArray(json), 'a bare array, no services key');
    const bins = json.find((s: { service_code: string }) => s.service_code === 'missed-bin');
    assert.equal(bins.metadata, true, 'a JSON boolean');
    assert.match(
      bins.keywords,
      /(^|,)private$/,
      "mySociety's private keyword for a service whose reports are not public",
    );
  });

  it('gives a service definition with ordered attributes, list values and notices as variable=false', async () => {
    const xml = parseXml(await (await get('services/fly-tipping.xml')).text());
    assert.equal(xml.service_code, 'fly-tipping');
    const [waste, notice] = xml.attributes.attribute;
    assert.equal(waste.code, 'waste_type');
    assert.equal(waste.datatype, 'multivaluelist');
    assert.equal(waste.required, 'true');
    assert.equal(waste.order, '1');
    assert.deepEqual(
      waste.values.value.map((v: Xml) => v.key),
      ['bags', 'furniture', 'building', 'hazardous'],
    );
    assert.equal(notice.variable, 'false');
    assert.equal(notice.order, '2');

    const json = await (await get('services/pothole.json')).json();
    assertSchema('service-definition', json);
    assert.deepEqual(
      json.attributes.map((a: { code: string; order: number; required: boolean }) => [
        a.code,
        a.order,
        a.required,
      ]),
      [
        ['danger', 1, true],
        ['size', 2, true],
      ],
    );
  });

  it('marks automated questions server_set and not required', async () => {
    const service = (await mailing().app.domain.services.get('pothole'))!;
    await mailing().app.domain.services.save({
      ...service,
      definition: {
        ...service.definition,
        questions: [
          ...service.definition.questions,
          { code: 'ward', text: 'Ward', datatype: 'string', required: true, automated: 'ward_code' },
        ],
      },
    });
    const json = await (await get('services/pothole.json')).json();
    assertSchema('service-definition', json);
    const ward = json.attributes.find((a: { code: string }) => a.code === 'ward');
    assert.equal(ward.automated, 'server_set');
    assert.equal(ward.required, false);
    await mailing().app.domain.services.save(service);
  });

  it('answers unknown services, resources and extensions with the spec error list', async () => {
    const xml = await get('services/no-such.xml');
    assert.equal(xml.status, 404);
    assert.equal(xml.headers.get('content-type'), 'text/xml; charset=utf-8');
    const errors = parseXml(await xml.text());
    assert.equal(errors.error[0].code, '404');
    assert.match(errors.error[0].description, /no service with the code "no-such"/);

    const json = await get('services/no-such.json');
    assert.equal(json.status, 404);
    const body = await json.json();
    assertSchema('errors', body);
    assert.equal(body[0].code, 404);

    const extension = await get('services.html');
    assert.equal(extension.status, 404);
    assert.match(parseXml(await extension.text()).error[0].description, /Bad extension/);
    const unknown = await get('nothing.json');
    assert.equal(unknown.status, 404);
    assertSchema('errors', await unknown.json());
  });

  let fmsReference: string;

  it('takes a FixMyStreet-style XML report through the intake: routed, CRLF normalised, receipt emailed', async () => {
    const response = await postForm('requests.xml', form(fmsReport([['attribute[fixmystreet_id]', '4242']])));
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(response.headers.get('content-type'), 'text/xml; charset=utf-8');
    const answer = parseXml(await response.text());
    assert.equal(answer.request.length, 1);
    fmsReference = answer.request[0].service_request_id;
    assert.match(fmsReference, /^ASH-/);
    assert.equal(answer.request[0].token, undefined, 'an id, not a token');
    assert.match(answer.request[0].service_notice, /inspector will visit/);

    const row = await db()
      .selectFrom('cases')
      .selectAll()
      .where('reference', '=', fmsReference)
      .executeTakeFirstOrThrow();
    assert.equal(row.channel, 'open311');
    assert.equal(row.api_client_id, fmsClientId);
    assert.equal(
      row.description,
      'Pothole on Mill Lane\n\nDeep hole by the bus stop.\nCars swerve.\n\nhttps://fms.example/report/42',
    );
    assert.deepEqual(
      row.answers,
      { danger: 'no', size: 'large' },
      'unknown attributes (easting...) are not answers',
    );
    assert.equal(row.lat, 53.450123);
    assert.equal(row.lon, -2.381234);
    assert.ok(row.team_id, 'routed to a team');
    const events = await db().selectFrom('case_event').select('body').where('case_id', '=', row.id).execute();
    assert.ok(events.some((e) => e.body === 'Reported through Open311'));

    const receipt = await mailing().smtp.waitFor(
      (m) => m.envelope.to.includes('rosa@example.org') && (m.parsed.text ?? '').includes(fmsReference),
    );
    assert.match(receipt.parsed.text ?? '', /Hello Rosa Resident|Rosa Resident/);

    // Another report of the same kind at the same spot is taken, and the client told of the first.
    const second = parseXml(
      await (await postForm('requests.xml', form(fmsReport([['attribute[fixmystreet_id]', '4243']])))).text(),
    );
    assert.notEqual(second.request[0].service_request_id, fmsReference);
    assert.match(
      second.request[0].service_notice,
      new RegExp(`Open reports of this kind nearby: ${fmsReference}\\.`),
    );

    // FixMyStreet retries a report whose answer it did not get: the same report is the same case.
    const again = parseXml(
      await (await postForm('requests.xml', form(fmsReport([['attribute[fixmystreet_id]', '4242']])))).text(),
    );
    assert.equal(again.request[0].service_request_id, fmsReference);
    const count = await db()
      .selectFrom('cases')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('api_client_id', '=', fmsClientId)
      .executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 2, 'the retry made none');
  });

  it('reads list answers as repeated attribute[code] keys, as attribute[code][] and as one value', async () => {
    const common: [string, string][] = [
      ['api_key', fmsKey],
      ['service_code', 'fly-tipping'],
      ['lat', '53.452000'],
      ['long', '-2.376000'],
      ['first_name', 'Sam'],
      ['last_name', '-'],
      ['email', 'sam@example.org'],
    ];
    const repeated = parseXml(
      await (
        await postForm(
          'requests.xml',
          form([...common, ['attribute[waste_type]', 'bags'], ['attribute[waste_type]', 'furniture']]),
        )
      ).text(),
    );
    const bracketed = await (
      await postForm(
        `requests.json?api_key=${encodeURIComponent(appKey)}`,
        form([
          ...common.filter(([k]) => k !== 'api_key'),
          ['attribute[waste_type][]', 'building'],
          ['attribute[waste_type][]', 'hazardous'],
        ]),
      )
    ).json();
    assertSchema('created', bracketed);
    const single = parseXml(
      await (await postForm('requests.xml', form([...common, ['attribute[waste_type][]', 'bags']]))).text(),
    );
    const answersOf = async (reference: string) =>
      await db()
        .selectFrom('cases')
        .innerJoin('contact', 'contact.id', 'cases.reporter_contact_id')
        .select(['cases.answers', 'contact.name'])
        .where('reference', '=', reference)
        .executeTakeFirstOrThrow();
    const a = await answersOf(repeated.request[0].service_request_id);
    assert.deepEqual(a.answers.waste_type, ['bags', 'furniture']);
    assert.equal(a.name, 'Sam', 'a last name of "-" is no name');
    assert.deepEqual((await answersOf(bracketed[0].service_request_id)).answers.waste_type, [
      'building',
      'hazardous',
    ]);
    assert.deepEqual((await answersOf(single.request[0].service_request_id)).answers.waste_type, ['bags']);
  });

  it('refuses a missing, wrong or insufficient api_key with 403 in the spec shape', async () => {
    const missing = await postForm('requests.xml', form(fmsReport().filter(([k]) => k !== 'api_key')));
    assert.equal(missing.status, 403);
    const missingErrors = parseXml(await missing.text());
    assert.equal(missingErrors.error[0].code, '403');
    assert.match(missingErrors.error[0].description, /api_key/);

    const wrong = await postForm(
      'requests.json',
      form(fmsReport().map(([k, v]) => [k, k === 'api_key' ? `${v.slice(0, -3)}xyz` : v])),
    );
    assert.equal(wrong.status, 403);
    const wrongErrors = await wrong.json();
    assertSchema('errors', wrongErrors);
    assert.match(wrongErrors[0].description, /Invalid api_key/);

    const { key: reader } = await mailing().app.apiClients.create({
      name: 'Reader',
      scopes: ['reports:read'],
    });
    const noScope = await postForm(
      `requests.json?api_key=${reader}`,
      form(fmsReport().filter(([k]) => k !== 'api_key')),
    );
    assert.equal(noScope.status, 403);

    const { key: binsOnly } = await mailing().app.apiClients.create({
      name: 'Bins',
      scopes: ['reports:write'],
      serviceCodes: ['missed-bin'],
    });
    const otherService = await postForm(
      'requests.json',
      form(fmsReport().map(([k, v]) => [k, k === 'api_key' ? binsOnly : v])),
    );
    assert.equal(otherService.status, 403);
    assert.match(
      (await otherService.json())[0].description,
      /may not post requests for the service "pothole"/,
    );

    const revokedClient = await mailing().app.apiClients.create({ name: 'Old', scopes: ['reports:write'] });
    await mailing().app.apiClients.revoke(revokedClient.client.keyPrefix);
    const revoked = await postForm(
      'requests.xml',
      form(fmsReport().map(([k, v]) => [k, k === 'api_key' ? revokedClient.key : v])),
    );
    assert.equal(revoked.status, 403);
  });

  it('answers 404 for an unknown service_code and 400, one error per problem, for bad requests', async () => {
    const unknown = await postForm(
      'requests.xml',
      form(fmsReport().map(([k, v]) => [k, k === 'service_code' ? 'no-such' : v])),
    );
    assert.equal(unknown.status, 404);
    assert.equal(parseXml(await unknown.text()).error[0].code, '404');

    const missing = await postForm('requests.json', form(fmsReport().filter(([k]) => k !== 'service_code')));
    assert.equal(missing.status, 400);
    assert.match((await missing.json())[0].description, /service_code/);

    const noPlace = await postForm(
      'requests.json',
      form(fmsReport().filter(([k]) => k !== 'lat' && k !== 'long')),
    );
    assert.equal(noPlace.status, 400);
    assert.match((await noPlace.json())[0].description, /location is required/);

    const badAnswers = await postForm(
      'requests.json',
      form(
        fmsReport()
          .filter(([k]) => k !== 'attribute[size]' && k !== 'email')
          .map(([k, v]) => [k, k === 'attribute[danger]' ? 'maybe' : v]),
      ),
    );
    assert.equal(badAnswers.status, 400);
    const errors = await badAnswers.json();
    assertSchema('errors', errors);
    const descriptions = errors.map((e: { description: string }) => e.description);
    assert.ok(
      descriptions.some((d: string) => d.startsWith('attribute[danger]:')),
      descriptions.join(' | '),
    );
    assert.ok(
      descriptions.some((d: string) => d.startsWith('attribute[size]:')),
      descriptions.join(' | '),
    );
    assert.ok(
      descriptions.some((d: string) => d.startsWith('email:')),
      descriptions.join(' | '),
    );

    const tooLong = await postForm(
      'requests.xml',
      form(fmsReport().map(([k, v]) => [k, k === 'description' ? 'x'.repeat(4001) : v])),
    );
    assert.equal(tooLong.status, 400);
  });

  it('places a report from address_string when FixMyStreet sends #NOTPINPOINTED# and no point', async () => {
    const response = await postForm(
      'requests.json',
      form([
        ...fmsReport().filter(([k]) => k !== 'lat' && k !== 'long'),
        ['address_id', '#NOTPINPOINTED#'],
        ['address_string', 'Mill Lane, Ashdown'],
      ]),
    );
    assert.equal(response.status, 200, await response.clone().text());
    const [created] = await response.json();
    const row = await db()
      .selectFrom('cases')
      .select(['lat', 'lon', 'location_detail'])
      .where('reference', '=', created.service_request_id)
      .executeTakeFirstOrThrow();
    // Mill Lane runs from (-2.381, 53.452) to (-2.372, 53.458).
    assert.ok(row.lat >= 53.451 && row.lat <= 53.459, String(row.lat));
    assert.ok(row.lon >= -2.382 && row.lon <= -2.371, String(row.lon));
    assert.equal(row.location_detail, 'Mill Lane, Ashdown');

    // address_id: a gazetteer id, here a street's.
    const [street] = await mailing().app.domain.gazetteer.search('Church Road', { kinds: ['street'] });
    const byId = await postForm(
      'requests.xml',
      form([
        ...fmsReport().filter(([k]) => k !== 'lat' && k !== 'long'),
        ['address_id', street!.id],
        ['media_url', 'https://fms.example/photo/1.jpeg'],
      ]),
    );
    assert.equal(byId.status, 200, await byId.clone().text());
    const byIdRow = await db()
      .selectFrom('cases')
      .select(['lat', 'lon', 'description'])
      .where('reference', '=', parseXml(await byId.text()).request[0].service_request_id)
      .executeTakeFirstOrThrow();
    assert.equal(byIdRow.lat, street!.lat);
    assert.equal(byIdRow.lon, street!.lon);
    assert.match(byIdRow.description, /\n\nPhoto: https:\/\/fms\.example\/photo\/1\.jpeg$/);
    const unknownId = await postForm(
      'requests.json',
      form([...fmsReport().filter(([k]) => k !== 'lat' && k !== 'long'), ['address_id', 'address:999999']]),
    );
    assert.equal(unknownId.status, 400);

    const nowhere = await postForm(
      'requests.xml',
      form([...fmsReport().filter(([k]) => k !== 'lat' && k !== 'long'), ['address_string', 'Zzyzx Qwerty']]),
    );
    assert.equal(nowhere.status, 400);
    assert.match(parseXml(await nowhere.text()).error[0].description, /address_string/);
  });

  it('shows one public request in XML and JSON, and 404 for unknown or private ones', async () => {
    const xml = parseXml(await (await get(`requests/${fmsReference}.xml`)).text());
    const [request] = xml.request;
    assert.equal(request.service_request_id, fmsReference);
    assert.equal(request.status, 'open');
    assert.equal(request.service_code, 'pothole');
    assert.match(request.requested_datetime, W3C);
    assert.equal(request.lat, '53.450123');

    const json = await (await get(`requests/${fmsReference.toLowerCase()}.json`)).json();
    assertSchema('requests', json);
    assert.equal(json.length, 1, 'still a list of one');
    assert.equal(json[0].service_request_id, fmsReference);
    assert.equal(json[0].agency_responsible, 'Ashdown Borough Council (fictional)');
    assert.match(json[0].expected_datetime, W3C);
    assert.equal(json[0].description.includes('\r'), false);

    assert.equal((await get('requests/ASH-NOPE.json')).status, 404);
    const bin = await postForm(
      'requests.json',
      form([
        ['api_key', fmsKey],
        ['service_code', 'missed-bin'],
        ['lat', '53.45'],
        ['long', '-2.38'],
        ['first_name', 'Pat'],
        ['last_name', 'Private'],
        ['email', 'pat@example.org'],
        ['attribute[bin]', 'general'],
      ]),
    );
    assert.equal(bin.status, 200, await bin.clone().text());
    const [binCase] = await bin.json();
    const hidden = await get(`requests/${binCase.service_request_id}.xml`);
    assert.equal(hidden.status, 404, 'a private case is not shown');
  });

  it('filters GET requests by ids, service, status and dates, within 90 days and 1,000 requests', async () => {
    const all = await (await get('requests.json')).json();
    assertSchema('requests', all);
    assert.ok(all.length >= 5);
    assert.ok(
      all.every((r: { service_code: string }) => r.service_code !== 'missed-bin'),
      'public cases only',
    );

    const ids = all.slice(0, 2).map((r: { service_request_id: string }) => r.service_request_id);
    const byId = await (
      await get(`requests.json?service_request_id=${ids.join(',')}&service_code=speeding`)
    ).json();
    assert.deepEqual(
      byId.map((r: { service_request_id: string }) => r.service_request_id).sort(),
      [...ids].sort(),
      'ids override other filters',
    );

    const flyTipping = await (await get('requests.json?service_code=fly-tipping,speeding')).json();
    assert.ok(flyTipping.length >= 2);
    assert.ok(flyTipping.every((r: { service_code: string }) => r.service_code === 'fly-tipping'));

    // Close one case: then open and closed split.
    await db()
      .updateTable('cases')
      .set({ status: 'fixed', closed_at: new Date() })
      .where('reference', '=', ids[0])
      .execute();
    const closed = await (await get('requests.xml?status=closed')).text();
    const closedList = parseXml(closed).request ?? [];
    assert.deepEqual(
      closedList.map((r: Xml) => r.service_request_id),
      [ids[0]],
    );
    const open = await (await get('requests.json?status=open')).json();
    assert.equal(open.length, all.length - 1);
    assert.equal((await (await get('requests.json?status=open,closed')).json()).length, all.length);
    assert.equal((await (await get('requests.json?status=')).json()).length, all.length, 'empty is absent');
    assert.equal((await get('requests.json?status=pending')).status, 400);

    // A case from 100 days ago is outside the default window, inside an explicit one.
    const old = new Date(Date.now() - 100 * 24 * 3600_000);
    await db().updateTable('cases').set({ created_at: old }).where('reference', '=', ids[1]).execute();
    const recent = await (await get('requests.json')).json();
    assert.ok(!recent.some((r: { service_request_id: string }) => r.service_request_id === ids[1]));
    const start = new Date(old.getTime() - 3600_000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
    const end = new Date(old.getTime() + 24 * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const window = await (
      await get(`requests.json?start_date=${encodeURIComponent(start)}&end_date=${end}`)
    ).json();
    assert.deepEqual(
      window.map((r: { service_request_id: string }) => r.service_request_id),
      [ids[1]],
    );
    const tooWide = await get(`requests.xml?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z`);
    assert.equal(tooWide.status, 400);
    assert.match(parseXml(await tooWide.text()).error[0].description, /90 days/);
    assert.equal((await get('requests.json?start_date=yesterday')).status, 400);

    // Opt-in updated_after: the old case changed a minute ago is found by its last change, not its age;
    // cases last changed before the window are not.
    await db()
      .updateTable('cases')
      .set({ updated_at: new Date(Date.now() - 3 * 3600_000) })
      .execute();
    await db()
      .updateTable('cases')
      .set({ updated_at: new Date(Date.now() - 60_000) })
      .where('reference', '=', ids[1])
      .execute();
    const since = new Date(Date.now() - 5 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const changed = await (await get(`requests.json?updated_after=${since}`)).json();
    assertSchema('requests', changed);
    assert.deepEqual(
      changed.map((r: { service_request_id: string }) => r.service_request_id),
      [ids[1]],
    );
    assert.equal(
      (await get('requests.json?updated_after=2026-01-01T00:00:00Z&updated_before=2026-06-01T00:00:00Z'))
        .status,
      400,
    );

    // More than 1,000 public cases in the window: 1,000 answered, newest first; pages on request.
    const template = await db()
      .selectFrom('cases')
      .selectAll()
      .where('reference', '=', fmsReference)
      .executeTakeFirstOrThrow();
    const rows = Array.from({ length: 1005 }, (_, i) => ({
      reference: `ASH-BULK${String(i).padStart(4, '0')}`,
      service_id: template.service_id,
      body_id: template.body_id,
      team_id: template.team_id,
      channel: 'api' as const,
      description: `Bulk ${i}`,
      answers: JSON.stringify(template.answers),
      lat: template.lat,
      lon: template.lon,
      areas: JSON.stringify(template.areas),
      routing: JSON.stringify(template.routing),
      tracking_token_hash: `bulk-${i}`,
      created_at: new Date(Date.now() - (i + 10) * 60_000),
    }));
    for (let i = 0; i < rows.length; i += 250) {
      await db()
        .insertInto('cases')
        .values(rows.slice(i, i + 250))
        .execute();
    }
    const capped = await (await get('requests.json')).json();
    assert.equal(capped.length, 1000);
    const times = capped.map((r: { requested_datetime: string }) => Date.parse(r.requested_datetime));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
      'newest first',
    );
    const page2 = await (await get('requests.json?page=2&page_size=500')).json();
    assertSchema('requests', page2);
    assert.equal(page2.length, 500);
    assert.equal(page2[0].service_request_id, capped[500].service_request_id);
    const page3 = await (await get('requests.json?page=3&page_size=500')).json();
    assert.ok(page3.length > 0 && page3.length < 500, 'the rest');
    assert.equal((await get('requests.json?page_size=501')).status, 400);
  });

  it('applies a back office update with an extended status to the timeline and emails the resident, once', async () => {
    const update = (pairs: [string, string][]) => postForm('servicerequestupdates.xml', form(pairs));
    const fields: [string, string][] = [
      ['api_key', fmsKey],
      ['service_request_id', fmsReference],
      ['update_id', 'upd-1'],
      ['status', 'ACTION_SCHEDULED'],
      ['external_status_code', 'JOB-RAISED'],
      ['updated_datetime', '2026-12-05T13:15:30+00:00'],
      ['description', 'A repair is booked.\r\nThe crew will come on Tuesday.'],
      ['first_name', 'Highways'],
      ['last_name', '-'],
    ];
    const first = await update(fields);
    assert.equal(first.status, 200, await first.clone().text());
    const answer = parseXml(await first.text());
    const updateId = answer.request_update[0].update_id;
    assert.match(updateId, /^\d+$/);

    const row = await db()
      .selectFrom('cases')
      .selectAll()
      .where('reference', '=', fmsReference)
      .executeTakeFirstOrThrow();
    assert.equal(row.status, 'action_scheduled');
    const events = await db()
      .selectFrom('case_event')
      .selectAll()
      .where('case_id', '=', row.id)
      .where('actor', '=', 'integration')
      .orderBy('id')
      .execute();
    assert.deepEqual(
      events.map((e) => [e.kind, e.body]),
      [
        ['status_changed', 'Status changed to Action scheduled'],
        ['public_update', 'A repair is booked.\nThe crew will come on Tuesday.'],
      ],
    );
    assert.equal(String(events[1]!.id), updateId);
    await mailing().smtp.waitFor(
      (m) =>
        m.envelope.to.includes('rosa@example.org') &&
        (m.parsed.text ?? '').includes('The crew will come on Tuesday'),
    );

    // A retry of the same update changes nothing and gets the same answer.
    const again = parseXml(await (await update(fields)).text());
    assert.equal(again.request_update[0].update_id, updateId);
    assert.equal(
      (
        await db()
          .selectFrom('case_event')
          .select('id')
          .where('case_id', '=', row.id)
          .where('actor', '=', 'integration')
          .execute()
      ).length,
      2,
    );

    // Closing with FIXED, in JSON with the key in the query string.
    const fixed = await postForm(
      `servicerequestupdates.json?api_key=${encodeURIComponent(fmsKey)}`,
      form([
        ['service_request_id', fmsReference],
        ['update_id', 'upd-2'],
        ['status', 'FIXED'],
        ['updated_datetime', '2026-12-05T14:00:00Z'],
        ['description', 'Filled and sealed.'],
      ]),
    );
    assert.equal(fixed.status, 200, await fixed.clone().text());
    assertSchema('posted-update', await fixed.json());
    const closedRow = await db()
      .selectFrom('cases')
      .select(['status', 'closed_at'])
      .where('reference', '=', fmsReference)
      .executeTakeFirstOrThrow();
    assert.equal(closedRow.status, 'fixed');
    assert.ok(closedRow.closed_at);
    const json = await (await get(`requests/${fmsReference}.json`)).json();
    assert.equal(json[0].status, 'closed');
    assert.equal(json[0].status_notes, 'Filled and sealed.');

    // GET servicerequestupdates (FixMyStreet sends its api_key and a window).
    const from = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const to = new Date(Date.now() + 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const listed = await (
      await get(
        `servicerequestupdates.json?api_key=${encodeURIComponent(fmsKey)}&start_date=${from}&end_date=${to}`,
      )
    ).json();
    assertSchema('updates', listed);
    const ours = listed.filter((u: { service_request_id: string }) => u.service_request_id === fmsReference);
    assert.deepEqual(
      ours.map((u: { status: string; description: string; external_status_code: string }) => [
        u.status,
        u.description,
        u.external_status_code,
      ]),
      [
        ['action_scheduled', 'A repair is booked.\nThe crew will come on Tuesday.', 'JOB-RAISED'],
        ['fixed', 'Filled and sealed.', 'fixed'],
      ],
    );
    const xmlUpdates = parseXml(
      await (await get(`servicerequestupdates.xml?start_date=${from}&end_date=${to}`)).text(),
    );
    assert.ok(
      xmlUpdates.request_update.some((u: Xml) => u.update_id === updateId && u.status === 'action_scheduled'),
    );
    assert.match(xmlUpdates.request_update[0].updated_datetime, W3C);
  });

  it('refuses updates without a key, to other clients’ cases, with missing fields or unknown statuses', async () => {
    const base: [string, string][] = [
      ['api_key', fmsKey],
      ['service_request_id', fmsReference],
      ['update_id', 'upd-x'],
      ['status', 'IN_PROGRESS'],
      ['updated_datetime', '2026-12-05T13:15:30Z'],
      ['description', 'Looking at it.'],
    ];
    const without = await postForm('servicerequestupdates.xml', form(base.filter(([k]) => k !== 'api_key')));
    assert.equal(without.status, 403);
    const { key: other } = await mailing().app.apiClients.create({
      name: 'Other system',
      scopes: ['open311:write'],
    });
    const notTheirs = await postForm(
      'servicerequestupdates.json',
      form(base.map(([k, v]) => [k, k === 'api_key' ? other : v])),
    );
    assert.equal(notTheirs.status, 404);
    const reportsOnly = await postForm(
      'servicerequestupdates.json',
      form(base.map(([k, v]) => [k, k === 'api_key' ? appKey : v])),
    );
    assert.equal(reportsOnly.status, 403, 'reports:write alone may not update cases');
    const missing = await postForm(
      'servicerequestupdates.json',
      form(base.filter(([k]) => k !== 'update_id' && k !== 'updated_datetime')),
    );
    assert.equal(missing.status, 400);
    const errors = await missing.json();
    assertSchema('errors', errors);
    assert.deepEqual(
      errors.map((e: { description: string }) => e.description.split(':')[0]),
      ['update_id', 'updated_datetime'],
    );
    const badStatus = await postForm(
      'servicerequestupdates.json',
      form(base.map(([k, v]) => [k, k === 'status' ? 'EXPLODED' : v])),
    );
    assert.equal(badStatus.status, 400);
  });

  it('gives a batch-style client a token, and tokens/{token} the request id', async () => {
    const batch = await mailing().app.apiClients.create({
      name: 'Batch client',
      scopes: ['reports:write'],
      open311Tokens: true,
    });
    const response = await postForm(
      'requests.json',
      form(fmsReport().map(([k, v]) => [k, k === 'api_key' ? batch.key : v])),
    );
    assert.equal(response.status, 200, await response.clone().text());
    const created = await response.json();
    assertSchema('created', created);
    const token = created[0].token;
    assert.ok(token);
    const xml = parseXml(await (await get(`tokens/${token}.xml`)).text());
    assert.equal(xml.request[0].token, token);
    assert.match(xml.request[0].service_request_id, /^ASH-/);
    const json = await (await get(`tokens/${token}.json`)).json();
    assertSchema('token', json);
    assert.equal(json[0].service_request_id, xml.request[0].service_request_id);
    const unknown = await get('tokens/abcdefghijkl.json');
    assert.equal(unknown.status, 404);
    assertSchema('errors', await unknown.json());
  });
  it('lets an admin add a named client limited to services, show its key once, and revoke it', async () => {
    const browser = await signedIn(mailing().app, admin);
    const page = await browser.get('/admin/api-clients/new');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /value="open311:write" checked/);

    const bad = await browser.post('/admin/api-clients/new', {
      name: '',
      scopes: 'cases:write',
      rateLimit: 'lots',
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /<title>Error: /);
    assert.match(bad.body, /govuk-error-summary/);
    assert.match(bad.body, /Enter the name of the system the key is for/);
    assert.match(bad.body, /A key that reads or changes cases must belong to a body/);
    assert.match(bad.body, /Enter a whole number of requests a minute/);

    const made = await browser.post('/admin/api-clients/new', {
      name: 'Lighting app',
      scopes: ['open311:write'],
      serviceCodes: ['street-light'],
      bodyCode: '',
      rateLimit: '50',
    });
    assert.equal(made.statusCode, 200);
    assert.equal(made.headers['cache-control'], 'no-store');
    const key = /<code[^>]*id="api-key">([^<]+)<\/code>/.exec(made.body)?.[1];
    assert.ok(key, 'the key is shown');
    const stored = await db()
      .selectFrom('api_client')
      .selectAll()
      .where('name', '=', 'Lighting app')
      .executeTakeFirstOrThrow();
    assert.notEqual(stored.key_hash, key);
    assert.deepEqual(stored.service_codes, ['street-light']);
    assert.equal(stored.rate_limit_per_minute, 50);

    const light = (k: string) =>
      postForm(
        'requests.json',
        form([
          ['api_key', k],
          ['service_code', 'street-light'],
          ['lat', '53.447500'],
          ['long', '-2.345000'],
          ['first_name', 'Lee'],
          ['last_name', 'Lamp'],
          ['email', 'lee@example.org'],
          ['attribute[fault]', 'out'],
        ]),
      );
    assert.equal((await light(key)).status, 200);
    const pothole = await postForm(
      'requests.json',
      form(fmsReport().map(([k, v]) => [k, k === 'api_key' ? key : v])),
    );
    assert.equal(pothole.status, 403, 'limited to street lights');

    const list = await browser.get('/admin/api-clients');
    assert.match(list.body, /Lighting app/);
    assert.match(list.body, /Street light not working/);
    assert.match(list.body, /50 requests a minute/);
    assert.doesNotMatch(list.body, new RegExp(key.slice(20)), 'the key is never shown again');
    const revoke = await browser.post(`/admin/api-clients/${stored.id}/revoke`, {});
    assert.equal(revoke.statusCode, 303);
    const after = await browser.get(String(revoke.headers.location));
    assert.match(after.body, /The key for Lighting app is revoked/);
    assert.equal((await light(key)).status, 403, 'a revoked key stops working at once');
    const audited = await db()
      .selectFrom('audit_event')
      .select('action')
      .where('action', 'like', 'api_client.%')
      .execute();
    assert.deepEqual(audited.map((a) => a.action).sort(), ['api_client.created', 'api_client.revoked']);

    assert.equal(
      (await new TestBrowser(mailing().app).get('/admin/api-clients')).statusCode,
      303,
      'admins only',
    );
  });
  it('takes photos in a multipart POST (FixMyStreet upload_files) and gives the first as media_url', async () => {
    const photo = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#885533' } })
      .jpeg()
      .toBuffer();
    const multipart = new FormData();
    for (const [k, v] of fmsReport()) multipart.append(k, v);
    multipart.append('photo1', new Blob([photo], { type: 'image/jpeg' }), 'photo1.jpeg');
    multipart.append('photo2', new Blob([photo], { type: 'image/jpeg' }), 'photo2.jpeg');
    const response = (await fetch(`${base}/requests.xml`, { method: 'POST', body: multipart })) as Answer;
    assert.equal(response.status, 200, await response.clone().text());
    const reference = parseXml(await response.text()).request[0].service_request_id;
    const row = await db()
      .selectFrom('cases')
      .select('id')
      .where('reference', '=', reference)
      .executeTakeFirstOrThrow();
    const photos = await db()
      .selectFrom('photo')
      .select(['id', 'is_public'])
      .where('case_id', '=', row.id)
      .execute();
    assert.equal(photos.length, 2);
    const [request] = await (await get(`requests/${reference}.json`)).json();
    assertSchema('requests', [request]);
    assert.match(request.media_url, /^https:\/\/report\.ashdown\.example\/photos\/[0-9a-f-]{36}\/full$/);
    const served = await fetch(`${base.replace('/open311/v2', '')}${new URL(request.media_url).pathname}`);
    assert.equal(served.status, 200);
    assert.equal(served.headers.get('content-type'), 'image/jpeg');

    const notAPhoto = new FormData();
    for (const [k, v] of fmsReport()) notAPhoto.append(k, v);
    notAPhoto.append('photo1', new Blob([Buffer.from('not an image')], { type: 'image/jpeg' }), 'x.jpeg');
    const refused = await fetch(`${base}/requests.json`, { method: 'POST', body: notAPhoto });
    assert.equal(refused.status, 400);
    const errors = (await refused.json()) as { description: string }[];
    assertSchema('errors', errors);
    assert.match(errors[0]!.description, /^photo1: /);

    const noKey = new FormData();
    for (const [k, v] of fmsReport().filter(([k]) => k !== 'api_key')) noKey.append(k, v);
    noKey.append('photo1', new Blob([photo], { type: 'image/jpeg' }), 'photo1.jpeg');
    assert.equal((await fetch(`${base}/requests.xml`, { method: 'POST', body: noKey })).status, 403);
  });
  it('limits each client to its own rate, answered 429 in the spec error shape, without slowing others', async () => {
    const slow = await mailing().app.apiClients.create({
      name: 'Slow client',
      scopes: ['reports:write'],
      rateLimitPerMinute: 2,
    });
    const attempt = (key: string) => postForm('requests.json', form([['api_key', key]]));
    assert.equal((await attempt(slow.key)).status, 400);
    assert.equal((await attempt(slow.key)).status, 400);
    const limited = await attempt(slow.key);
    assert.equal(limited.status, 429);
    assertSchema('errors', await limited.json());
    const limitedXml = await postForm('requests.xml', form([['api_key', slow.key]]));
    assert.equal(limitedXml.status, 429);
    assert.equal(parseXml(await limitedXml.text()).error[0].code, '429');
    assert.equal((await attempt(fmsKey)).status, 400, 'another client on the same address is not limited');
  });
  for (const format of ['xml', 'json'] as const) {
    it(`round-trips with Civicdesk's own tolerant Open311 client in ${format.toUpperCase()}`, async () => {
      const client = (apiKey: string) =>
        new Open311Client({
          endpoint: base,
          apiKey,
          jurisdictionId: 'ashdown.example',
          format,
          extendedStatuses: true,
          timeoutMs: 5000,
        });
      const created = await client(fmsKey).postRequest({
        serviceCode: 'street-light',
        lat: 53.4481234,
        lon: -2.3456789,
        description: `Dark all night (${format})\nsince Monday`,
        attributes: { fault: 'out', column_number: '17' },
        email: 'dana@example.org',
        firstName: 'Dana',
        lastName: 'Dark',
      });
      assert.match(created.serviceRequestId ?? '', /^ASH-/);
      assert.equal(created.token, null);
      const reference = created.serviceRequestId!;
      const row = await db()
        .selectFrom('cases')
        .select(['answers', 'description', 'lat'])
        .where('reference', '=', reference)
        .executeTakeFirstOrThrow();
      assert.deepEqual(row.answers, { column_number: '17', fault: 'out' });
      assert.equal(row.description, `Dark all night (${format})\nsince Monday`);
      assert.equal(row.lat, 53.448123, 'six decimal places on the wire');

      const posted = await client(fmsKey).postUpdate({
        serviceRequestId: reference,
        updateId: `round-trip-${format}`,
        status: 'in_progress',
        isClosed: false,
        description: 'A contractor is booked.',
        updatedAt: new Date(),
      });
      assert.match(posted.updateId, /^\d+$/);
      const updates = await client(fmsKey).updates(
        new Date(Date.now() - 600_000),
        new Date(Date.now() + 60_000),
      );
      const mine = updates.find((u) => u.updateId === posted.updateId);
      assert.ok(mine, 'the update is listed');
      assert.equal(mine.serviceRequestId, reference);
      assert.equal(mine.status, 'in_progress');
      assert.equal(mine.description, 'A contractor is booked.');

      const batch = await mailing().app.apiClients.create({
        name: `Batch ${format}`,
        scopes: ['reports:write'],
        open311Tokens: true,
      });
      const tokenised = await client(batch.key).postRequest({
        serviceCode: 'street-light',
        lat: 53.4482,
        lon: -2.3457,
        description: 'Another dark lamp',
        attributes: { fault: 'flickering' },
        email: 'dana@example.org',
        firstName: 'Dana',
        lastName: 'Dark',
      });
      assert.equal(tokenised.serviceRequestId, null);
      assert.match((await client(batch.key).requestIdForToken(tokenised.token!)) ?? '', /^ASH-/);

      await assert.rejects(
        client('cdk_aaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb').postRequest({
          serviceCode: 'street-light',
          lat: 53.4482,
          lon: -2.3457,
          description: '',
          attributes: {},
        }),
        (error: unknown) =>
          error instanceof Open311RequestError &&
          error.status === 403 &&
          /Invalid api_key/.test(error.message),
      );
    });
  }
});
