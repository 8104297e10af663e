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
import { demoAreas, demoCatalogue, demoStaff } from './demo-council.js';

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
  });
  return credentials;
}
