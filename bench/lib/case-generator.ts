/**
 * Generates N realistic cases for the demo council straight into PostgreSQL, for benchmarks of the back
 * office at scale (and any other benchmark that needs a large, old case table).
 *
 *   npx tsx bench/lib/case-generator.ts --count 100000 --database-url postgres://postgres@127.0.0.1:5432/x
 *       [--seed 1] [--chunk 100000] [--trafford-dir ../shared/data/trafford] [--prefix ASH]
 *
 * The database must be migrated and hold the demo council (`seedDemoCouncil`): the cases belong to its
 * body, services, teams and staff. Their points are the real Trafford postcode centroids (each lies inside
 * its ward), and each case stores its ward in `areas` as the intake does ({kind, code, name}).
 *
 * Set-based: every chunk is one `insert ... select ... from generate_series(...)` that also writes the
 * cases' timeline events (a data-modifying CTE), so a million cases take minutes, not hours. Every
 * "random" choice is a hash of the case's number and the seed (hashint8extended), so the same seed gives
 * the same cases. Mix: 5 demo services (pothole the most), 85% of cases closed (but most of the last two
 * months open), created over the last 3 years, priorities, channels, assignees of the service's team,
 * due dates from the service's timescale, one contact per three cases (repeat callers), 2–4 events each.
 *
 * References are well-formed and unique within a run: the case number goes through a bijection of
 * 0..30^8−1 (multiplication by a prime that does not divide 30^8, plus a seeded offset) and is written in
 * the reference alphabet. PostgreSQL-specific SQL (it also runs on PGlite, but slowly).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/database.js';
import { REFERENCE_ALPHABET } from '../../src/lib/reference.js';

export interface GenerateOptions {
  count: number;
  seed?: number;
  /** Cases per statement (memory and WAL per statement; progress is reported per chunk). */
  chunkSize?: number;
  /** The Trafford data folder (trafford_postcodes.csv). */
  traffordDir?: string;
  prefix?: string;
  /** Cases are created up to this moment, over the three years before it. */
  now?: Date;
  onProgress?: (done: number, total: number) => void;
}

export interface GenerateResult {
  cases: number;
  contacts: number;
  events: number;
  wards: number;
  ms: number;
}

export function defaultTraffordDir(): string {
  return (
    process.env.CIVICDESK_TRAFFORD_DIR ??
    process.env.CIVICDESK_TEST_TRAFFORD_DIR ??
    path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/data/trafford')
  );
}

interface Point {
  postcode: string;
  wardCode: string;
  wardName: string;
  lat: number;
  lon: number;
}

