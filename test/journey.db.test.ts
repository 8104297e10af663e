/**
 * The resident's report journey without JavaScript, page by page over HTTP, on both engines: search a
 * place, choose it, choose the service, answer, describe, give details, check, send; then the
 * confirmation, a second submission that makes no second case, and a session that expired mid-form.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import sharp from 'sharp';
import { seedDemoCouncil } from '../src/demo/seed.js';
import { buildTestApp, TestBrowser, type TestApp } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';

function firstPlaceId(html: string): string {
  const id = /name="place" type="radio" value="([^"]+)"/.exec(html)?.[1];
  assert.ok(id, 'the search lists places to choose from');
  return id;
}

describeEachEngine('report journey without JavaScript', (getDatabase) => {
  let t: TestApp;
  before(async () => {
    await seedDemoCouncil(getDatabase().db);
    t = await buildTestApp(getDatabase(), { env: { CIVICDESK_REFERENCE_PREFIX: 'ASH' } });
  });
  after(() => t.close());

  it('takes a resident from the start page to a reference number, with one case however often they send', async () => {
    const browser = new TestBrowser(t.app);
    const start = await browser.get('/report');
    assert.match(start.body, /href="\/report\/start\?service=pothole"/);
    const chosen = await browser.get('/report/start?service=pothole');
    assert.equal(chosen.headers.location, '/report/where');
    await browser.get('/report/where');

    const empty = await browser.post('/report/where', { q: '' });
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body, /Enter a postcode, street or place/);

    const typo = await browser.get('/report/where?q=Ashdwn%20High%20Stret');
    assert.equal(typo.statusCode, 200);
    assert.match(typo.body, /Ashdown High Street/);
    const where = await browser.post('/report/where', {
      q: 'Ashdwn High Stret',
      place: firstPlaceId(typo.body),
    });
    assert.equal(where.statusCode, 303);
    // The service was chosen at the start, so the next question is whether it is already reported.
    const nearby = await browser.get(where.headers.location as string);
    assert.equal(nearby.statusCode, 303, 'nothing nearby: straight on');
    assert.equal(nearby.headers.location, '/report/questions');

    const questions = await browser.get('/report/questions');
    assert.match(questions.body, /Is it causing an immediate danger/);
    const missing = await browser.post('/report/questions', { danger: 'no' });
    assert.equal(missing.statusCode, 400);
    assert.match(missing.body, /<title>Error: /);
    assert.match(missing.body, /href="#answers-size"/, 'the error summary links to the question');
    const stop = await browser.post('/report/questions', { danger: 'yes', size: 'small' });
    assert.match(stop.body, /Do not report this online/);
    assert.match(stop.body, /Call 0100 000 0000 now/);
    assert.equal((await browser.post('/report/questions', { danger: 'no', size: 'large' })).statusCode, 303);

    await browser.get('/report/details');
    const details = await browser.post('/report/details', {
      description: 'A <script>alert(1)</script> deep hole',
      locationDetail: 'outside the bakery',
    });
    assert.equal(details.headers.location, '/report/photos', 'potholes take photos');

    // A photo with the camera's GPS position inside it: stored without it.
    const photosPage = await browser.get('/report/photos');
    const uploadAction = /<form method="post" action="([^"]+)" enctype="multipart\/form-data"/.exec(
      photosPage.body,
    )?.[1];
    assert.ok(uploadAction, 'the photos page has an upload form');
    const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#808080' } })
      .jpeg()
      .withExif({
        IFD0: { Make: 'PhoneCo', Model: 'Snapper 9' },
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '53/1 27/1 0/1' },
      })
      .toBuffer();
    const boundary = '----civicdesk-test-boundary';
    const multipart = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${browser.csrf}\r\n`),
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="IMG_0001.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
      ),
      jpeg,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const upload = await t.app.inject({
      method: 'POST',
      url: uploadAction.replace(/&amp;/g, '&'),
      headers: { cookie: browser.cookie!, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: multipart,
    });
    assert.equal(upload.statusCode, 303, upload.body);
    const notAPhoto = await t.app.inject({
      method: 'POST',
      url: uploadAction.replace(/&amp;/g, '&'),
      headers: { cookie: browser.cookie!, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="holiday.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
        ),
        Buffer.from('this is a text file pretending to be a photo'),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]),
    });
    assert.equal(notAPhoto.statusCode, 400);
    assert.match(notAPhoto.body, /The selected file must be a JPG, PNG, WebP or HEIC/);
    const withPhoto = await browser.get('/report/photos');
    const thumbnail = /<img src="(\/photos\/[^"]+\/thumbnail)"/.exec(withPhoto.body)?.[1];
    assert.ok(thumbnail, 'the uploaded photo is shown');
    const own = await t.app.inject({ method: 'GET', url: thumbnail, headers: { cookie: browser.cookie! } });
    assert.equal(own.statusCode, 200, 'the resident sees their own upload');
    assert.equal(
      (await t.app.inject({ method: 'GET', url: thumbnail })).statusCode,
      404,
      'nobody else does yet',
    );
    const photosDone = await browser.post('/report/photos', {});
    assert.equal(photosDone.headers.location, '/report/about-you');

    await browser.get('/report/about-you');
    const badEmail = await browser.post('/report/about-you', {
      name: 'Sam',
      email: 'sam@',
      flags: ['updates'],
    });
    assert.equal(badEmail.statusCode, 400);
    assert.match(badEmail.body, /Enter an email address in the correct format/);
    assert.match(badEmail.body, /value="sam@"/, 'what was typed is kept');
    const aboutYou = await browser.post('/report/about-you', {
      name: 'Sam Resident',
      email: 'sam@example.org',
      flags: ['updates'],
    });
    assert.equal(aboutYou.headers.location, '/report/check');

    const check = await browser.get('/report/check');
    assert.match(check.body, /Check your answers before sending your report/);
    assert.match(check.body, /Ashdown High Street/);
    assert.match(check.body, /Larger than a dinner plate/);
    assert.match(check.body, /A &lt;script&gt;alert\(1\)&lt;\/script&gt; deep hole/, 'HTML is shown as text');
    const sent = await browser.post('/report/check', {});
    assert.equal(sent.statusCode, 303);
    const reference = /\/report\/confirmation\/(ASH-\w{4}-\w{4})$/.exec(sent.headers.location as string)?.[1];
    assert.ok(reference, sent.headers.location as string);

    const confirmation = await browser.get(sent.headers.location as string);
    assert.equal(confirmation.statusCode, 200);
    assert.match(confirmation.body, new RegExp(`<strong>${reference}</strong>`));
    assert.match(confirmation.body, /We have sent a confirmation email to <strong>sam@example.org<\/strong>/);
    assert.match(confirmation.body, /Ashdown Borough Council \(fictional\)/);

    // The back button and a second click on "Send report": still one case.
    await browser.get('/report/check');
    const again = await browser.post('/report/check', {});
    assert.equal(again.headers.location, sent.headers.location);
    const cases = await getDatabase().db.selectFrom('cases').select('reference').execute();
    assert.deepEqual(
      cases.filter((c) => c.reference === reference),
      [{ reference }],
    );
    // The photo went with the case, without its location and camera details, and is public with it.
    const full = await t.app.inject({ method: 'GET', url: thumbnail.replace('/thumbnail', '/full') });
    assert.equal(full.statusCode, 200);
    const metadata = await sharp(full.rawPayload).metadata();
    assert.equal(metadata.exif, undefined, 'no EXIF: no GPS position, no camera make or model');
    // The receipt and the team's notice follow from case.created, queued with the case for the
    // subscriber that emails them (test/intake.db.test.ts runs it).
    const created = await getDatabase()
      .db.selectFrom('outbox_job')
      .select('payload')
      .where('kind', '=', 'case-event:notifications')
      .execute();
    assert.ok(
      created.some((j) => JSON.stringify(j.payload).includes('"case.created"')),
      'the resident’s emails were queued with the case',
    );

    // The tracking page opens for this browser without the email link.
    const track = await browser.get(`/track/${reference}`);
    assert.match(track.body, new RegExp(`<h1 class="govuk-heading-l">${reference}</h1>`));
  });

  it('offers open reports nearby before the form, and following one records it on that case', async () => {
    const first = new TestBrowser(t.app);
    const firstCase = await t.app.intake.submit({
      serviceCode: 'fly-tipping',
      lat: 53.4549,
      lon: -2.3451,
      description: 'Mattresses dumped by the park gate',
      answers: { waste_type: ['furniture'] },
      reporter: { name: 'First Reporter', email: 'first@example.org' },
      channel: 'web',
    });
    await first.get('/report/start?service=fly-tipping');
    const search = await first.get('/report/where?q=Ashdown%20Park');
    await first.post('/report/where', { q: 'Ashdown Park', place: firstPlaceId(search.body) });
    const nearby = await first.get('/report/nearby');
    assert.equal(nearby.statusCode, 200);
    assert.match(nearby.body, /Has it already been reported\?/);
    assert.match(nearby.body, /Mattresses dumped by the park gate/);
    assert.doesNotMatch(nearby.body, /First Reporter|first@example.org/);
    const follow = await first.post('/report/nearby', { action: `follow:${firstCase.case.reference}` });
    assert.equal(follow.headers.location, `/report/follow/${firstCase.case.reference}`);
    await first.get(follow.headers.location as string);
    const followed = await first.post(follow.headers.location as string, {
      name: 'Second Person',
      email: 'second@example.org',
    });
    assert.match(followed.body, new RegExp(`You are following report ${firstCase.case.reference}`));
    const followers = await getDatabase()
      .db.selectFrom('case_follower')
      .select('case_id')
      .where('case_id', '=', firstCase.case.id)
      .execute();
    assert.equal(followers.length, 1);
    const events = await getDatabase()
      .db.selectFrom('case_event')
      .select('kind')
      .where('case_id', '=', firstCase.case.id)
      .execute();
    assert.ok(events.some((e) => e.kind === 'followed'));
  });

  it('shows the page again with what was typed when the session expired mid-form, saving nothing', async () => {
    const browser = new TestBrowser(t.app);
    await browser.get('/report/start?service=pothole');
    const token = browser.csrf;
    await getDatabase().db.deleteFrom('session').execute(); // the session expires
    const response = await t.app.inject({
      method: 'POST',
      url: '/report/about-you',
      headers: { cookie: browser.cookie!, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        _csrf: token!,
        name: 'Kept Name',
        email: 'kept@example.org',
      }).toString(),
    });
    assert.notEqual(response.statusCode, 500);
    assert.notEqual(response.statusCode, 403);
    // No place chosen in the new session: the resident is taken to the first step, not shown an error.
    assert.ok([200, 303].includes(response.statusCode));
  });

  it('tells a resident whose place is outside the council who to contact instead', async () => {
    const browser = new TestBrowser(t.app);
    await browser.get('/report/start');
    await browser.get('/report/where');
    const outside = await browser.post('/report/where', { lat: '51.5', lon: '-0.12' });
    assert.equal(outside.statusCode, 400);
    assert.match(outside.body, /outside Ashdown/);
  });
});
