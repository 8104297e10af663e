/**
 * Staff accounts as administrators manage them (the pages under /admin/people): the list, adding a
 * person by invitation, changing their name, role, body and team, disabling and re-enabling an account,
 * lifting a lock, resetting two-step verification and sending a password reset link.
 *
 * Every change is written to the audit trail in the same transaction as the change itself, with who
 * made it and from where, so the trail cannot miss a change nor record one that did not happen.
 * An administrator cannot disable their own account or take away their own admin role: an installation
 * must not be left without anyone able to manage it by a slip of the hand.
 */
import type { Kysely } from 'kysely';
import type { Database, StaffRole } from '../../db/database.js';
import type { Jobs } from '../../infra/jobs/jobs.js';
import { enqueueEmail } from '../../infra/mailer/email.jobs.js';
import type { Body, OrganisationsService, Team } from '../organisations/index.js';
import { twoFactorChangedEmail } from './staff-emails.js';
import * as repo from './staff.repository.js';
import { audit as writeAudit, type AuditAction } from '../audit/index.js';
import { ROLE_LABELS, type FieldProblems, type StaffService } from './staff.service.js';

export const STAFF_ROLES: StaffRole[] = ['agent', 'officer', 'team_lead', 'admin'];

export type StaffStatus = 'active' | 'invited' | 'locked' | 'disabled';

export const STATUS_LABELS: Record<StaffStatus, string> = {
  active: 'Active',
  invited: 'Invited',
  locked: 'Locked',
  disabled: 'Disabled',
};

/** Who is doing it, for the audit trail. */
export interface AdminActor {
  id: string;
  name: string;
  ip?: string;
}

export interface Person {
  id: string;
  name: string;
  email: string;
  role: StaffRole;
  roleLabel: string;
  body: { code: string; name: string };
  team: { code: string; name: string } | null;
  status: StaffStatus;
  totpEnabled: boolean;
  /** The council identity-provider account that signs into this one, once linked by a sign-in. */
  councilAccount: { issuer: string; subject: string } | null;
  lastSignInAt: Date | null;
  createdAt: Date;
  lockedUntil: Date | null;
  failedAttempts: number;
  disabledAt: Date | null;
}

/** The add and edit forms as typed (trimmed); the email is only read when adding. */
export interface PersonInput {
  name: string;
  email: string;
  role: string;
  bodyCode: string;
  teamCode: string;
}

