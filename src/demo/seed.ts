/**
 * Loads the fictional demo council into an empty database: its catalogue (through the same import an
 * admin uses), its areas and one staff user per role. Staff passwords are random per installation and
 * returned to the caller to print: there are no default passwords.
 */
import crypto from 'node:crypto';
import { hash } from '@node-rs/argon2';
import type { Kysely } from 'kysely';
import type { Database, StaffRole } from '../db/database.js';
import { buildDomain } from '../domain.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoAreas, demoCatalogue, demoPlaces, demoStaff, demoStreets } from './demo-council.js';

export interface DemoCredential {
  role: StaffRole;
  email: string;
  password: string;
}

export async function isEmpty(db: Kysely<Database>): Promise<boolean> {
  const row = await db.selectFrom('body').select('id').limit(1).executeTakeFirst();
  return row === undefined;
}

/** Returns undefined (and changes nothing) if the database already has a council. */
export async function seedDemoCouncil(db: Kysely<Database>): Promise<DemoCredential[] | undefined> {
  if (!(await isEmpty(db))) return undefined;

  const credentials: DemoCredential[] = demoStaff.map((person) => ({
    role: person.role,
    email: person.email,
    password: crypto.randomBytes(12).toString('base64url'),
  }));
  // @node-rs/argon2 hashes with argon2id by default.
  const hashes = await Promise.all(credentials.map((c) => hash(c.password)));

  const domain = buildDomain(db);
  await domain.catalogue.import(demoCatalogue);

  await db.transaction().execute(async (trx) => {
    const bodies = await domain.organisations.bodies(trx);
    const teams = await domain.organisations.teams(trx);
    const bodyId = (code: string) => bodies.find((b) => b.code === code)!.id;
    for (const area of demoAreas) {
      const lons = area.ring.map((p) => p[0]);
      const lats = area.ring.map((p) => p[1]);
      await trx
        .insertInto('area')
        .values({
          kind: area.kind,
          code: area.code,
          name: area.name,
          body_id: area.body ? bodyId(area.body) : null,
          geometry: JSON.stringify({ type: 'Polygon', coordinates: [area.ring] }),
          min_lon: Math.min(...lons),
          min_lat: Math.min(...lats),
          max_lon: Math.max(...lons),
          max_lat: Math.max(...lats),
        })
        .execute();
    }
    for (const [i, person] of demoStaff.entries()) {
      await trx
        .insertInto('staff_user')
        .values({
          email: person.email,
          name: person.name,
          role: person.role,
          password_hash: hashes[i]!,
          body_id: bodyId('ashdown'),
          team_id: person.team ? teams.find((t) => t.code === person.team)!.id : null,
        })
        .execute();
    }
    await trx.insertInto('response_template').values(demoResponseTemplates).execute();
  });
  await seedDemoPlaces(domain);
  return credentials;
}

/** Words officers start public updates from (Administration → Response templates). */
const demoResponseTemplates = [
  {
    name: 'Inspection booked',
    sets_status: 'in_progress' as const,
    body: 'Thank you for reporting this. One of our inspectors will look at it by {{due_date}} and decide what needs doing. We will update you here when they have.\n\n{{officer_name}}, {{council}}',
  },
  {
    name: 'Repair booked',
    sets_status: 'action_scheduled' as const,
    body: 'We have inspected the problem at {{location}} and booked a repair. Our crew will fix it as soon as they can; we will tell you when it is done.\n\n{{officer_name}}, {{council}}',
  },
  {
    name: 'Fixed',
    sets_status: 'fixed' as const,
    body: 'Our crew fixed the problem you reported ({{reference}}) on {{today}}. Thank you for telling us. If it comes back, report it again and quote {{reference}}.\n\n{{officer_name}}, {{council}}',
  },
  {
    name: 'Not ours: passed on',
    sets_status: 'not_responsible' as const,
    body: 'This is not something {{council}} looks after, so we have passed your report to the organisation that does. They will contact you if they need more details.\n\n{{officer_name}}, {{council}}',
  },
];

/** The demo's place search, loaded through the same CSV import a council uses for its own data. */
async function seedDemoPlaces(domain: ReturnType<typeof buildDomain>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'civicdesk-demo-'));
  try {
    const streets = path.join(dir, 'streets.csv');
    const rows = demoStreets.flatMap((street) =>
      Array.from({ length: 6 }, (_, i) => {
        const t = i / 5;
        const lon = street.from[0] + (street.to[0] - street.from[0]) * t;
        const lat = street.from[1] + (street.to[1] - street.from[1]) * t;
        return `"${street.name}","${street.locality}",${lon.toFixed(6)},${lat.toFixed(6)}`;
      }),
    );
    fs.writeFileSync(streets, `street,locality,lon,lat\n${rows.join('\n')}\n`);
    await domain.gazetteer.importStreets(streets, { nameField: 'street', localityField: 'locality' });
    const places = path.join(dir, 'places.csv');
    fs.writeFileSync(
      places,
      `name,locality,lon,lat\n${demoPlaces.map((p) => `"${p.name}","${p.locality}",${p.at[0]},${p.at[1]}`).join('\n')}\n`,
    );
    await domain.gazetteer.importPlaces(places, { nameField: 'name', localityField: 'locality' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
