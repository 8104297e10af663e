/**
 * Loads the fictional demo council into an empty database, in one transaction. Staff passwords are
 * random per installation and returned to the caller to print: there are no default passwords.
 */
import crypto from 'node:crypto';
import { hash } from '@node-rs/argon2';
import type { Kysely } from 'kysely';
import type { Database, StaffRole } from '../db/database.js';
import { demoAreas, demoBodies, demoServices, demoStaff, demoTeams } from './demo-council.js';

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

  const credentials: DemoCredential[] = await Promise.all(
    demoStaff.map(async (person) => ({
      role: person.role,
      email: person.email,
      password: crypto.randomBytes(12).toString('base64url'),
    })),
  );
  // @node-rs/argon2 hashes with argon2id by default.
  const hashes = await Promise.all(credentials.map((c) => hash(c.password)));

  await db.transaction().execute(async (trx) => {
    const bodyIds = new Map<string, string>();
    for (const body of demoBodies) {
      const row = await trx.insertInto('body').values(body).returning('id').executeTakeFirstOrThrow();
      bodyIds.set(body.code, row.id);
    }
    const teamIds = new Map<string, string>();
    for (const team of demoTeams) {
      const row = await trx
        .insertInto('team')
        .values({ body_id: bodyIds.get(team.body)!, code: team.code, name: team.name, email: team.email })
        .returning('id')
        .executeTakeFirstOrThrow();
      teamIds.set(team.code, row.id);
    }
    for (const area of demoAreas) {
      const lons = area.ring.map((p) => p[0]);
      const lats = area.ring.map((p) => p[1]);
      await trx
        .insertInto('area')
        .values({
          kind: area.kind,
          code: area.code,
          name: area.name,
          body_id: area.body ? bodyIds.get(area.body)! : null,
          geometry: JSON.stringify({ type: 'Polygon', coordinates: [area.ring] }),
          min_lon: Math.min(...lons),
          min_lat: Math.min(...lats),
          max_lon: Math.max(...lons),
          max_lat: Math.max(...lats),
        })
        .execute();
    }
    for (const service of demoServices) {
      const row = await trx
        .insertInto('service')
        .values({
          code: service.code,
          name: service.name,
          group_name: service.group,
          description: service.description,
          keywords: service.keywords,
          definition: JSON.stringify({
            questions: service.questions,
            timescale: { workingDays: service.targetWorkingDays },
            defaultTeam: service.team,
            whatHappensNext: service.whatHappensNext,
          }),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      for (const body of service.bodies) {
        await trx
          .insertInto('service_body')
          .values({ service_id: row.id, body_id: bodyIds.get(body)! })
          .execute();
      }
    }
    for (const [i, person] of demoStaff.entries()) {
      await trx
        .insertInto('staff_user')
        .values({
          email: person.email,
          name: person.name,
          role: person.role,
          password_hash: hashes[i]!,
          body_id: bodyIds.get('ashdown')!,
          team_id: person.team ? teamIds.get(person.team)! : null,
        })
        .execute();
    }
  });
  return credentials;
}
