/**
 * Adds a member of staff with a password: what `civicdesk staff create` does once it has checked its
 * arguments, and what tests use to make the staff they sign in as (test/helpers/factories.ts), so both
 * follow the same rules. Admins invite people by email instead (StaffAdminService.invite).
 */
import { hash } from '@node-rs/argon2';
import type { Kysely } from 'kysely';
import type { Database, StaffRole } from '../../db/database.js';
import type { Body, OrganisationsService, Team } from '../organisations/index.js';
import { insertStaff } from './staff.repository.js';

export interface NewStaffAccount {
  /** Lower case, trimmed: the sign-in. */
  email: string;
  name: string;
  role: StaffRole;
  bodyCode: string;
  teamCode?: string;
  password: string;
}

export type CreateStaffOutcome =
  | { outcome: 'created'; id: string; body: Body; team: Team | undefined }
  | { outcome: 'refused'; reason: 'no_body' | 'no_team' | 'email_taken'; message: string };

export async function createStaffAccount(
  db: Kysely<Database>,
  organisations: OrganisationsService,
  account: NewStaffAccount,
): Promise<CreateStaffOutcome> {
  const body = await organisations.body(account.bodyCode);
  if (!body)
    return { outcome: 'refused', reason: 'no_body', message: `there is no body "${account.bodyCode}"` };
  const team = account.teamCode !== undefined ? await organisations.team(body, account.teamCode) : undefined;
  if (account.teamCode !== undefined && !team)
    return {
      outcome: 'refused',
      reason: 'no_team',
      message: `${body.name} has no team "${account.teamCode}"`,
    };
  // @node-rs/argon2 hashes with argon2id by default.
  const id = await insertStaff(db, {
    email: account.email,
    name: account.name,
    role: account.role,
    body_id: body.id,
    team_id: team?.id ?? null,
    password_hash: await hash(account.password),
  });
  if (!id) {
    return {
      outcome: 'refused',
      reason: 'email_taken',
      message: `There is already a member of staff with the email ${account.email}.`,
    };
  }
  return { outcome: 'created', id, body, team };
}