export type ChangeOutcome = { outcome: 'ok' } | { outcome: 'invalid'; problems: FieldProblems };
/** An action on an account: done, or refused with a sentence saying why. */
export type ActionOutcome = { outcome: 'ok' } | { outcome: 'refused'; reason: string };

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export class StaffAdminService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly deps: {
      staff: StaffService;
      organisations: Pick<OrganisationsService, 'body' | 'team' | 'bodies' | 'teams'>;
      jobs: Jobs;
      councilName: string;
      baseUrl: string;
    },
  ) {}

  async list(filters: { bodyCode?: string; role?: StaffRole } = {}): Promise<Person[]> {
    const body = filters.bodyCode ? await this.deps.organisations.body(filters.bodyCode) : undefined;
    if (filters.bodyCode && !body) return [];
    const rows = await repo.listStaff(this.db, {
      ...(body ? { bodyId: body.id } : {}),
      ...(filters.role ? { role: filters.role } : {}),
    });
    const now = this.deps.staff.now();
    return rows.map((row) => toPerson(row, now));
  }

  async person(id: string): Promise<Person | undefined> {
    const [row] = await repo.listStaff(this.db, { id });
    return row ? toPerson(row, this.deps.staff.now()) : undefined;
  }

  /**
   * Adds a person with no usable password and emails them an invitation: a single-use link, working
   * for CIVICDESK_STAFF_INVITATION_HOURS, to choose their password (the password reset page and its
   * rules). Nobody can sign in to the account until then.
   */
  async invite(
    actor: AdminActor,
    input: PersonInput,
  ): Promise<{ outcome: 'ok'; id: string } | { outcome: 'invalid'; problems: FieldProblems }> {
    const problems: FieldProblems = {};
    if (!input.name) problems.name = 'Enter their full name';
    else if (input.name.length > 200) problems.name = 'Name must be 200 characters or fewer';
    const email = input.email.trim().toLowerCase();
    if (!email) problems.email = 'Enter their email address';
    else if (!EMAIL_PATTERN.test(email) || email.length > 254) {
      problems.email = 'Enter an email address in the correct format, like name@example.com';
    } else if (await repo.findStaffByEmail(this.db, email)) {
      problems.email = 'There is already a member of staff with this email address';
    }
    const placed = await this.#checkPlacement(input, problems);
    if (!placed) return { outcome: 'invalid', problems: ordered(problems) };

    const id = await this.db.transaction().execute(async (trx) => {
      const newId = await repo.insertStaff(trx, {
        email,
        name: input.name,
        role: placed.role,
        body_id: placed.body.id,
        team_id: placed.team?.id ?? null,
        password_hash: null,
      });
      // Someone else added the same address since the check above.
      if (!newId) return undefined;
      await this.deps.staff.passwords.issuePasswordLink(
        trx,
        { id: newId, email, name: input.name },
        'invitation',
        actor.name,
      );
      await audit(trx, actor, 'staff.added', {
        targetStaffId: newId,
        email,
        role: placed.role,
        body: placed.body.code,
        team: placed.team?.code ?? null,
      });
      return newId;
    });
    if (!id) {
      return {
        outcome: 'invalid',
        problems: { email: 'There is already a member of staff with this email address' },
      };
    }
    this.deps.jobs.wake();
    return { outcome: 'ok', id };
  }

  /** Name, role, body and team. Takes effect at once: the role is read afresh on every request. */
  async update(actor: AdminActor, id: string, input: PersonInput): Promise<ChangeOutcome> {
    const before = await this.person(id);
    if (!before) return { outcome: 'invalid', problems: { name: 'There is no such member of staff' } };
    const problems: FieldProblems = {};
    if (!input.name) problems.name = 'Enter their full name';
    else if (input.name.length > 200) problems.name = 'Name must be 200 characters or fewer';
    if (actor.id === id && input.role && input.role !== before.role) {
      problems.role = 'You cannot change your own role: ask another administrator to do it';
    }
    const placed = await this.#checkPlacement(input, problems);
    if (!placed) return { outcome: 'invalid', problems: ordered(problems) };

    const changes: Record<string, [unknown, unknown]> = {};
    if (before.name !== input.name) changes.name = [before.name, input.name];
    if (before.role !== placed.role) changes.role = [before.role, placed.role];
    if (before.body.code !== placed.body.code) changes.body = [before.body.code, placed.body.code];
    if ((before.team?.code ?? null) !== (placed.team?.code ?? null)) {
      changes.team = [before.team?.code ?? null, placed.team?.code ?? null];
    }
    if (Object.keys(changes).length === 0) return { outcome: 'ok' };
    await this.db.transaction().execute(async (trx) => {
      await repo.updateStaffDetails(trx, id, {
        name: input.name,
        role: placed.role,
        body_id: placed.body.id,
        team_id: placed.team?.id ?? null,
      });
      await audit(trx, actor, 'staff.changed', { targetStaffId: id, email: before.email, changes });
    });
    return { outcome: 'ok' };
  }

  /**
   * The account can no longer sign in, and every session of it ends now (sessions are rows, deleted
   * in every process at once; a half-done sign-in is voided too). Outstanding password links stop
   * working.
   */
  async disable(actor: AdminActor, id: string): Promise<ActionOutcome> {
    if (actor.id === id) {
      return {
        outcome: 'refused',
        reason: 'You cannot disable your own account: ask another administrator to do it',
      };
    }
    return this.#act(actor, id, 'staff.disabled', async (trx, person, now) => {
      if (person.disabledAt) return 'The account is already disabled';
      await repo.setDisabled(trx, id, now);
      await repo.endAllSessions(trx, id, now);
      await repo.voidPasswordResets(trx, id, now);
      return undefined;
    });
  }

  async enable(actor: AdminActor, id: string): Promise<ActionOutcome> {
    return this.#act(actor, id, 'staff.enabled', async (trx, person) => {
      if (!person.disabledAt) return 'The account is not disabled';
      await repo.setDisabled(trx, id, null);
      return undefined;
    });
  }

  /** Lifts a lock now and forgets the failures counted so far. */
  async unlock(actor: AdminActor, id: string): Promise<ActionOutcome> {
    return this.#act(actor, id, 'staff.unlocked', async (trx, person) => {
      if (person.status !== 'locked' && person.failedAttempts === 0) return 'The account is not locked';
      await repo.unlockAccount(trx, id);
      return undefined;
    });
  }

  /**
   * Forgets which council identity-provider account signs into this one (for someone whose council
   * account was replaced): the next council sign-in with their verified email address links the new
   * one. The old link is kept in the audit record.
   */
  async unlinkCouncilAccount(actor: AdminActor, id: string): Promise<ActionOutcome> {
    let unlinked: Person['councilAccount'] = null;
    return this.#act(
      actor,
      id,
      'staff.council_account_unlinked',
      async (trx, person) => {
        if (!person.councilAccount) return 'No council account is linked to this account';
        unlinked = person.councilAccount;
        await repo.setProviderIdentity(trx, id, null);
        return undefined;
      },
      () => ({ unlinked }),
    );
  }

  /**
   * Forgets the authenticator app and the recovery codes (for someone who lost their phone). Every
   * session ends, so the next sign-in is with the password alone, and someone who must use an app is
   * sent to set one up straight after it. The owner is emailed, as for any change to their sign-in.
   */
  async resetTwoFactor(actor: AdminActor, id: string): Promise<ActionOutcome> {
    const outcome = await this.#act(actor, id, 'staff.two_factor_reset', async (trx, person, now) => {
      if (!person.totpEnabled) return 'Two-step verification is not set up on this account';
      await repo.disableTotp(trx, id);
      await repo.endAllSessions(trx, id, now);
      await enqueueEmail(
        this.deps.jobs,
        trx,
        twoFactorChangedEmail(
          { councilName: this.deps.councilName, baseUrl: this.deps.baseUrl },
          person,
          'reset-by-admin',
          now,
        ),
      );
      return undefined;
    });
    if (outcome.outcome === 'ok') this.deps.jobs.wake();
    return outcome;
  }

  /**
   * Emails a single-use link to choose a password: a password reset, or, for someone who has never
   * chosen one, a new invitation. The account's password does not change until the link is used.
   */
  async sendPasswordLink(actor: AdminActor, id: string): Promise<ActionOutcome & { invitation?: boolean }> {
    let invitation = false;
    const outcome = await this.#act(
      actor,
      id,
      'staff.password_link_sent',
      async (trx, person) => {
        if (person.disabledAt) return 'The account is disabled: re-enable it first';
        invitation = person.status === 'invited';
        await this.deps.staff.passwords.issuePasswordLink(
          trx,
          person,
          invitation ? 'invitation' : 'reset',
          actor.name,
        );
        return undefined;
      },
      () => ({ kind: invitation ? 'invitation' : 'reset' }),
    );
    if (outcome.outcome === 'ok') this.deps.jobs.wake();
    return { ...outcome, invitation };
  }

  async #act(
    actor: AdminActor,
    id: string,
    action: AuditAction,
    change: (trx: Kysely<Database>, person: Person, now: Date) => Promise<string | undefined>,
    extraDetail: () => Record<string, unknown> = () => ({}),
  ): Promise<ActionOutcome> {
    const person = await this.person(id);
    if (!person) return { outcome: 'refused', reason: 'There is no such member of staff' };
    const now = this.deps.staff.now();
    const refusal = await this.db.transaction().execute(async (trx) => {
      const reason = await change(trx, person, now);
      if (reason) return reason;
      await audit(trx, actor, action, { targetStaffId: id, email: person.email, ...extraDetail() });
      return undefined;
    });
    return refusal ? { outcome: 'refused', reason: refusal } : { outcome: 'ok' };
  }

  /** Role, body and a team of that body, as the forms give them. */
  async #checkPlacement(
    input: PersonInput,
    problems: FieldProblems,
  ): Promise<{ role: StaffRole; body: Body; team: Team | undefined } | undefined> {
    const role = STAFF_ROLES.find((r) => r === input.role);
    if (!role) problems.role ??= 'Choose their role';
    const body = input.bodyCode ? await this.deps.organisations.body(input.bodyCode) : undefined;
    if (!body) problems.bodyCode = 'Choose the body they work for';
    let team: Team | undefined;
    if (body && input.teamCode) {
      team = await this.deps.organisations.team(body, input.teamCode);
      if (!team) problems.teamCode = `Choose a team of ${body.name}, or no team`;
    }
    if (Object.keys(problems).length > 0 || !role || !body) return undefined;
    return { role, body, team };
  }
}

