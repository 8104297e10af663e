/**
 * The benchmarks' case generator (bench/lib/case-generator.ts), kept working by CI: a couple of thousand
 * cases over the real Trafford wards, checked for counts, spread, unique well-formed references and
 * timelines, and shown to an officer in the queue and on the case page.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { generateCases, traffordPoints } from '../bench/lib/case-generator.js';
import { seedDemoCouncil, type DemoCredential } from '../src/demo/seed.js';
import { isWellFormedReference } from '../src/lib/reference.js';
import { buildTestApp, TestBrowser, type TestApp } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TRAFFORD_DIR = process.env.CIVICDESK_TEST_TRAFFORD_DIR || path.join(ROOT, '../shared/data/trafford');
const COUNT = 2000;

describeEachEngine('case generator', (getDatabase) => {
  let t: TestApp;
  let credentials: DemoCredential[];

  before(async () => {
    credentials = (await seedDemoCouncil(getDatabase().db))!;
    t = await buildTestApp(getDatabase());
  });
  after(async () => {
    await t?.close();
  });

  it('makes the cases, contacts and timelines asked for, deterministically', async () => {
    const { db } = getDatabase();
    const result = await generateCases(db, {
      count: COUNT,
      seed: 7,
      chunkSize: 700,
      traffordDir: TRAFFORD_DIR,
    });
    assert.equal(result.cases, COUNT);
    const counts = await sql<{ cases: string; references: string; contacts: string; reporters: string }>`
      select count(*) as cases, count(distinct reference) as references,
             (select count(*) from contact) as contacts, count(distinct reporter_contact_id) as reporters
      from cases`.execute(db);
    const row = counts.rows[0]!;
    assert.equal(Number(row.cases), COUNT);
    assert.equal(Number(row.references), COUNT, 'every reference is unique');
    assert.equal(Number(row.contacts), Math.floor(COUNT / 3));
    // Repeat callers: fewer reporters than cases, but most contacts have reported something.
    assert.ok(Number(row.reporters) < COUNT * 0.6 && Number(row.reporters) > COUNT / 3 / 2, row.reporters);

    const references = await db.selectFrom('cases').select('reference').execute();
    assert.ok(references.every((r) => isWellFormedReference(r.reference) && r.reference.startsWith('ASH-')));

    // 2–4 events per case, starting with "created".
    const events = await sql<{ min: number; max: number; created: string }>`
      select min(n)::int as min, max(n)::int as max, sum(created)::text as created from (
        select count(*) as n, count(*) filter (where kind = 'created') as created from case_event group by case_id) e`.execute(
      db,
    );
    assert.deepEqual(events.rows[0], { min: 2, max: 4, created: String(COUNT) });
    assert.equal(
      result.events,
      Number((await sql<{ n: string }>`select count(*) as n from case_event`.execute(db)).rows[0]!.n),
    );

    // Mostly closed; some open; every case has a service, a team and a due date.
    const mix = await sql<{ open: string; teamless: string; undue: string; services: string }>`
      select count(*) filter (where closed_at is null) as open, count(*) filter (where team_id is null) as teamless,
             count(*) filter (where due_at is null) as undue, count(distinct service_id) as services from cases`.execute(
      db,
    );
    const open = Number(mix.rows[0]!.open);
    assert.ok(open > 0 && open < COUNT * 0.3, `open: ${open}`);
    assert.equal(Number(mix.rows[0]!.teamless), 0);
    assert.equal(Number(mix.rows[0]!.undue), 0);
    assert.equal(Number(mix.rows[0]!.services), 5);
  });

  it('spreads the cases over every Trafford ward, each at a point of that ward', async () => {
    const { db } = getDatabase();
    const points = traffordPoints(TRAFFORD_DIR);
    const wardOf = new Map(points.map((p) => [`${p.lat},${p.lon}`, p.wardCode]));
    const wards = new Set(points.map((p) => p.wardCode));
    assert.equal(wards.size, 21);
    const rows = await db.selectFrom('cases').select(['lat', 'lon', 'areas']).execute();
    const seen = new Map<string, number>();
    for (const row of rows) {
      const ward = (row.areas as { kind: string; code: string }[]).find((a) => a.kind === 'ward')!;
      assert.equal(wardOf.get(`${row.lat},${row.lon}`), ward.code, 'the ward stored is the point’s ward');
      seen.set(ward.code, (seen.get(ward.code) ?? 0) + 1);
    }
    assert.deepEqual([...seen.keys()].sort(), [...wards].sort());
    // Postcodes are spread unevenly over wards, but none is left nearly empty.
    assert.ok(Math.min(...seen.values()) > COUNT / 21 / 4, JSON.stringify([...seen]));
  });

  it('shows them to the demo officer in the queue, the ward filter and the case page', async () => {
    const { db } = getDatabase();
    const officer = credentials.find((c) => c.role === 'officer')!;
    const browser = new TestBrowser(t.app);
    await browser.signIn(officer.email, officer.password);

    const all = await browser.get('/staff/cases?view=all');
    assert.equal(all.statusCode, 200);
    // 2,000 cases: counts stop at 1,000 (counting a million rows for a tab is not worth it).
    assert.match(all.body, /All \(1,000\+\)/, 'the All tab says there are more than 1,000');
    assert.match(all.body, /1 to 50 of more than 1,000/);
    const shown = all.body.match(/ASH-[2-9A-Z]{4}-[2-9A-Z]{4}/g) ?? [];
    assert.ok(new Set(shown).size >= 50, `${new Set(shown).size} references on the first page`);

    const open = await browser.get('/staff/cases?view=team&service=pothole&status=open');
    assert.equal(open.statusCode, 200);
    const expected = await sql<{ reference: string }>`
      select c.reference from cases c join service s on s.id = c.service_id join staff_user u on u.team_id = c.team_id
      where u.email = ${officer.email} and s.code = 'pothole' and c.closed_at is null
      order by c.due_at asc nulls last, c.created_at desc limit 1`.execute(db);
    assert.ok(expected.rows[0], 'there are open pothole cases for the officer’s team');
    assert.ok(open.body.includes(expected.rows[0].reference));

    const ward = await db
      .selectFrom('cases')
      .select(sql<string>`areas->1->>'code'`.as('code'))
      .limit(1)
      .executeTakeFirstOrThrow();
    const inWard = await browser.get(`/staff/cases?view=all&ward=${ward.code}`);
    assert.equal(inWard.statusCode, 200);
    assert.ok((inWard.body.match(/ASH-[2-9A-Z]{4}-[2-9A-Z]{4}/g) ?? []).length > 0);

    const page = await browser.get(`/staff/cases/${shown[0]}`);
    assert.equal(page.statusCode, 200);
    assert.ok(page.body.includes(shown[0]!));
  });
});
