/**
 * Staff identity: who is signed in and what they may do. Passwords are argon2id hashes. This is the
 * first slice; the back-office work adds the second factor, lockout, password reset and OpenID Connect.
 */
import { hash, verify } from '@node-rs/argon2';
import type { Kysely } from 'kysely';
import type { Database, StaffRole } from '../../db/database.js';
import * as repo from './staff.repository.js';

export interface StaffUser {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  bodyId: string;
  teamId: string | null;
}

export const ROLE_LABELS: Record<StaffRole, string> = {
  agent: 'Contact-centre agent',
  officer: 'Officer',
  team_lead: 'Team lead',
  admin: 'Administrator',
};

// Verifying against this when the email is unknown makes "no such user" take as long as "wrong
// password", so response times do not reveal which addresses have accounts.
const DUMMY_HASH = hash('civicdesk-no-such-user');

function toStaffUser(row: repo.StaffRow): StaffUser {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    bodyId: row.body_id,
    teamId: row.team_id,
  };
}

export class StaffService {
  constructor(private readonly db: Kysely<Database>) {}

  async authenticate(email: string, password: string): Promise<StaffUser | undefined> {
    const row = await repo.findStaffByEmail(this.db, email);
    if (!row || !row.password_hash || row.disabled_at) {
      await verify(await DUMMY_HASH, password).catch(() => false);
      return undefined;
    }
    const ok = await verify(row.password_hash, password).catch(() => false);
    return ok ? toStaffUser(row) : undefined;
  }

  async byId(id: string): Promise<StaffUser | undefined> {
    const row = await repo.findStaffById(this.db, id);
    return row && !row.disabled_at ? toStaffUser(row) : undefined;
  }
}
