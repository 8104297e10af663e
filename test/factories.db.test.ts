/**
 * The test factories on both engines: each writes what it says through the module services, with
 * unique defaults, and what they make works together (a case routed to the service's team, staff who
 * can sign in with the password they were given).
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { buildDomain } from '../src/domain.js';
import { buildTestApp, TestBrowser, type TestApp } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';
import {
  AT,
  newArea,
  newBody,
  newCalendar,
  newCase,
  newRule,
  newService,
  newStaff,
  newTeam,
  OUTSIDE,
  rectangle,
} from './helpers/factories.js';

describeEachEngine('test factories', (getDatabase) => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp(getDatabase());
  });
  after(() => t.close());

  it('makes bodies and teams with unique codes, or the ones given', async () => {
    const { db } = getDatabase();
    const [one, two] = [await newBody(db), await newBody(db)];
    assert.notEqual(one.code, two.code);
    const named = await newBody(db, { code: 'named-council', name: 'Named Council', kind: 'district' });
    assert.deepEqual(
      { code: named.code, name: named.name, kind: named.kind, deliveryMethod: named.deliveryMethod },
      { code: 'named-council', name: 'Named Council', kind: 'district', deliveryMethod: 'civicdesk' },
    );
    const team = await newTeam(db, { body: named, code: 'roads', name: 'Roads' });
    const organisations = buildDomain(db).organisations;
    assert.deepEqual(
      (await organisations.teamsOf(named)).map((t) => [t.code, t.name]),
      [['roads', 'Roads']],
    );
    assert.equal(team.bodyId, named.id);
    assert.ok(team.email?.endsWith('@named-council.example.gov.uk'));
  });

  it('draws a body’s boundary only when asked, so routing finds it there', async () => {
    // Through the app, whose spatial index must see each new area at once.
    const db = t.app;
    const routing = t.app.domain.routing;
    const nowhere = await newBody(db);
    const service = await newService(db, { body: nowhere });
    assert.equal((await routing.route({ ...AT, serviceCode: service.code })).outcome, 'outside');

    const council = await newBody(db, { area: true });
    const team = await newTeam(db, { body: council });
    const pothole = await newService(db, {
      body: council,
      team,
      timescale: { unit: 'calendar_days', amount: 3 },
    });
    const routed = await routing.route({ ...AT, serviceCode: pothole.code });
    assert.equal(routed.outcome, 'routed');
    assert.equal(routed.outcome === 'routed' && routed.body.code, council.code);
    assert.equal(routed.outcome === 'routed' && routed.team?.code, team.code);
    assert.equal(routed.outcome === 'routed' && routed.timescale, '3 days');
    assert.equal((await routing.route({ ...OUTSIDE, serviceCode: pothole.code })).outcome, 'outside');
  });

  it('makes routing rules and areas of other kinds that the rules can test', async () => {
    const db = t.app;
    const routing = t.app.domain.routing;
    const council = await newBody(db, { area: true });
    const parish = await newBody(db, { kind: 'parish' });
    const { code } = await newArea(db, {
      body: parish,
      kind: 'parish',
      ring: rectangle(AT.lon - 0.01, AT.lat - 0.01, AT.lon + 0.01, AT.lat + 0.01),
    });
    const service = await newService(db, { body: council, offeredBy: [council, parish] });
    await newRule(db, { service, body: parish, conditions: { areaKind: 'parish', areaCode: code } });
    const inParish = await routing.route({ ...AT, serviceCode: service.code });
    assert.equal(inParish.outcome === 'routed' && inParish.body.code, parish.code);
    assert.equal(inParish.outcome === 'routed' && inParish.decidedBy.kind, 'rule');
    const elsewhere = await routing.route({ lat: AT.lat - 0.03, lon: AT.lon, serviceCode: service.code });
    assert.equal(elsewhere.outcome === 'routed' && elsewhere.body.code, council.code);
  });

  it('makes calendars with closure days', async () => {
    const { db } = getDatabase();
    const calendar = await newCalendar(db, { closures: [{ date: '2026-12-29', name: 'Christmas closure' }] });
    assert.deepEqual(calendar.closures, [{ date: '2026-12-29', name: 'Christmas closure' }]);
    assert.deepEqual(calendar.workingWeekdays, [1, 2, 3, 4, 5]);
  });

  it('makes staff of a body and team who can sign in with the password given back', async () => {
    const { db } = getDatabase();
    const body = await newBody(db);
    const team = await newTeam(db, { body });
    const officer = await newStaff(db, { role: 'officer', body, team });
    const row = await db
      .selectFrom('staff_user')
      .select(['email', 'role', 'body_id', 'team_id', 'password_hash'])
      .where('id', '=', officer.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(
      { email: row.email, role: row.role, body: row.body_id, team: row.team_id },
      { email: officer.email, role: 'officer', body: body.id, team: team.id },
    );
    assert.match(row.password_hash ?? '', /^\$argon2id\$/);
    const browser = new TestBrowser(t.app);
    assert.equal((await browser.signIn(officer.email, officer.password)).statusCode, 303);
    assert.equal((await browser.get('/staff/cases')).statusCode, 200);

    const other = await newStaff(db, { role: 'officer', body });
    assert.notEqual(other.email, officer.email);
    await assert.rejects(newStaff(db, { role: 'admin', body, email: officer.email }), /already/);
  });

  it('submits a case through the intake, routed to the service’s team', async () => {
    const { db } = getDatabase();
    const council = await newBody(t.app, { area: true });
    const team = await newTeam(t.app, { body: council });
    const service = await newService(t.app, { body: council, team });
    const { reference, id } = await newCase(t.app, { service });
    const row = await db
      .selectFrom('cases')
      .select(['id', 'reference', 'status', 'body_id', 'team_id', 'lat', 'lon', 'channel'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(
      { ...row, lat: Number(row.lat), lon: Number(row.lon) },
      {
        id,
        reference,
        status: 'received',
        body_id: council.id,
        team_id: team.id,
        ...AT,
        channel: 'web',
      },
    );
    const phoned = await newCase(t.app, { service: service.code, channel: 'phone', lat: AT.lat + 0.001 });
    assert.notEqual(phoned.reference, reference);
  });
});
