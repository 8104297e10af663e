/**
 * Bodies, teams and calendars edited in the browser, as an admin would: add and change them, see each
 * mistake reported against its field with what was typed kept, add and remove closure days, and find
 * every change in the catalogue file. Staff without the admin role are refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { englandAndWalesBankHolidays } from '../src/lib/bank-holidays.js';
import { dateFromParts } from '../src/modules/calendars/calendars.service.js';
import type { Catalogue } from '../src/modules/catalogue/catalogue.schema.js';
import type { TestBrowser } from './helpers/app.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';
import { newBody, newCalendar, newStaff, newTeam, type TestStaff } from './helpers/factories.js';
import { signedIn } from './helpers/fixtures.js';

/** The error summary's links, as [href, text] pairs. */
function errorSummary(page: LightMyRequestResponse): [string, string][] {
  const summary = /<div class="govuk-error-summary"[\s\S]*?<\/ul>/.exec(page.body)?.[0] ?? '';
  return [...summary.matchAll(/<a href="([^"]+)">([^<]*)<\/a>/g)].map((m) => [m[1]!, m[2]!.trim()]);
}

function assertFormError(page: LightMyRequestResponse, href: string, message: string): void {
  assert.equal(page.statusCode, 400, 'the form is shown again');
  assert.match(page.body, /<title>Error: /, 'the title starts "Error: "');
  const summary = errorSummary(page);
  assert.ok(
    summary.some(([h, text]) => h === href && text === message),
    `expected "${message}" linking to ${href} in the error summary, got ${JSON.stringify(summary)}`,
  );
}

describe('the GOV.UK date input', () => {
  const read = (day: string, month: string, year: string) =>
    dateFromParts({ day, month, year }, { label: 'Date', missing: 'Enter the date of the closure' });

  it('reads a real date', () => {
    assert.deepEqual(read('29', '12', '2026'), { date: '2026-12-29' });
    assert.deepEqual(read(' 1', '2 ', '2028'), { date: '2028-02-01' });
    assert.deepEqual(read('29', '2', '2028'), { date: '2028-02-29' });
  });

  it('says what is wrong, and with which part, in the design system’s words', () => {
    assert.deepEqual(read('', '', ''), {
      message: 'Enter the date of the closure',
      parts: ['day', 'month', 'year'],
    });
    assert.deepEqual(read('29', '', '2026'), { message: 'Date must include a month', parts: ['month'] });
    assert.deepEqual(read('', '', '2026'), {
      message: 'Date must include a day and month',
      parts: ['day', 'month'],
    });
    assert.deepEqual(read('29', '2', '2026'), { message: 'Date must be a real date', parts: ['day'] });
    assert.deepEqual(read('1', '13', '2026'), { message: 'Date must be a real date', parts: ['month'] });
    assert.deepEqual(read('1', 'Jan', '2026'), { message: 'Date must be a real date', parts: ['month'] });
    assert.deepEqual(read('1', '1', '26'), { message: 'Year must include 4 numbers', parts: ['year'] });
  });
});