/** Postcode centroids with their ward, from the Trafford postcode file (a simple CSV: no quoted commas). */
export function traffordPoints(dir: string): Point[] {
  const lines = fs.readFileSync(path.join(dir, 'trafford_postcodes.csv'), 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const col = (name: string) => header.indexOf(name);
  const [pc, wc, wn, lat, lon] = ['postcode', 'ward_code', 'ward_name', 'lat', 'lon'].map(col);
  return lines
    .slice(1)
    .map((line) => line.split(','))
    .map((f) => ({
      postcode: f[pc!]!,
      wardCode: f[wc!]!,
      wardName: f[wn!]!,
      lat: Number(f[lat!]),
      lon: Number(f[lon!]),
    }))
    .filter((p) => p.wardCode && Number.isFinite(p.lat) && Number.isFinite(p.lon));
}

/** Weighted choices as arrays of ten slots, so a choice is `slots[1 + floor(r * 10)]` in SQL. */
const SERVICE_SLOTS = [
  'pothole',
  'pothole',
  'pothole',
  'pothole',
  'street-light',
  'street-light',
  'fly-tipping',
  'fly-tipping',
  'missed-bin',
  'speeding',
];
const DESCRIPTIONS = [
  'Deep hole by the kerb, cars swerving round it',
  'Has been like this for a couple of weeks now',
  'Right outside the bus stop',
  'Getting worse after the rain',
  'Light has been out since last Tuesday',
  'Bags dumped behind the garages again',
  'Sofa and a mattress left on the verge',
  'Bin not collected on our street this week',
  'Cars racing past the school at home time',
  'Near the junction, hard to see at night',
  '',
  '',
];

export async function generateCases(db: Kysely<Database>, options: GenerateOptions): Promise<GenerateResult> {
  const started = performance.now();
  const count = options.count;
  const seed = options.seed ?? 1;
  const chunkSize = options.chunkSize ?? 100_000;
  const prefix = options.prefix ?? 'ASH';
  const now = options.now ?? new Date();
  const points = traffordPoints(options.traffordDir ?? defaultTraffordDir());

  const body = await db
    .selectFrom('body')
    .select('id')
    .where('code', '=', 'ashdown')
    .executeTakeFirstOrThrow(() => new Error('Seed the demo council first (seedDemoCouncil)'));
  const services = await db
    .selectFrom('service')
    .leftJoin('team', (join) =>
      join.on('team.body_id', '=', body.id).on(sql`team.code`, '=', sql`service.definition->>'defaultTeam'`),
    )
    .select(['service.id', 'service.code', 'team.id as team_id'])
    .execute();
  const serviceOf = (code: string) => {
    const s = services.find((x) => x.code === code);
    if (!s) throw new Error(`The demo service ${code} is missing`);
    return s;
  };
  const staff = await db
    .selectFrom('staff_user')
    .select(['id', 'team_id'])
    .where('body_id', '=', body.id)
    .where('role', 'in', ['officer', 'team_lead'])
    .orderBy('email')
    .execute();
  // Team id → the people who may be assigned its cases.
  const assignees: Record<string, string[]> = {};
  for (const s of staff) if (s.team_id) (assignees[s.team_id] ??= []).push(s.id);

  // The points, as a temporary table numbered from 0 (so a case picks one by `hash % count`).
  await sql`drop table if exists bench_point`.execute(db);
  await sql`create unlogged table bench_point (i int primary key, postcode text, ward_code text, ward_name text, lat float8, lon float8)`.execute(
    db,
  );
  await sql`insert into bench_point
    select ordinality - 1, postcode, ward_code, ward_name, lat, lon
    from unnest(${points.map((p) => p.postcode)}::text[], ${points.map((p) => p.wardCode)}::text[],
                ${points.map((p) => p.wardName)}::text[], ${points.map((p) => p.lat)}::float8[],
                ${points.map((p) => p.lon)}::float8[])
      with ordinality as t(postcode, ward_code, ward_name, lat, lon)`.execute(db);

  // Repeat callers: one contact for every three cases. Ids are derived from the seed and number, so the
  // cases can name their reporter without a join.
  const contacts = Math.max(1, Math.floor(count / 3));
  for (let start = 0; start < contacts; start += chunkSize) {
    const end = Math.min(contacts, start + chunkSize) - 1;
    await sql`insert into contact (id, name, email, email_normalised, phone, created_at, updated_at)
      select md5('bench-contact-' || ${seed}::int || '-' || n)::uuid,
             'Resident ' || n,
             'resident-' || ${seed}::int || '-' || n || '@bench.example',
             'resident-' || ${seed}::int || '-' || n || '@bench.example',
             case when n % 3 = 0 then '0161 ' || lpad((n % 10000000)::text, 7, '0') end,
             ${now}::timestamptz - interval '3 years', ${now}::timestamptz - interval '3 years'
      from generate_series(${start}::int, ${end}::int) as n`.execute(db);
  }

  const timescaleDays: Record<string, number> = {
    pothole: 7,
    'street-light': 10,
    'fly-tipping': 5,
    'missed-bin': 3,
    speeding: 20,
  };
  const slots = SERVICE_SLOTS.map(serviceOf);
  let events = 0;
  for (let start = 0; start < count; start += chunkSize) {
    const end = Math.min(count, start + chunkSize) - 1;
    // r(k): a uniform number in [0, 1) for this case and purpose k, the same for the same seed.
    const r = (k: number) =>
      sql.raw(`((hashint8extended(n, ${seed * 64 + k}) & 2147483647)::float8 / 2147483648)`);
    const result = await sql<{ n: string }>`
      with g as (
        select n,
               md5('bench-case-' || ${seed}::int || '-' || n)::uuid as id,
               -- The bijection: 2654435761 is prime and 30^8 = 656100000000.
               (n::bigint * 2654435761 + ${seed}::bigint * 7919) % 656100000000 as ref,
               1 + floor(${r(1)} * 10)::int as slot,
               ${r(2)} as r_status, ${r(3)} as r_status_kind, ${r(4)} as r_priority, ${r(5)} as r_channel,
               ${r(6)} as r_assign, ${r(7)} as r_contact, ${r(8)} as r_close,
               floor(${r(9)} * ${DESCRIPTIONS.length})::int + 1 as description,
               floor(${r(10)} * ${points.length})::int as point,
               ${now}::timestamptz - (${r(11)} * interval '1095 days') as created_at,
               ${r(12)} as r_events
        from generate_series(${start}::int, ${end}::int) as n
      ),
      h as (
        select g.*,
               (${slots.map((s) => s.id)}::uuid[])[slot] as service_id,
               (${slots.map((s) => s.team_id)}::uuid[])[slot] as team_id,
               (${slots.map((s) => timescaleDays[s.code] ?? 10)}::int[])[slot] as days,
               -- Most of the last two months' cases are still open; almost all older ones are closed.
               r_status < case when created_at > ${now}::timestamptz - interval '60 days' then 0.6 else 0.03 end as open
        from g
      ),
      c as (
        select h.*,
               case when open then
                 case when r_status_kind < 0.35 then 'received' when r_status_kind < 0.75 then 'in_progress' else 'action_scheduled' end
               else
                 case when r_status_kind < 0.65 then 'fixed' when r_status_kind < 0.79 then 'closed_not_fixed'
                      when r_status_kind < 0.89 then 'not_responsible' when r_status_kind < 0.96 then 'duplicate' else 'cancelled' end
               end as status,
               case when open then null
                    else least(${now}::timestamptz, created_at + r_close * days * 2 * interval '1 day') end as closed_at
        from h
      ),
      inserted as (
        insert into cases (id, reference, service_id, body_id, team_id, status, channel, description, answers,
                           lat, lon, location_description, areas, routing, due_at, reporter_contact_id,
                           updates_by_email, tracking_token_hash, closed_at, created_at, updated_at,
                           assignee_staff_id, priority)
        select c.id,
               ${prefix}::text || '-' ||
                 (select string_agg(substr(${REFERENCE_ALPHABET}::text, ((c.ref / (30::bigint ^ k)::bigint) % 30)::int + 1, 1), '' order by k desc)
                    from generate_series(4, 7) as k) || '-' ||
                 (select string_agg(substr(${REFERENCE_ALPHABET}::text, ((c.ref / (30::bigint ^ k)::bigint) % 30)::int + 1, 1), '' order by k desc)
                    from generate_series(0, 3) as k),
               c.service_id, ${body.id}::uuid, c.team_id, c.status,
               case when r_channel < 0.6 then 'web' when r_channel < 0.8 then 'phone' when r_channel < 0.88 then 'email'
                    when r_channel < 0.95 then 'api' when r_channel < 0.97 then 'visit' when r_channel < 0.98 then 'letter'
                    else 'open311' end,
               (${DESCRIPTIONS}::text[])[c.description],
               '{}'::jsonb,
               p.lat, p.lon, 'Near ' || p.postcode,
               jsonb_build_array(
                 jsonb_build_object('kind', 'council', 'code', 'E08000009', 'name', 'Trafford'),
                 jsonb_build_object('kind', 'ward', 'code', p.ward_code, 'name', p.ward_name)),
               jsonb_build_object('decidedBy', 'service default', 'generated', true),
               c.created_at + c.days * interval '1 day',
               case when r_contact < 0.92
                    then md5('bench-contact-' || ${seed}::int || '-' || (hashint8extended(c.n, ${seed * 64 + 13}) & 2147483647) % ${contacts}::int)::uuid end,
               r_contact < 0.6,
               md5('bench-token-' || c.id::text),
               c.closed_at, c.created_at, coalesce(c.closed_at, c.created_at),
               case when r_assign < 0.7
                    then ((${JSON.stringify(assignees)}::jsonb -> c.team_id::text)
                          ->> floor(r_assign / 0.7 * coalesce(jsonb_array_length(${JSON.stringify(assignees)}::jsonb -> c.team_id::text), 0))::int)::uuid end,
               case when r_priority < 0.08 then 'low' when r_priority < 0.83 then 'normal'
                    when r_priority < 0.97 then 'high' else 'urgent' end
        from c join bench_point p on p.i = c.point
        returning id, status, created_at, closed_at, assignee_staff_id, reporter_contact_id, channel
      ),
      e as (
        insert into case_event (case_id, kind, is_public, body, data, actor, actor_staff_id, created_at)
        select i.id, ev.kind, ev.is_public, ev.body, ev.data, ev.actor, ev.actor_staff_id, ev.created_at
        from inserted i
        cross join lateral (values
          (1, 'created', true, 'Reported ' || case i.channel when 'phone' then 'by phone' else 'online' end,
           jsonb_build_object('channel', i.channel), case i.channel when 'phone' then 'staff' else 'resident' end,
           null::uuid, i.created_at),
          (2, 'routed', true, 'Sent to the service''s team', '{}'::jsonb, 'system', null::uuid, i.created_at),
          (3, 'assigned', false, 'Assigned', '{}'::jsonb, 'staff', i.assignee_staff_id, i.created_at + interval '2 hours'),
          (4, 'status_changed', true, 'Status changed', jsonb_build_object('from', 'received', 'to', i.status), 'staff',
           i.assignee_staff_id, coalesce(i.closed_at, i.created_at + interval '1 day'))
        ) as ev(step, kind, is_public, body, data, actor, actor_staff_id, created_at)
        where ev.step <= 2
           or (ev.step = 3 and i.assignee_staff_id is not null)
           or (ev.step = 4 and i.status <> 'received')
        returning 1
      )
      select count(*)::text as n from e`.execute(db);
    events += Number(result.rows[0]!.n);
    options.onProgress?.(end + 1, count);
  }
  await sql`drop table bench_point`.execute(db);
  const wards = new Set(points.map((p) => p.wardCode)).size;
  return { cases: count, contacts, events, wards, ms: performance.now() - started };
}

// ---------------------------------------------------------------------------------------------------------
// CLI

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '1' },
      chunk: { type: 'string', default: '100000' },
      'database-url': { type: 'string' },
      'trafford-dir': { type: 'string' },
      prefix: { type: 'string', default: 'ASH' },
      'seed-demo': { type: 'boolean', default: false },
    },
  });
  const url = values['database-url'] ?? process.env.DATABASE_URL;
  if (!url) throw new Error('Give --database-url (a migrated PostgreSQL database with the demo council)');
  const { openDatabase } = await import('../../src/db/connect.js');
  const database = await openDatabase({ engine: 'postgres', url, poolSize: 2 });
  try {
    if (values['seed-demo']) {
      const { migrateToLatest } = await import('../../src/db/migrate.js');
      const { seedDemoCouncil } = await import('../../src/demo/seed.js');
      await migrateToLatest(database.db);
      await seedDemoCouncil(database.db);
    }
    const result = await generateCases(database.db, {
      count: Number(values.count),
      seed: Number(values.seed),
      chunkSize: Number(values.chunk),
      prefix: values.prefix,
      ...(values['trafford-dir'] ? { traffordDir: values['trafford-dir'] } : {}),
      onProgress: (done, total) =>
        process.stderr.write(`\r${done.toLocaleString('en-GB')} / ${total.toLocaleString('en-GB')} cases`),
    });
    process.stderr.write('\n');
    await sql`analyze`.execute(database.db);
    console.log(
      `${result.cases} cases, ${result.contacts} contacts, ${result.events} events over ${result.wards} wards in ${(result.ms / 1000).toFixed(1)} s`,
    );
  } finally {
    await database.close();
  }
}
