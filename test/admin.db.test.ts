/**
 * Administration through HTTP, as an admin's browser would do it: sign in, add a service with a
 * question and a routing rule, and see the test bench pick the rule. And the access rules: signed-out
 * visitors are sent to sign in, staff without the admin role are refused.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { StaffRole } from '../src/db/database.js';
import { buildTestApp, TestBrowser, type TestApp } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';
import { newArea, newService, newTeam, rectangle } from './helpers/factories.js';
import { newCouncil, type TestCouncil } from './helpers/fixtures.js';

describeEachEngine('administration', (getDatabase) => {
  let t: TestApp;
  let council: TestCouncil;
  const login = (role: StaffRole) => council.staff[role]!;

  before(async () => {
    t = await buildTestApp(getDatabase());
    // A council whose boundary and a ward hold the point the test bench tries; the teams the new
    // service and its rule name; and a service of another team to give its own receipt.
    council = await newCouncil(t.app, { body: { code: 'ashdown' }, staff: ['admin', 'officer'] });
    await newArea(t.app, { body: council.body, kind: 'ward', ring: rectangle(-2.4, 53.435, -2.33, 53.47) });
    await newTeam(t.app, { body: council.body, code: 'enforcement', name: 'Environmental enforcement' });
    await newTeam(t.app, { body: council.body, code: 'out-of-hours', name: 'Out-of-hours duty officer' });
    const lighting = await newTeam(t.app, { body: council.body, code: 'street-lighting' });
    await newService(t.app, {
      body: council.body,
      team: lighting,
      code: 'street-light',
      name: 'Street light not working',
    });
  });
  after(() => t.close());

  it('sends a signed-out visitor to sign in, and back to the page afterwards', async () => {
    const browser = new TestBrowser(t.app);
    const page = await browser.get('/admin/services');
    assert.equal(page.statusCode, 303);
    assert.equal(page.headers.location, '/staff/sign-in?next=%2Fadmin%2Fservices');
    await browser.get(page.headers.location as string);
    const admin = login('admin');
    const signedIn = await browser.post('/staff/sign-in', {
      email: admin.email,
      password: admin.password,
      next: '/admin/services',
    });
    assert.equal(signedIn.statusCode, 303);
    // An admin sets up an authenticator app at first sign-in, then carries on to the page asked for.
    assert.equal(signedIn.headers.location, '/staff/two-factor/setup?next=%2Fadmin%2Fservices');
    assert.equal(await browser.completeSecondFactor(admin.email, signedIn), '/admin/services');
  });

  it('refuses a wrong password with a GOV.UK error summary, and never redirects off-site', async () => {
    const browser = new TestBrowser(t.app);
    await browser.get('/staff/sign-in');
    const wrong = await browser.post('/staff/sign-in', { email: login('admin').email, password: 'nope' });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /<title>Error: Sign in/);
    assert.match(wrong.body, /govuk-error-summary/);
    assert.match(wrong.body, /Enter a correct email address and password/);
    const admin = login('admin');
    const offsite = await browser.post('/staff/sign-in', {
      email: admin.email,
      password: admin.password,
      next: '//evil.example/x',
    });
    assert.equal(await browser.completeSecondFactor(admin.email, offsite), '/admin');
  });

  it('refuses staff without the admin role, and a sign-in form posted without its CSRF token', async () => {
    const browser = new TestBrowser(t.app);
    const officer = login('officer');
    await browser.signIn(officer.email, officer.password);
    const page = await browser.get('/admin/services');
    assert.equal(page.statusCode, 403);

    const tokenless = await t.app.inject({
      method: 'POST',
      url: '/staff/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `email=${encodeURIComponent(officer.email)}&password=${encodeURIComponent(officer.password)}`,
    });
    assert.equal(tokenless.statusCode, 403);
  });

  it('gives a fresh session on sign-in and ends it on sign-out', async () => {
    const browser = new TestBrowser(t.app);
    await browser.get('/staff/sign-in');
    const before = browser.cookie;
    const admin = login('admin');
    await browser.signIn(admin.email, admin.password);
    assert.notEqual(browser.cookie, before, 'the session id changes at sign-in');
    assert.equal((await browser.get('/admin')).statusCode, 200);
    const out = await browser.post('/staff/sign-out', {});
    assert.equal(out.statusCode, 303);
    const old = await t.app.inject({ method: 'GET', url: '/admin', headers: { cookie: browser.cookie! } });
    assert.equal(old.statusCode, 303, 'the old session no longer signs anyone in');
  });

  it('lets an admin add a service with a question and a routing rule, and the test bench shows the rule deciding', async () => {
    const browser = new TestBrowser(t.app);
    const admin = login('admin');
    await browser.signIn(admin.email, admin.password);

    await browser.get('/admin/services/new');
    const invalid = await browser.post('/admin/services/new', { code: 'graffiti', timescaleAmount: 'soon' });
    assert.equal(invalid.statusCode, 400);
    assert.match(invalid.body, /Enter the timescale as a whole number/);
    assert.match(invalid.body, /Choose at least one body|choose at least one body/i);
    assert.match(invalid.body, /value="graffiti"/, 'what was typed is kept');

    const created = await browser.post('/admin/services/new', {
      code: 'graffiti',
      name: 'Graffiti',
      group: 'Streets and environment',
      description: 'Painted or scratched on walls, signs or bus shelters',
      keywords: 'tagging, spray paint',
      offeredBy: ['ashdown'],
      defaultBody: 'ashdown',
      defaultTeam: 'enforcement',
      timescaleAmount: '10',
      timescaleUnit: 'working_days',
      calendar: 'standard',
      whatHappensNext: 'We will remove it within 10 working days.',
      flags: ['active', 'public', 'photos'],
      photosMax: '2',
    });
    assert.equal(created.statusCode, 303, created.body);
    assert.equal(created.headers.location, '/admin/services/graffiti?saved=1');

    await browser.get('/admin/services/graffiti/questions/new');
    const question = await browser.post('/admin/services/graffiti/questions/new', {
      code: 'offensive',
      text: 'Is it offensive?',
      datatype: 'singlevaluelist',
      options: 'yes | Yes\r\nno | No',
      flags: 'required',
    });
    assert.equal(question.statusCode, 303, question.body);

    await browser.get('/admin/routing/new');
    const rule = await browser.post('/admin/routing/new', {
      name: 'Offensive graffiti to the duty officer',
      serviceCode: 'graffiti',
      position: '5',
      areaKind: 'ward',
      areaCode: '',
      answers: 'offensive equals yes',
      outOfHours: 'any',
      bodyCode: 'ashdown',
      teamCode: 'out-of-hours',
      flags: ['enabled'],
    });
    assert.equal(rule.statusCode, 303, rule.body);

    const service = await t.app.domain.services.get('graffiti');
    assert.deepEqual(
      service?.definition.questions.map((q) => q.code),
      ['offensive'],
    );
    assert.equal(service?.definition.timescale.amount, 10);

    // A point in the council's ward.
    const yes = await browser.get(
      '/admin/routing/test?lat=53.45&lon=-2.38&service=graffiti&answers=offensive%3Dyes',
    );
    assert.equal(yes.statusCode, 200);
    assert.match(yes.body, /Out-of-hours duty officer/);
    assert.match(yes.body, /Rule “Offensive graffiti to the duty officer” \(position 5\)/);
    const no = await browser.get(
      '/admin/routing/test?lat=53.45&lon=-2.38&service=graffiti&answers=offensive%3Dno',
    );
    assert.match(no.body, /Environmental enforcement/);
    assert.match(no.body, /Did not fire: offensive is no, not yes/);

    // A report made through the API for the new service reaches the team the new rule names.
    const { key } = await t.app.apiClients.create({ name: 'Council app', scopes: ['reports:write'] });
    const report = (offensive: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/reports',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        payload: JSON.stringify({
          service_code: 'graffiti',
          lat: 53.45,
          lon: -2.38,
          description: 'Tags on the bus shelter',
          answers: { offensive },
          reporter: { name: 'Gill Graffiti', email: 'gill@example.org' },
        }),
      });
    const urgent = await report('yes');
    assert.equal(urgent.statusCode, 201, urgent.body);
    assert.equal(urgent.json().handled_by.team, 'Out-of-hours duty officer');
    const ordinary = await report('no');
    assert.equal(ordinary.json().handled_by.team, 'Environmental enforcement');
    const stored = await getDatabase()
      .db.selectFrom('cases')
      .innerJoin('team', 'team.id', 'cases.team_id')
      .select(['team.code', 'cases.routing'])
      .where('cases.reference', '=', urgent.json().reference)
      .executeTakeFirstOrThrow();
    assert.equal(stored.code, 'out-of-hours');
    assert.equal(
      (stored.routing as { decidedBy: { name: string } }).decidedBy.name,
      'Offensive graffiti to the duty officer',
    );

    const outside = await browser.get('/admin/routing/test?lat=51.5&lon=-0.12&service=graffiti');
    assert.match(outside.body, /Outside every body&#39;s area/);
  });

  it('lets an admin give a service its own receipt email, checking its placeholders', async () => {
    const browser = new TestBrowser(t.app);
    const admin = login('admin');
    await browser.signIn(admin.email, admin.password);
    const form = await browser.get('/admin/services/street-light');
    assert.match(form.body, /See the standard receipt/);
    const fields = {
      name: 'Street light not working',
      group: 'Roads and pavements',
      offeredBy: ['ashdown'],
      defaultBody: 'ashdown',
      defaultTeam: 'street-lighting',
      timescaleAmount: '10',
      timescaleUnit: 'working_days',
      calendar: 'standard',
      flags: ['active', 'public', 'photos'],
      photosMax: '3',
    };
    const typo = await browser.post('/admin/services/street-light', {
      ...fields,
      receiptSubject: 'Lamp report {{refrence}}',
      receiptBody: 'Thanks. Track it: {{track_url}}',
    });
    assert.equal(typo.statusCode, 400);
    assert.match(typo.body, /\{\{refrence\}\} is not a placeholder the receipt knows/);
    const saved = await browser.post('/admin/services/street-light', {
      ...fields,
      receiptSubject: 'Lamp report {{reference}}',
      receiptBody:
        'Thanks, {{reporter_name}}.\n\nOur contractor will fix it by {{due_date}}.\n\nTrack it: {{track_url}}',
    });
    assert.equal(saved.statusCode, 303, saved.body);
    const service = await t.app.domain.services.get('street-light');
    assert.equal(service?.definition.receiptTemplate?.subject, 'Lamp report {{reference}}');
  });

  it('refuses a rule that tests a question the service does not ask', async () => {
    const browser = new TestBrowser(t.app);
    const admin = login('admin');
    await browser.signIn(admin.email, admin.password);
    await browser.get('/admin/routing/new');
    const rule = await browser.post('/admin/routing/new', {
      name: 'Bad rule',
      serviceCode: council.service.code,
      position: '1',
      answers: 'colour equals red',
      outOfHours: 'any',
      bodyCode: 'ashdown',
      teamCode: '',
      flags: ['enabled'],
    });
    assert.equal(rule.statusCode, 400);
    assert.match(rule.body, /Pothole has no question &quot;colour&quot;/);
  });
});