function toPerson(row: repo.StaffListRow, now: Date): Person {
  const locked = row.locked_until !== null && row.locked_until.getTime() > now.getTime();
  const status: StaffStatus = row.disabled_at
    ? 'disabled'
    : locked
      ? 'locked'
      : row.password_hash === null
        ? 'invited'
        : 'active';
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    role: row.role,
    roleLabel: ROLE_LABELS[row.role],
    body: { code: row.body_code, name: row.body_name },
    team: row.team_code && row.team_name ? { code: row.team_code, name: row.team_name } : null,
    status,
    totpEnabled: row.totp_secret !== null,
    councilAccount:
      row.oidc_issuer && row.oidc_subject ? { issuer: row.oidc_issuer, subject: row.oidc_subject } : null,
    lastSignInAt: row.last_sign_in_at,
    createdAt: row.created_at,
    lockedUntil: locked ? row.locked_until : null,
    failedAttempts: row.failed_attempts,
    disabledAt: row.disabled_at,
  };
}

/** In the order of the fields on the form, as the error summary lists them. */
function ordered(problems: FieldProblems): FieldProblems {
  const order = ['name', 'email', 'role', 'bodyCode', 'teamCode'];
  return Object.fromEntries(order.filter((f) => problems[f]).map((f) => [f, problems[f]!]));
}

function audit(
  trx: Kysely<Database>,
  actor: AdminActor,
  action: AuditAction,
  detail: Record<string, unknown>,
): Promise<void> {
  return writeAudit(trx, {
    staffId: actor.id,
    action,
    detail,
    ...(actor.ip ? { ip: actor.ip } : {}),
  });
}