describeEachEngine('administration of bodies, teams and calendars', (getDatabase) => {
  let t: TestApp;
  let admin: TestBrowser;
  let officer: TestStaff;

  before(async () => {
    t = await buildTestApp(getDatabase());
    // What the pages below start from: a council with a team, a parish, and the standard calendar with
    // a three-day Christmas closure.
    const ashdown = await newBody(t.app, { code: 'ashdown', name: 'Ashdown Borough Council' });
    await newTeam(t.app, { body: ashdown, code: 'highways', name: 'Highways' });
    await newBody(t.app, { code: 'little-wickham', kind: 'parish' });
    await newCalendar(t.app, {
      code: 'standard',
      closures: ['2026-12-29', '2026-12-30', '2026-12-31'].map((date) => ({
        date,
        name: 'Christmas closure',
      })),
    });
    admin = await signedIn(t.app, await newStaff(t.app, { role: 'admin', body: ashdown }));
    officer = await newStaff(t.app, { role: 'officer', body: ashdown });
  });
  after(() => t.close());

  it('adds a body, refusing a bad email address and a code already in use, and keeping what was typed', async () => {
    const list = await admin.get('/admin/organisations');
    assert.equal(list.statusCode, 200);
    assert.match(list.body, /href="\/admin\/organisations\/little-wickham"/);

    const form = await admin.get('/admin/organisations/new');
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<title>Add a body – /);
    assert.match(form.body, /Parish or town council/, 'the kinds are offered by their labels');
    assert.match(form.body, /value="email" disabled/, 'only "In Civicdesk" can be chosen for now');

    const fields = {
      code: 'hale-barns',
      name: 'Hale Barns Parish Council',
      kind: 'parish',
      email: 'clerk at hale-barns',
      phone: '0161 000 0000',
      website: 'https://hale-barns.example',
      deliveryMethod: 'civicdesk',
    };
    const badEmail = await admin.post('/admin/organisations/new', fields);
    assertFormError(
      badEmail,
      '#email',
      'Enter an email address in the correct format, like name@example.com',
    );
    assert.match(badEmail.body, /value="clerk at hale-barns"/, 'what was typed is kept');
    assert.match(badEmail.body, /value="Hale Barns Parish Council"/);
    assert.match(badEmail.body, /value="parish" checked/);

    const several = await admin.post('/admin/organisations/new', {
      ...fields,
      code: 'Hale Barns',
      name: '',
      kind: '',
      email: 'clerk@hale-barns.example',
      phone: 'call the clerk',
      website: 'hale-barns.example',
    });
    assert.deepEqual(
      errorSummary(several).map(([href]) => href),
      ['#code', '#name', '#kind', '#phone', '#website'],
      'every problem at once, in the order of the fields',
    );
    assert.match(several.body, /Code must only include lower-case letters, numbers and hyphens/);
    assert.match(several.body, /Enter a telephone number, like 01632 960 001/);
    assert.match(several.body, /Enter a website address in the correct format/);

    const duplicate = await admin.post('/admin/organisations/new', {
      ...fields,
      code: 'ashdown',
      email: 'clerk@hale-barns.example',
    });
    assertFormError(duplicate, '#code', 'There is already a body with the code &quot;ashdown&quot;');

    const otherMethod = await admin.post('/admin/organisations/new', {
      ...fields,
      email: 'clerk@hale-barns.example',
      deliveryMethod: 'webhook',
    });
    assertFormError(
      otherMethod,
      '#deliveryMethod',
      'Select In Civicdesk: sending cases by email, Open311 or a webhook comes with integrations',
    );

    const created = await admin.post('/admin/organisations/new', {
      ...fields,
      email: 'clerk@hale-barns.example',
    });
    assert.equal(created.statusCode, 303, created.body);
    assert.equal(created.headers.location, '/admin/organisations/hale-barns?saved=added');

    const page = await admin.get(created.headers.location as string);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /govuk-notification-banner--success[\s\S]*Body added/);
    assert.match(page.body, /<h1 class="govuk-heading-l">Hale Barns Parish Council<\/h1>/);
    assert.match(page.body, /clerk@hale-barns.example/);
    assert.match(page.body, /No teams yet/);

    const body = await t.app.domain.organisations.body('hale-barns');
    assert.equal(body?.kind, 'parish');
    assert.equal(body?.deliveryMethod, 'civicdesk');
    assert.equal(body?.website, 'https://hale-barns.example');
  });

  it('changes a body’s details, but never its code', async () => {
    const form = await admin.get('/admin/organisations/hale-barns/edit');
    assert.equal(form.statusCode, 200);
    assert.doesNotMatch(form.body, /name="code"/, 'the code cannot be changed');
    assert.match(form.body, /value="clerk@hale-barns.example"/);

    const bad = await admin.post('/admin/organisations/hale-barns/edit', {
      name: 'Hale Barns Town Council',
      kind: 'parish',
      email: 'clerk@',
      phone: '',
      website: '',
      deliveryMethod: 'civicdesk',
    });
    assertFormError(bad, '#email', 'Enter an email address in the correct format, like name@example.com');
    assert.match(bad.body, /<title>Error: Change Hale Barns Parish Council – /);
    assert.match(bad.body, /value="Hale Barns Town Council"/);

    const saved = await admin.post('/admin/organisations/hale-barns/edit', {
      code: 'renamed',
      name: 'Hale Barns Town Council',
      kind: 'parish',
      email: 'town.clerk@hale-barns.example',
      phone: '',
      website: '',
      deliveryMethod: 'civicdesk',
    });
    assert.equal(saved.statusCode, 303, saved.body);
    assert.equal(saved.headers.location, '/admin/organisations/hale-barns?saved=body');
    const page = await admin.get(saved.headers.location as string);
    assert.match(page.body, /Changes to the body saved/);
    assert.match(page.body, /Hale Barns Town Council/);

    const body = await t.app.domain.organisations.body('hale-barns');
    assert.equal(body?.name, 'Hale Barns Town Council');
    assert.equal(body?.email, 'town.clerk@hale-barns.example');
    assert.equal(body?.phone, null, 'an emptied optional field is cleared');
    assert.equal(await t.app.domain.organisations.body('renamed'), undefined);

    assert.equal((await admin.get('/admin/organisations/no-such-body')).statusCode, 404);
  });

  it('adds and changes a body’s teams, with codes unique within the body', async () => {
    const form = await admin.get('/admin/organisations/hale-barns/teams/new');
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<title>Add a team – Hale Barns Town Council – /);

    // Another body's team code is fine: codes are unique within a body.
    const created = await admin.post('/admin/organisations/hale-barns/teams/new', {
      code: 'highways',
      name: 'Footpaths and verges',
      email: 'footpaths@hale-barns.example',
    });
    assert.equal(created.statusCode, 303, created.body);
    assert.equal(created.headers.location, '/admin/organisations/hale-barns?saved=team-added#teams');

    const duplicate = await admin.post('/admin/organisations/hale-barns/teams/new', {
      code: 'highways',
      name: 'Another team',
      email: '',
    });
    assertFormError(
      duplicate,
      '#code',
      'Hale Barns Town Council already has a team with the code &quot;highways&quot;',
    );
    assert.match(duplicate.body, /value="Another team"/);

    const badEmail = await admin.post('/admin/organisations/hale-barns/teams/new', {
      code: 'allotments',
      name: '',
      email: 'allotments',
    });
    assert.deepEqual(
      errorSummary(badEmail).map(([href]) => href),
      ['#name', '#email'],
    );

    const page = await admin.get('/admin/organisations/hale-barns?saved=team-added');
    assert.match(page.body, /Team added/);
    assert.match(
      page.body,
      /href="\/admin\/organisations\/hale-barns\/teams\/highways">Footpaths and verges</,
    );

    const edit = await admin.get('/admin/organisations/hale-barns/teams/highways');
    assert.equal(edit.statusCode, 200);
    assert.match(edit.body, /value="Footpaths and verges"/);
    const saved = await admin.post('/admin/organisations/hale-barns/teams/highways', {
      name: 'Footpaths, verges and benches',
      email: '',
    });
    assert.equal(saved.statusCode, 303, saved.body);
    assert.match(
      (await admin.get('/admin/organisations/hale-barns?saved=team')).body,
      /Changes to the team saved/,
    );

    const body = (await t.app.domain.organisations.body('hale-barns'))!;
    const teams = await t.app.domain.organisations.teamsOf(body);
    assert.deepEqual(
      teams.map((team) => [team.code, team.name, team.email]),
      [['highways', 'Footpaths, verges and benches', null]],
    );
    const ashdown = (await t.app.domain.organisations.body('ashdown'))!;
    assert.equal((await t.app.domain.organisations.team(ashdown, 'highways'))?.name, 'Highways', 'untouched');
    assert.equal((await admin.get('/admin/organisations/hale-barns/teams/nope')).statusCode, 404);
  });

  it('adds and changes a calendar, refusing times out of order', async () => {
    const form = await admin.get('/admin/calendars/new');
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /name="workingWeekdays" type="checkbox" value="1" checked/);

    const fields = {
      code: 'depot',
      name: 'Depot',
      workingWeekdays: ['1', '2', '3', '4', '5', '6'],
      opensAt: '15:00',
      closesAt: '7:00',
      bankHolidays: 'england-and-wales',
    };
    const backwards = await admin.post('/admin/calendars/new', fields);
    assertFormError(backwards, '#closesAt', 'Closing time must be after the opening time');
    assert.match(backwards.body, /value="6" checked/, 'the ticked days are kept');

    const bad = await admin.post('/admin/calendars/new', {
      ...fields,
      code: 'standard',
      workingWeekdays: [],
      opensAt: '7am',
      closesAt: '',
    });
    assert.deepEqual(errorSummary(bad), [
      ['#workingWeekdays', 'Select at least one working day'],
      ['#opensAt', 'Enter the opening time in the 24-hour clock, like 08:30'],
      ['#closesAt', 'Enter the closing time'],
    ]);
    assert.match(bad.body, /value="7am"/);

    const duplicate = await admin.post('/admin/calendars/new', {
      ...fields,
      code: 'standard',
      opensAt: '07:00',
      closesAt: '15:00',
    });
    assertFormError(duplicate, '#code', 'There is already a calendar with the code &quot;standard&quot;');

    const created = await admin.post('/admin/calendars/new', {
      ...fields,
      opensAt: '07:00',
      closesAt: '15:00',
    });
    assert.equal(created.statusCode, 303, created.body);
    assert.equal(created.headers.location, '/admin/calendars/depot?saved=added');
    const page = await admin.get(created.headers.location as string);
    assert.match(page.body, /Calendar added/);
    assert.match(page.body, /Monday, Tuesday, Wednesday, Thursday, Friday, Saturday/);
    assert.match(page.body, /07:00 to 15:00/);

    const saved = await admin.post('/admin/calendars/depot/edit', {
      name: 'Depot (early shift)',
      workingWeekdays: ['1', '2', '3', '4', '5'],
      opensAt: '6:30',
      closesAt: '14:30',
      bankHolidays: 'none',
    });
    assert.equal(saved.statusCode, 303, saved.body);
    const calendar = await t.app.domain.calendars.get('depot');
    assert.deepEqual(
      [
        calendar?.name,
        calendar?.workingWeekdays,
        calendar?.opensAt,
        calendar?.closesAt,
        calendar?.bankHolidays,
      ],
      ['Depot (early shift)', [1, 2, 3, 4, 5], '06:30', '14:30', 'none'],
    );
    const changed = await admin.get('/admin/calendars/depot?saved=calendar');
    assert.match(changed.body, /Changes to the calendar saved/);
    assert.match(changed.body, /This calendar does not count bank holidays/);
  });

  it('shows the next 10 bank holidays a calendar counts', async () => {
    const page = await admin.get('/admin/calendars/standard');
    assert.equal(page.statusCode, 200);
    const today = new Date().toISOString().slice(0, 10);
    const year = Number(today.slice(0, 4));
    const upcoming = [year, year + 1, year + 2]
      .flatMap((y) => englandAndWalesBankHolidays(y))
      .filter((h) => h.date > today)
      .slice(0, 9);
    const section = page.body.slice(page.body.indexOf('id="bank-holidays"'));
    const rows = section.match(/<tr class="govuk-table__row"><td/g) ?? [];
    assert.equal(rows.length, 10);
    for (const holiday of upcoming) assert.match(section, new RegExp(holiday.name.replace(/[()]/g, '\\$&')));
  });

  it('adds and removes closure days, refusing a date that is not real', async () => {
    const form = await admin.get('/admin/calendars/depot/closures/new');
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /id="date-day" name="date-day"/);

    const notReal = await admin.post('/admin/calendars/depot/closures/new', {
      'date-day': '31',
      'date-month': '2',
      'date-year': '2027',
      name: 'Staff training',
    });
    assertFormError(notReal, '#date-day', 'Date must be a real date');
    assert.match(notReal.body, /<title>Error: Add a closure day – /);
    assert.match(notReal.body, /value="31"/);
    assert.match(notReal.body, /value="Staff training"/);
    assert.match(notReal.body, /govuk-input--error[^"]*" id="date-day"/, 'the day is marked');
    assert.doesNotMatch(notReal.body, /govuk-input--error[^"]*" id="date-month"/, 'and only the day');

    const incomplete = await admin.post('/admin/calendars/depot/closures/new', {
      'date-day': '4',
      'date-month': '',
      'date-year': '2027',
      name: '',
    });
    assert.deepEqual(errorSummary(incomplete), [
      ['#date-month', 'Date must include a month'],
      ['#name', 'Enter what the closure is for, like Christmas closure'],
    ]);

    const added = await admin.post('/admin/calendars/depot/closures/new', {
      'date-day': '4',
      'date-month': '1',
      'date-year': '2027',
      name: 'Stocktaking',
    });
    assert.equal(added.statusCode, 303, added.body);
    assert.equal(
      added.headers.location,
      '/admin/calendars/depot?saved=closure-added&date=2027-01-04#closures',
    );
    const page = await admin.get('/admin/calendars/depot?saved=closure-added&date=2027-01-04');
    assert.match(page.body, /Closure on Monday 4 January 2027 added/);
    assert.match(page.body, /<td class="govuk-table__cell">Stocktaking<\/td>/);
    assert.match(page.body, /action="\/admin\/calendars\/depot\/closures\/2027-01-04\/remove"/);

    const again = await admin.post('/admin/calendars/depot/closures/new', {
      'date-day': '04',
      'date-month': '01',
      'date-year': '2027',
      name: 'Stocktaking again',
    });
    assertFormError(again, '#date-day', 'Depot (early shift) already has a closure on 4 January 2027');

    await admin.post('/admin/calendars/depot/closures/new', {
      'date-day': '5',
      'date-month': '1',
      'date-year': '2027',
      name: 'Stocktaking',
    });
    assert.deepEqual((await t.app.domain.calendars.get('depot'))?.closures, [
      { date: '2027-01-04', name: 'Stocktaking' },
      { date: '2027-01-05', name: 'Stocktaking' },
    ]);

    const removed = await admin.post('/admin/calendars/depot/closures/2027-01-04/remove', {});
    assert.equal(removed.statusCode, 303, removed.body);
    assert.equal(
      removed.headers.location,
      '/admin/calendars/depot?saved=closure-removed&date=2027-01-04#closures',
    );
    assert.match(
      (await admin.get('/admin/calendars/depot?saved=closure-removed&date=2027-01-04')).body,
      /Closure on Monday 4 January 2027 removed/,
    );
    assert.deepEqual((await t.app.domain.calendars.get('depot'))?.closures, [
      { date: '2027-01-05', name: 'Stocktaking' },
    ]);
    const gone = await admin.post('/admin/calendars/depot/closures/2027-01-04/remove', {});
    assert.equal(gone.statusCode, 404);

    // The working-time arithmetic sees the closure.
    const working = await t.app.domain.calendars.workingCalendar('depot', new Date('2027-01-01T12:00:00Z'));
    assert.ok(working.closedDates.has('2027-01-05'));
    assert.ok(!working.closedDates.has('2027-01-04'));
  });

  it('puts every change in the catalogue file, which imports again', async () => {
    const response = await admin.get('/admin/catalogue/export?format=json');
    assert.equal(response.statusCode, 200);
    const catalogue = JSON.parse(response.body) as Catalogue;
    assert.deepEqual(
      catalogue.bodies.find((b) => b.code === 'hale-barns'),
      {
        code: 'hale-barns',
        name: 'Hale Barns Town Council',
        kind: 'parish',
        email: 'town.clerk@hale-barns.example',
        phone: null,
        website: null,
        deliveryMethod: 'civicdesk',
      },
    );
    assert.deepEqual(
      catalogue.teams.find((team) => team.body === 'hale-barns'),
      { body: 'hale-barns', code: 'highways', name: 'Footpaths, verges and benches', email: null },
    );
    assert.deepEqual(
      catalogue.calendars.find((c) => c.code === 'depot'),
      {
        code: 'depot',
        name: 'Depot (early shift)',
        timeZone: 'Europe/London',
        workingWeekdays: [1, 2, 3, 4, 5],
        opensAt: '06:30',
        closesAt: '14:30',
        bankHolidays: 'none',
        closures: [{ date: '2027-01-05', name: 'Stocktaking' }],
      },
    );
    const summary = await t.app.domain.catalogue.import(catalogue, { dryRun: true });
    assert.equal(summary.bodies, catalogue.bodies.length);
  });

  it('refuses staff without the admin role, on every page and form', async () => {
    const browser = await signedIn(t.app, officer);
    await browser.get('/staff/sign-in'); // a page with a form, for a CSRF token
    for (const url of [
      '/admin/organisations',
      '/admin/organisations/new',
      '/admin/organisations/ashdown',
      '/admin/organisations/ashdown/edit',
      '/admin/organisations/ashdown/teams/new',
      '/admin/organisations/ashdown/teams/highways',
      '/admin/calendars',
      '/admin/calendars/new',
      '/admin/calendars/standard',
      '/admin/calendars/standard/edit',
      '/admin/calendars/standard/closures/new',
    ]) {
      assert.equal((await browser.get(url)).statusCode, 403, url);
    }
    assert.ok(browser.csrf, 'the officer has a CSRF token, so a refusal is about the role');
    const posts: [string, Record<string, string>][] = [
      ['/admin/organisations/new', { code: 'sneaky', name: 'Sneaky', kind: 'other' }],
      ['/admin/organisations/ashdown/edit', { name: 'Taken over', kind: 'unitary' }],
      ['/admin/organisations/ashdown/teams/new', { code: 'sneaky', name: 'Sneaky' }],
      [
        '/admin/calendars/standard/closures/new',
        { 'date-day': '1', 'date-month': '6', 'date-year': '2027', name: 'x' },
      ],
      ['/admin/calendars/standard/closures/2026-12-29/remove', {}],
    ];
    for (const [url, fields] of posts) {
      assert.equal((await browser.post(url, fields)).statusCode, 403, url);
    }
    assert.equal(await t.app.domain.organisations.body('sneaky'), undefined);
    assert.equal((await t.app.domain.organisations.body('ashdown'))?.name, 'Ashdown Borough Council');
    assert.equal((await t.app.domain.calendars.get('standard'))?.closures.length, 3);
  });
});
