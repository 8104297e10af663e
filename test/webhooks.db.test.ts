/**
 * Webhooks end to end: an administrator registers a real HTTP receiver on 127.0.0.1 in the admin pages
 * and copies the secret shown once; a resident's report and an officer's updates and closure become
 * signed events; the receiver checks each signature with the exported helper, fails the first attempts
 * (a 500, then no answer at all) and still gets every event once, in the order it happened; the delivery
 * log shows the attempts, and "Redeliver" sends an event again.
 *
 * The promise tested is the documented one: at least once (the event id is for deduplication), in order
 * per case and endpoint.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StaffRole } from '../src/db/database.js';
import { signWebhook, verifyWebhookSignature } from '../src/modules/webhooks/index.js';
import type { TestBrowser } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';
import { AT, newService, newTeam } from './helpers/factories.js';
import {
  newCouncil,
  POTHOLE_QUESTIONS,
  signedIn,
  useMailingApp,
  type TestCouncil,
} from './helpers/fixtures.js';
import { outboxSettled } from './helpers/waiting.js';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  answered: 'ok' | 'fail' | 'hang' | 'bad-signature';
}

/** A receiver that checks signatures and answers as told: a list of 'fail' | 'hang' first, then 200. */
async function startReceiver(secretOf: () => string) {
  const received: Received[] = [];
  const script: ('fail' | 'hang')[] = [];
  const hanging: http.ServerResponse[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const check = verifyWebhookSignature(
        secretOf(),
        request.headers['civicdesk-signature'] as string | undefined,
        body,
      );
      if (!check.valid) {
        received.push({ headers: request.headers, body, answered: 'bad-signature' });
        response.writeHead(401).end('bad signature');
        return;
      }
      const next = script.shift();
      received.push({ headers: request.headers, body, answered: next ?? 'ok' });
      if (next === 'fail') response.writeHead(500, { 'content-type': 'text/plain' }).end('database is down');
      else if (next === 'hang')
        hanging.push(response); // never answers: the sender must time out
      else response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/civicdesk-events`,
    received,
    script,
    accepted: () => received.filter((r) => r.answered === 'ok').map((r) => JSON.parse(r.body) as Event),
    async waitForAccepted(n: number, timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      while (received.filter((r) => r.answered === 'ok').length < n) {
        if (Date.now() > end)
          throw new Error(`receiver accepted ${received.filter((r) => r.answered === 'ok').length} of ${n}`);
        await sleep(25);
      }
    },
    async close() {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Event {
  id: string;
  type: string;
  created_at: string;
  sequence: number;
  data: {
    case?: {
      reference: string;
      status: string;
      priority: string;
      staff_url: string;
      service: { code: string };
      team: { code: string } | null;
    };
    change?: Record<string, unknown>;
  };
}

describeEachEngine('webhooks', (getDatabase) => {
  const mailing = useMailingApp(
    getDatabase,
    { CIVICDESK_BASE_URL: 'https://report.ashdown.example', CIVICDESK_REFERENCE_PREFIX: 'ASH' },
    {
      jobSettings: { backoff: { baseMs: 100, maxMs: 400 } },
      // Long enough that a receiver's prompt 500 is never mistaken for no answer on a loaded machine
      // (1 s was, under load); only the one scripted hang waits it out.
      parts: { webhooks: { timeoutMs: 3000, maxAttempts: 5 } },
    },
  );
  let council: TestCouncil;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let secret = '';
  let endpointPath = '';
  // Each member of staff signs in once (sign-ins from one address are rate limited), then browses on.
  const browsers = new Map<StaffRole, Promise<TestBrowser>>();
  const browserOf = (role: StaffRole) => {
    if (!browsers.has(role)) browsers.set(role, signedIn(mailing().app, council.staff[role]));
    return browsers.get(role)!;
  };

  before(async () => {
    const { app } = mailing();
    // Potholes for the council's highways team, and street lights (a case can be moved to) for another.
    council = await newCouncil(app, {
      service: { code: 'pothole', questions: POTHOLE_QUESTIONS },
      staff: ['admin', 'officer', 'team_lead'],
    });
    const lighting = await newTeam(app, { body: council.body, code: 'street-lighting' });
    await newService(app, { body: council.body, team: lighting, code: 'street-light' });
    receiver = await startReceiver(() => secret);
  });
  after(async () => {
    await receiver.close(); // and any request still hanging on it
  });

  it('lets an administrator add an endpoint and shows its secret once', async () => {
    const admin = await browserOf('admin');
    const form = await admin.get('/admin/webhooks/new');
    assert.equal(form.statusCode, 200);

    const empty = await admin.post('/admin/webhooks/new', { name: '', url: 'ftp://crm', events: [] });
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body, /<title>Error: /);
    assert.match(empty.body, /Enter a name for the endpoint/);
    assert.match(empty.body, /Enter a web address starting with https:\/\//);
    assert.match(empty.body, /Choose at least one event to send/);

    const created = await admin.post('/admin/webhooks/new', {
      name: 'Ashdown CRM',
      url: receiver.url,
      events: ['case.created', 'case.status_changed', 'case.public_update', 'case.closed'],
      bodyCode: '',
      serviceCode: '',
    });
    assert.equal(created.statusCode, 200, created.body);
    assert.equal(created.headers['cache-control'], 'no-store');
    secret = /id="webhook-secret">(whsec_[A-Za-z0-9_-]+)</.exec(created.body)![1]!;
    endpointPath = /href="(\/admin\/webhooks\/[0-9a-f-]{36})"/.exec(created.body)![1]!;

    const page = await admin.get(endpointPath);
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, new RegExp(secret), 'the secret is never shown again');
    const stored = await getDatabase()
      .db.selectFrom('webhook_endpoint')
      .select('secret_sealed')
      .executeTakeFirstOrThrow();
    assert.ok(!stored.secret_sealed.includes(secret), 'the secret is stored sealed');
    const audit = await getDatabase()
      .db.selectFrom('audit_event')
      .select('action')
      .where('action', '=', 'webhook.created')
      .execute();
    assert.equal(audit.length, 1);
  });

  it('refuses the admin pages to other staff, and forms without a CSRF token', async () => {
    const officer = await browserOf('officer');
    const list = await officer.get('/admin/webhooks');
    assert.equal(list.statusCode, 403);
    const forged = await mailing().app.inject({
      method: 'POST',
      url: `${endpointPath}/ping`,
      headers: { cookie: officer.cookie!, 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    assert.equal(forged.statusCode, 403);
  });

  it('delivers every event of a case once, signed, in order, although the receiver fails at first', async () => {
    // The first attempt gets a 500, the second no answer at all (a timeout); after that, all is well.
    receiver.script.push('fail', 'hang');
    const report = await mailing().app.intake.submit({
      serviceCode: 'pothole',
      ...AT,
      description: 'Deep pothole by the zebra crossing',
      answers: { danger: 'no', size: 'large' },
      reporter: { name: 'Rosa Resident', email: 'rosa@example.org' },
      channel: 'web',
    });
    const reference = report.case.reference;
    const officer = await browserOf('officer');
    await officer.get(`/staff/cases/${reference}`);
    const scheduled = await officer.post(`/staff/cases/${reference}/update`, {
      status: 'action_scheduled',
      publicUpdate: 'A repair crew is booked for Thursday.',
    });
    assert.equal(scheduled.statusCode, 303, scheduled.body);
    const closed = await officer.post(`/staff/cases/${reference}/update`, {
      status: 'fixed',
      publicUpdate: 'Filled and rolled.',
      outcome: '',
    });
    assert.equal(closed.statusCode, 303, closed.body);

    await receiver.waitForAccepted(6);
    await outboxSettled(getDatabase().db, { retries: true }); // anything extra (a duplicate) is in now
    const accepted = receiver.accepted();
    assert.deepEqual(
      accepted.map((e) => e.type),
      [
        'case.created',
        'case.status_changed',
        'case.public_update',
        'case.status_changed',
        'case.public_update',
        'case.closed',
      ],
      'in the order they happened, although the first event needed three attempts',
    );
    assert.equal(new Set(accepted.map((e) => e.id)).size, 6, 'each event accepted once');
    const sequences = accepted.map((e) => e.sequence);
    assert.deepEqual(
      [...sequences].sort((a, b) => a - b),
      sequences,
    );
    assert.ok(
      receiver.received.every((r) => r.answered !== 'bad-signature'),
      'every signature checked out',
    );
    assert.deepEqual(
      receiver.received.slice(0, 3).map((r) => r.answered),
      ['fail', 'hang', 'ok'],
      'the created event was retried after a 500 and a timeout',
    );
    const first = accepted[0]!;
    assert.equal(first.data.case!.reference, reference);
    assert.equal(first.data.case!.staff_url, `https://report.ashdown.example/staff/cases/${reference}`);
    assert.equal(accepted[1]!.data.change!.to, 'action_scheduled');
    assert.equal(accepted[1]!.data.case!.status, 'action_scheduled');
    assert.equal(accepted[2]!.data.change!.text, 'A repair crew is booked for Thursday.');
    assert.equal(accepted[5]!.data.case!.status, 'fixed');
    const created = receiver.received.find((r) => r.answered === 'ok')!;
    assert.equal(created.headers['civicdesk-event-id'], first.id);
    assert.equal(created.headers['content-type'], 'application/json');
    assert.doesNotMatch(
      created.body,
      /rosa@example\.org|Rosa Resident/,
      'no resident personal data in events',
    );

    // The delivery log shows every attempt: the 500 with what the receiver said, the timeout, the success.
    const admin = await browserOf('admin');
    const log = await admin.get(endpointPath);
    assert.match(log.body, /500, \d+ ms/);
    assert.match(log.body, /database is down/);
    assert.match(log.body, /No answer, \d+ ms/);
    assert.match(log.body, /No answer within 3 seconds/);
    assert.match(log.body, /204, \d+ ms/);
    assert.equal((log.body.match(/>Delivered</g) ?? []).length, 6);
  });

  it('redelivers an event from the delivery log, and sends a test event', async () => {
    const admin = await browserOf('admin');
    const log = await admin.get(endpointPath);
    const [, action, eventType] =
      /<form method="post" action="([^"]+\/redeliver)"[^]*?aria-label="Redeliver ([a-z._]+) /.exec(log.body)!;
    const before = receiver.accepted().length;
    const redeliver = await admin.post(action!, {});
    assert.equal(redeliver.statusCode, 303);
    await receiver.waitForAccepted(before + 1);
    const again = receiver.accepted().at(-1)!;
    assert.equal(again.type, eventType);
    assert.ok(
      receiver
        .accepted()
        .slice(0, before)
        .some((e) => e.id === again.id),
      'the same event, with the same id, so the receiver can tell it has it already',
    );

    const ping = await admin.post(`${endpointPath}/ping`, {});
    assert.equal(ping.statusCode, 303);
    await receiver.waitForAccepted(before + 2);
    assert.equal(receiver.accepted().at(-1)!.type, 'ping');
    const page = await admin.get(endpointPath);
    assert.match(page.body, /\(Sent again\)/);
    assert.match(page.body, /ping.*\(Test\)/);
  });

  it('turns a delivery that keeps failing into a visible failure, and then sends the next event', async () => {
    // Whatever the last test sent has arrived (a send that timed out on a slow machine is sent again).
    await outboxSettled(getDatabase().db, { retries: true });
    receiver.script.push('fail', 'fail', 'fail', 'fail', 'fail');
    const before = receiver.accepted().length;
    const report = await mailing().app.intake.submit({
      serviceCode: 'pothole',
      ...AT,
      description: 'Another one',
      answers: { danger: 'no', size: 'small' },
      reporter: { name: 'Sam Resident', email: 'sam@example.org' },
      channel: 'web',
    });
    const officer = await browserOf('officer');
    await officer.get(`/staff/cases/${report.case.reference}`);
    await officer.post(`/staff/cases/${report.case.reference}/update`, {
      status: 'in_progress',
      publicUpdate: '',
    });
    await receiver.waitForAccepted(before + 1);
    assert.equal(
      receiver.accepted().at(-1)!.type,
      'case.status_changed',
      'the next event went after the failure',
    );
    const failed = await getDatabase()
      .db.selectFrom('webhook_delivery')
      .select(['state', 'attempts'])
      .where('state', '=', 'failed')
      .execute();
    assert.deepEqual(failed, [{ state: 'failed', attempts: 5 }]);
    const admin = await browserOf('admin');
    assert.match((await admin.get(endpointPath)).body, />Failed</);
    assert.match((await admin.get('/admin/webhooks')).body, /govuk-table__cell--numeric">1</);
  });

  it('changes the events sent, turns the endpoint off, and replaces the secret', async () => {
    const admin = await browserOf('admin');
    await admin.get(`${endpointPath}/edit`);
    const off = await admin.post(`${endpointPath}/edit`, {
      name: 'Ashdown CRM',
      url: receiver.url,
      events: ['case.closed'],
      bodyCode: '',
      serviceCode: '',
    });
    assert.equal(off.statusCode, 303, off.body);
    const page = await admin.get(endpointPath);
    assert.match(page.body, /Off: not sending/);
    assert.match(page.body, /<dd class="govuk-summary-list__value">\s*case\.closed\s*<\/dd>/);
    const deliveries = async () =>
      Number(
        (
          await getDatabase()
            .db.selectFrom('webhook_delivery')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await deliveries();
    await mailing().app.intake.submit({
      serviceCode: 'pothole',
      ...AT,
      answers: { danger: 'no', size: 'small' },
      reporter: { name: 'Ali Resident', email: 'ali@example.org' },
      channel: 'web',
    });
    assert.equal(await deliveries(), before, 'an endpoint turned off gets nothing');

    const rolled = await admin.post(`${endpointPath}/secret`, {});
    assert.equal(rolled.statusCode, 200);
    const newSecret = /id="webhook-secret">(whsec_[A-Za-z0-9_-]+)</.exec(rolled.body)![1]!;
    assert.notEqual(newSecret, secret);
  });

  it('tells an endpoint for potholes that a case moved to street lights, and of priority changes', async () => {
    let potholeSecret = '';
    const potholes = await startReceiver(() => potholeSecret);
    try {
      const admin = await browserOf('admin');
      await admin.get('/admin/webhooks/new');
      const created = await admin.post('/admin/webhooks/new', {
        name: 'Highways system',
        url: potholes.url,
        events: ['case.rerouted', 'case.priority_changed'],
        bodyCode: council.body.code,
        serviceCode: 'pothole',
      });
      assert.equal(created.statusCode, 200, created.body);
      potholeSecret = /id="webhook-secret">(whsec_[A-Za-z0-9_-]+)</.exec(created.body)![1]!;

      const report = await mailing().app.intake.submit({
        serviceCode: 'pothole',
        ...AT,
        description: 'Not a pothole after all: the street light is out',
        answers: { danger: 'no', size: 'small' },
        reporter: { name: 'Lee Resident', email: 'lee@example.org' },
        channel: 'web',
      });
      const reference = report.case.reference;
      const officer = await browserOf('officer');
      await officer.get(`/staff/cases/${reference}`);
      assert.equal(
        (await officer.post(`/staff/cases/${reference}/priority`, { priority: 'high' })).statusCode,
        303,
      );
      // Highways, or the duty officer out of hours: whichever the routing chose.
      const { code: teamBefore } = await getDatabase()
        .db.selectFrom('cases')
        .innerJoin('team', 'team.id', 'cases.team_id')
        .select('team.code')
        .where('cases.reference', '=', reference)
        .executeTakeFirstOrThrow();
      const moved = await officer.post(`/staff/cases/${reference}/service`, { service: 'street-light' });
      assert.equal(moved.statusCode, 303, moved.body);
      // Now a street-light case: a later priority change is not this endpoint's business.
      const lead = await browserOf('team_lead');
      await lead.get(`/staff/cases/${reference}`);
      await lead.post(`/staff/cases/${reference}/priority`, { priority: 'urgent' });

      await potholes.waitForAccepted(2);
      await outboxSettled(getDatabase().db, { retries: true }); // a third would be in now
      const accepted = potholes.accepted();
      assert.deepEqual(
        accepted.map((e) => e.type),
        ['case.priority_changed', 'case.rerouted'],
      );
      assert.deepEqual(accepted[0]!.data.change, {
        from: 'normal',
        to: 'high',
        changed_by: { type: 'staff' },
      });
      assert.equal(accepted[0]!.data.case!.priority, 'high');
      assert.deepEqual(accepted[1]!.data.change, {
        from: { service: 'pothole', body: council.body.code, team: teamBefore },
        changed_by: { type: 'staff' },
      });
      const movedCase = accepted[1]!.data.case as unknown as {
        service: { code: string };
        team: { code: string };
      };
      assert.equal(movedCase.service.code, 'street-light', 'the case as it is now');
      assert.equal(movedCase.team.code, 'street-lighting');
      assert.ok(
        potholes.received.every((r) => r.answered === 'ok'),
        'signed with this endpoint’s secret',
      );
    } finally {
      await potholes.close();
    }
  });

  it('checks signatures: a good one passes, a changed body or an old timestamp does not', () => {
    const real = receiver.received.find((r) => r.answered === 'ok')!;
    const header = real.headers['civicdesk-signature'] as string;
    assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.equal(verifyWebhookSignature(secret, header, real.body).valid, true);
    assert.deepEqual(verifyWebhookSignature(secret, header, real.body.replace('pothole', 'potholf')), {
      valid: false,
      reason: 'mismatch',
    });
    assert.deepEqual(verifyWebhookSignature('whsec_someone-else', header, real.body), {
      valid: false,
      reason: 'mismatch',
    });
    // The same request played again ten minutes later is refused.
    assert.deepEqual(verifyWebhookSignature(secret, header, real.body, { now: Date.now() + 600_000 }), {
      valid: false,
      reason: 'too_old',
    });
    const old = signWebhook(secret, real.body, Math.floor(Date.now() / 1000) - 301);
    assert.deepEqual(verifyWebhookSignature(secret, old, real.body), { valid: false, reason: 'too_old' });
    assert.equal(verifyWebhookSignature(secret, old, real.body, { toleranceSeconds: 600 }).valid, true);
    assert.deepEqual(verifyWebhookSignature(secret, 'v1=abc', real.body), {
      valid: false,
      reason: 'malformed',
    });
    assert.deepEqual(verifyWebhookSignature(secret, undefined, real.body), {
      valid: false,
      reason: 'malformed',
    });
  });
});
