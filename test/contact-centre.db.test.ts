/**
 * The contact centre on both engines, through its pages: an agent finds a caller who reported on the
 * web (by name, email, phone in another format), is shown them again when trying to add them as new
 * (never a second contact without saying so), takes a phone report for them through the same intake
 * (channel phone, the same contact, the call logged, the receipt at real SMTP), lets a second caller
 * follow that case instead of reporting it twice, and logs an interaction. Another body's staff cannot
 * find or open the contact.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import type { TestBrowser } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';
import { newBody, newStaff, newStreet, type TestStaff } from './helpers/factories.js';
import {
  newCouncil,
  POTHOLE_ANSWERS,
  POTHOLE_QUESTIONS,
  signedIn,
  useMailingApp,
  type TestCouncil,
} from './helpers/fixtures.js';

describeEachEngine('contact centre', (getDatabase) => {
  const mailing = useMailingApp(getDatabase, {
    CIVICDESK_BASE_URL: 'https://report.ashdown.example',
    CIVICDESK_REFERENCE_PREFIX: 'ASH',
  });
  let council: TestCouncil;
  /** An officer of another body (a parish), who must not find the borough's callers. */
  let parishClerk: TestStaff;
  let parishCode: string;
  let agent: TestBrowser;
  let janeId: string;
  let janeReference: string;
  let place: { id: string; lat: number; lon: number };

  const contactCount = async () =>
    Number(
      (
        await getDatabase()
          .db.selectFrom('contact')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  before(async () => {
    const { app } = mailing();
    const { db } = getDatabase();
    council = await newCouncil(app, {
      service: { code: 'pothole', name: 'Pothole', questions: POTHOLE_QUESTIONS },
      staff: ['admin', 'agent', 'team_lead'],
    });
    const parish = await newBody(app, { kind: 'parish' });
    parishCode = parish.code;
    parishClerk = await newStaff(app, { role: 'officer', body: parish });
    // A street in the borough that an agent will find by name.
    await newStreet(app, {
      name: 'Mill Lane',
      locality: 'Test borough',
      from: [-2.38, 53.45],
      to: [-2.37, 53.451],
    });
    // The place an agent will pick from the search: a resident reported a pothole there on the web.
    const [mill] = await app.domain.gazetteer.search('Mill Lane', { limit: 1 });
    place = { id: mill!.id, lat: mill!.lat, lon: mill!.lon };
    const web = await app.intake.submit({
      serviceCode: 'pothole',
      lat: place.lat,
      lon: place.lon,
      description: 'Pothole outside the bakery',
      answers: POTHOLE_ANSWERS,
      reporter: { name: 'Jane Caller', email: 'Jane.Caller@example.org', phone: '0161 496 0123' },
      channel: 'web',
    });
    janeReference = web.case.reference;
    janeId = (await db
      .selectFrom('cases')
      .select('reporter_contact_id')
      .where('reference', '=', janeReference)
      .executeTakeFirstOrThrow())!.reporter_contact_id!;
    await mailing().smtp.waitFor((m) => m.parsed.subject === `Your report ${janeReference}: Pothole`);
    agent = await signedIn(app, council.staff.agent);
  });

  it('finds a caller by name (with a typo), email, phone in another format and not by a stranger’s name', async () => {
    for (const q of ['Jane Caler', 'jane.caller@', '+44 161 496 0123', '01614960123']) {
      const page = await agent.get(`/staff/contacts?q=${encodeURIComponent(q)}`);
      assert.equal(page.statusCode, 200, q);
      assert.match(page.body, new RegExp(`href="/staff/contacts/${janeId}"`), `“${q}” finds Jane`);
    }
    const none = await agent.get('/staff/contacts?q=Zebedee');
    assert.match(none.body, /No callers match ‘Zebedee’/);
    const short = await agent.get('/staff/contacts?q=J');
    assert.equal(short.statusCode, 400);
    assert.match(short.body, /govuk-error-summary/);
  });

  it('shows the existing contact instead of silently adding the caller twice', async () => {
    const before = await contactCount();
    await agent.get('/staff/contacts/new');
    const details = {
      name: 'Jane Caller',
      email: '',
      phone: '0161 4960123',
      postcode: 'M33 7AA',
      address: '',
    };
    const first = await agent.post('/staff/contacts/new', details);
    assert.equal(first.statusCode, 200);
    assert.match(first.body, /Is the caller already a contact\?/);
    assert.match(first.body, new RegExp(`/staff/contacts/${janeId}`));
    assert.match(first.body, /Same phone number/);
    const shown = /name="shown" value="([^"]*)"/.exec(first.body)![1]!;
    const unconfirmed = await agent.post('/staff/contacts/new', { ...details, shown });
    assert.equal(unconfirmed.statusCode, 400);
    assert.match(unconfirmed.body, /confirm they are none of them/);
    assert.equal(await contactCount(), before, 'no contact was created');
  });

  it('takes a phone report for the existing caller: same contact, channel phone, call logged, receipt sent', async () => {
    const before = await contactCount();
    const contactPage = await agent.get(`/staff/contacts/${janeId}`);
    assert.equal(contactPage.statusCode, 200);
    assert.match(contactPage.body, new RegExp(janeReference));
    const start = await agent.post(`/staff/contacts/${janeId}/report`, {});
    assert.equal(start.statusCode, 303);
    const where = await agent.get(`/staff/contacts/${janeId}/report/where?q=Mill+Lane`);
    assert.match(where.body, new RegExp(`value="${place.id}"`));
    const noPlace = await agent.post(`/staff/contacts/${janeId}/report/where`, { q: 'Mill Lane' });
    assert.equal(noPlace.statusCode, 400);
    assert.match(noPlace.body, /Select the place from the list/);
    const chosen = await agent.post(`/staff/contacts/${janeId}/report/where`, {
      q: 'Mill Lane',
      place: place.id,
    });
    assert.equal(chosen.headers.location, `/staff/contacts/${janeId}/report/what`);
    const what = await agent.post(`/staff/contacts/${janeId}/report/what`, { service: 'pothole' });
    assert.equal(what.statusCode, 303);
    const details = await agent.get(`/staff/contacts/${janeId}/report/details`);
    assert.match(details.body, /Already reported nearby\?/);
    assert.match(details.body, new RegExp(janeReference), 'the caller’s own earlier report is offered');

    const missing = await agent.post(`/staff/contacts/${janeId}/report/details`, { danger: 'no' });
    assert.equal(missing.statusCode, 400);
    assert.match(missing.body, /Enter what the caller told you about the problem/);
    const sent = await agent.post(`/staff/contacts/${janeId}/report/details`, {
      danger: 'no',
      size: 'small',
      description: 'A second pothole further up, by the post box',
      updates: 'yes',
    });
    assert.equal(sent.statusCode, 303, sent.body);
    const done = await agent.get(`/staff/contacts/${janeId}`);
    const reference = /Reference (ASH-[A-Z0-9-]+)/.exec(done.body)?.[1];
    assert.ok(reference, 'the reference to read to the caller is shown');
    assert.match(done.body, /Read the reference to the caller/);

    const row = await getDatabase()
      .db.selectFrom('cases')
      .select(['channel', 'reporter_contact_id', 'id'])
      .where('reference', '=', reference!)
      .executeTakeFirstOrThrow();
    assert.equal(row.channel, 'phone');
    assert.equal(row.reporter_contact_id, janeId, 'the existing contact is the reporter');
    assert.equal(await contactCount(), before, 'no second contact');
    const logged = await getDatabase()
      .db.selectFrom('interaction')
      .selectAll()
      .where('case_id', '=', row.id)
      .execute();
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.kind, 'call');
    assert.equal(logged[0]!.contact_id, janeId);
    const receipt = await mailing().smtp.waitFor(
      (m) => m.parsed.subject === `Your report ${reference}: Pothole`,
    );
    assert.deepEqual(receipt.envelope.to, ['Jane.Caller@example.org']);
    assert.match(done.body, /Reported pothole: /, 'the call is on the contact page');
    // The receipt is among the emails on the contact page, with whether it went.
    const later = await agent.get(`/staff/contacts/${janeId}`);
    const emailsSection = later.body.slice(later.body.indexOf('id="emails"'));
    assert.match(emailsSection, new RegExp(`Receipt emailed to the resident[\\s\\S]*?${reference}`));
    assert.match(emailsSection, /govuk-tag--(green|grey)/);

    // The double-submitted form does not make a second case.
    const again = await agent.post(`/staff/contacts/${janeId}/report/details`, {
      danger: 'no',
      size: 'small',
      description: 'A second pothole further up, by the post box',
    });
    assert.equal(again.statusCode, 303);
    const count = await getDatabase()
      .db.selectFrom('cases')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('reporter_contact_id', '=', janeId)
      .executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 2);
  });

  it('adds a new caller and lets them follow the case already reported instead of a duplicate', async () => {
    await agent.get('/staff/contacts/new');
    const invalid = await agent.post('/staff/contacts/new', { name: '', phone: '12', postcode: 'nowhere' });
    assert.equal(invalid.statusCode, 400);
    assert.match(invalid.body, /Enter the caller’s name/);
    assert.match(invalid.body, /Enter a full UK postcode/);
    const created = await agent.post('/staff/contacts/new', {
      name: 'Bob Neighbour',
      phone: '07700 900982',
      postcode: 'm33 7aa',
    });
    assert.equal(created.statusCode, 303, created.body);
    const bobId = /\/staff\/contacts\/([0-9a-f-]{36})/.exec(String(created.headers.location))![1]!;
    const found = await agent.get('/staff/contacts?q=M33+7AA');
    assert.match(found.body, new RegExp(`/staff/contacts/${bobId}`), 'found by postcode');

    await agent.post(`/staff/contacts/${bobId}/report`, {});
    await agent.post(`/staff/contacts/${bobId}/report/where`, { q: 'Mill Lane', place: place.id });
    await agent.post(`/staff/contacts/${bobId}/report/what`, { service: 'pothole' });
    await agent.get(`/staff/contacts/${bobId}/report/details`);
    const followed = await agent.post(`/staff/contacts/${bobId}/report/follow`, { reference: janeReference });
    assert.equal(followed.statusCode, 303);
    const page = await agent.get(`/staff/contacts/${bobId}`);
    assert.match(page.body, /now follows/);
    assert.match(page.body, new RegExp(janeReference));
    const { db } = getDatabase();
    const follower = await db
      .selectFrom('case_follower')
      .innerJoin('cases', 'cases.id', 'case_follower.case_id')
      .select('cases.reference')
      .where('case_follower.contact_id', '=', bobId)
      .execute();
    assert.deepEqual(
      follower.map((f) => f.reference),
      [janeReference],
    );
    const bobCases = await db
      .selectFrom('cases')
      .select('id')
      .where('reporter_contact_id', '=', bobId)
      .execute();
    assert.equal(bobCases.length, 0, 'no duplicate case');
  });

  it('logs an interaction with or without a case, with errors a person can act on', async () => {
    await agent.get(`/staff/contacts/${janeId}`);
    const empty = await agent.post(`/staff/contacts/${janeId}/interactions`, {
      kind: 'email',
      direction: 'outbound',
      summary: '',
    });
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body, /Enter what was said or done/);
    const wrongCase = await agent.post(`/staff/contacts/${janeId}/interactions`, {
      kind: 'letter',
      direction: 'inbound',
      case: 'ASH-AAAA-AAAA',
      summary: 'Letter about the pothole',
    });
    assert.equal(wrongCase.statusCode, 400);
    assert.match(wrongCase.body, /Choose one of this resident’s cases/);
    // A name every object has is no kind of interaction: a clear error, not a database failure.
    const oddKind = await agent.post(`/staff/contacts/${janeId}/interactions`, {
      kind: 'toString',
      direction: 'inbound',
      summary: 'Rang',
    });
    assert.equal(oddKind.statusCode, 400);
    assert.match(oddKind.body, /Choose a phone call, email, visit or letter/);
    assert.equal(
      (await agent.get(`/staff/contacts/${'a'.repeat(36)}`)).statusCode,
      404,
      'not a uuid: not found',
    );
    const ok = await agent.post(`/staff/contacts/${janeId}/interactions`, {
      kind: 'visit',
      direction: 'inbound',
      case: janeReference,
      summary: 'Came to the front desk to ask when the repair is due',
    });
    assert.equal(ok.statusCode, 303);
    const page = await agent.get(`/staff/contacts/${janeId}`);
    assert.match(page.body, /Came to the front desk to ask when the repair is due/);
    const audit = await getDatabase()
      .db.selectFrom('audit_event')
      .select('action')
      .where('action', '=', 'contact.viewed')
      .execute();
    assert.ok(audit.length > 0, 'viewing a contact is audited');
  });

  it('does not let another body’s staff find or open the contact', async () => {
    const clerk = await signedIn(mailing().app, parishClerk);
    assert.equal((await clerk.get(`/staff/contacts/${janeId}`)).statusCode, 404);
    assert.doesNotMatch((await clerk.get('/staff/contacts?q=Jane+Caller')).body, new RegExp(janeId));
    assert.equal((await clerk.post(`/staff/contacts/${janeId}/report`, {})).statusCode, 404);
    const blind = await clerk.post(`/staff/contacts/${janeId}/interactions`, {
      kind: 'call',
      direction: 'inbound',
      summary: 'sneaky',
    });
    assert.equal(blind.statusCode, 404);
  });

  it('lets a team lead merge a second record of the caller, choosing the details to keep', async () => {
    const { db } = getDatabase();
    // A web report under another address nobody has confirmed: a second record of the same person.
    const web = await mailing().app.intake.submit({
      serviceCode: 'pothole',
      lat: place.lat,
      lon: place.lon,
      description: 'Another pothole, further down',
      answers: { ...POTHOLE_ANSWERS, size: 'small' },
      reporter: { name: 'J Caller', email: 'jane.other@example.net', phone: '07700 900123' },
      channel: 'web',
    });
    const secondReference = web.case.reference;
    const otherId = (await db
      .selectFrom('cases')
      .select('reporter_contact_id')
      .where('reference', '=', secondReference)
      .executeTakeFirstOrThrow())!.reporter_contact_id!;
    assert.notEqual(otherId, janeId);

    // Agents do not merge: no link, and the pages refuse them.
    assert.doesNotMatch((await agent.get(`/staff/contacts/${janeId}`)).body, /Merge with another record/);
    assert.equal((await agent.get(`/staff/contacts/${janeId}/merge`)).statusCode, 403);
    assert.equal((await agent.post(`/staff/contacts/${janeId}/merge/${otherId}`, {})).statusCode, 403);

    const lead = await signedIn(mailing().app, council.staff.team_lead);
    assert.match((await lead.get(`/staff/contacts/${janeId}`)).body, /Merge with another record/);
    const found = await lead.get(`/staff/contacts/${janeId}/merge?q=07700900123`);
    assert.equal(found.statusCode, 200);
    assert.match(found.body, new RegExp(`href="/staff/contacts/${janeId}/merge/${otherId}"`));
    assert.doesNotMatch(found.body, new RegExp(`merge/${janeId}"`), 'not the record itself');

    const compare = await lead.get(`/staff/contacts/${janeId}/merge/${otherId}`);
    assert.equal(compare.statusCode, 200);
    assert.match(compare.body, /Which name should be kept\?/);
    assert.match(compare.body, /Which email address should be kept\?/);
    assert.match(compare.body, /Which phone number should be kept\?/);
    assert.doesNotMatch(
      compare.body,
      /Which postcode should be kept/,
      'only one record has a postcode, or neither',
    );
    assert.match(compare.body, /1 case reported, 0 followed and 0 interactions will move/);

    const unchosen = await lead.post(`/staff/contacts/${janeId}/merge/${otherId}`, { name: 'keep' });
    assert.equal(unchosen.statusCode, 400);
    assert.match(unchosen.body, /govuk-error-summary/);
    assert.match(unchosen.body, /Choose which email address to keep/);
    assert.match(unchosen.body, /Choose which phone number to keep/);
    assert.ok(await db.selectFrom('contact').select('id').where('id', '=', otherId).executeTakeFirst());

    const merged = await lead.post(`/staff/contacts/${janeId}/merge/${otherId}`, {
      name: 'keep',
      email: 'keep',
      phone: 'other',
    });
    assert.equal(merged.statusCode, 303, merged.body.slice(0, 300));
    assert.equal(
      await db.selectFrom('contact').select('id').where('id', '=', otherId).executeTakeFirst(),
      undefined,
    );
    const kept = await db
      .selectFrom('contact')
      .selectAll()
      .where('id', '=', janeId)
      .executeTakeFirstOrThrow();
    assert.equal(kept.name, 'Jane Caller');
    assert.equal(kept.email, 'Jane.Caller@example.org');
    assert.equal(kept.phone, '07700 900123');
    const page = await lead.get(`/staff/contacts/${janeId}?saved=merged`);
    assert.match(page.body, /The two records were merged into this one/);
    assert.match(page.body, new RegExp(secondReference), 'the other record’s case is on this one');
    assert.match(page.body, new RegExp(janeReference));
    assert.equal((await lead.get(`/staff/contacts/${otherId}`)).statusCode, 404);
    const audit = await db
      .selectFrom('audit_event')
      .select('detail')
      .where('action', '=', 'contact.merged')
      .executeTakeFirstOrThrow();
    assert.equal((audit.detail.merged as { email: string }).email, 'jane.other@example.net');
    assert.equal(audit.detail.casesMoved, 1);
    assert.equal((await lead.get(`/staff/contacts/${janeId}/merge/${otherId}`)).statusCode, 404);
  });

  it('opens the contact to another body’s staff while an admin lets that body work this one’s cases', async () => {
    const clerk = await signedIn(mailing().app, parishClerk);
    const admin = await signedIn(mailing().app, council.staff.admin);
    await admin.get(`/admin/organisations/${parishCode}`);
    const granted = await admin.post(`/admin/organisations/${parishCode}/case-access`, {
      caseAccess: council.body.code,
    });
    assert.equal(granted.statusCode, 303);

    const page = await clerk.get(`/staff/contacts/${janeId}`);
    assert.equal(page.statusCode, 200, 'the resident on a case the clerk may open has a page they may open');
    assert.match(page.body, new RegExp(janeReference), 'with the borough’s cases on it');
    assert.match(page.body, /Came to the front desk/, 'and the borough’s interactions');
    assert.match((await clerk.get('/staff/contacts?q=Jane+Caller')).body, new RegExp(janeId));

    await admin.get(`/admin/organisations/${parishCode}`);
    await admin.post(`/admin/organisations/${parishCode}/case-access`, {});
    assert.equal((await clerk.get(`/staff/contacts/${janeId}`)).statusCode, 404, 'taken away again');
  });
});
