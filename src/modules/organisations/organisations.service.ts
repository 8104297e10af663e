/**
 * Bodies (organisations that receive cases: the council, parishes, contractors) and their teams.
 */
import type { Kysely } from 'kysely';
import { IsEmail } from 'typebox/format';
import type { Database } from '../../db/database.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';
import { AppError, type FieldError } from '../../lib/errors.js';
import * as repo from './organisations.repository.js';

export const BODY_KINDS = [
  'county',
  'district',
  'unitary',
  'metropolitan_borough',
  'london_borough',
  'parish',
  'other',
] as const;
export type BodyKind = (typeof BODY_KINDS)[number];

export const BODY_KIND_LABELS: Record<BodyKind, string> = {
  county: 'County council',
  district: 'District council',
  unitary: 'Unitary authority',
  metropolitan_borough: 'Metropolitan borough',
  london_borough: 'London borough',
  parish: 'Parish or town council',
  other: 'Other organisation',
};

export const DELIVERY_METHODS = ['civicdesk', 'email', 'open311', 'webhook'] as const;
export type DeliveryMethod = (typeof DELIVERY_METHODS)[number];

export const DELIVERY_METHOD_LABELS: Record<DeliveryMethod, string> = {
  civicdesk: 'In Civicdesk',
  email: 'By email',
  open311: 'Through Open311',
  webhook: 'Through a webhook',
};

/** What an admin may choose today: the other methods need the integrations that deliver them. */
export const SELECTABLE_DELIVERY_METHODS: readonly DeliveryMethod[] = ['civicdesk'];

/** What routing needs of a body: who it is and how residents reach it (the routing engine's input). */
export interface BodyRef {
  id: string;
  code: string;
  name: string;
  email: string | null;
  phone: string | null;
  website: string | null;
}

/** What routing needs of a team. */
export interface TeamRef {
  id: string;
  code: string;
  name: string;
  bodyId: string;
}

export interface Body extends BodyRef {
  kind: BodyKind;
  deliveryMethod: DeliveryMethod;
}

export interface Team extends TeamRef {
  email: string | null;
}

/** A body as an admin types it: text fields trimmed, optional ones empty when not given. */
export interface BodyChanges {
  name: string;
  kind: string;
  email: string;
  phone: string;
  website: string;
  /** Left out, the body keeps its method (a new body is handled in Civicdesk). */
  deliveryMethod?: string;
}

export interface NewBody extends BodyChanges {
  code: string;
}

export interface TeamChanges {
  name: string;
  email: string;
}

export interface NewTeam extends TeamChanges {
  code: string;
}

const CODE_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

/** The problem with a body or team code, if any (the database holds the same rule). */
export function codeProblem(code: string): string | undefined {
  if (!code) return 'Enter a code';
  if (code.length > 63) return 'Code must be 63 characters or fewer';
  if (!CODE_PATTERN.test(code)) {
    return 'Code must only include lower-case letters, numbers and hyphens, and start with a letter or number, like little-wickham';
  }
  // The admin pages' web addresses use "new" for the page that adds one.
  if (code === 'new') return 'Code cannot be "new": choose another';
  return undefined;
}

export function emailProblem(email: string): string | undefined {
  if (!email) return undefined;
  if (email.length > 254) return 'Email address must be 254 characters or fewer';
  // The catalogue file's own email check, so whatever is saved here exports and imports again; and a
  // dotted domain, as mail for a council never goes to a bare host name.
  if (!IsEmail(email) || !/@[^@]+\.[^@.]+$/.test(email)) {
    return 'Enter an email address in the correct format, like name@example.com';
  }
  return undefined;
}

export function phoneProblem(phone: string): string | undefined {
  if (!phone) return undefined;
  const digits = phone.replace(/\D/g, '').length;
  if (phone.length > 50 || !/^\+?[0-9 ()-]+$/.test(phone) || digits < 3 || digits > 15) {
    return 'Enter a telephone number, like 01632 960 001 or +44 808 157 0192';
  }
  return undefined;
}

export function websiteProblem(website: string): string | undefined {
  if (!website) return undefined;
  if (website.length > 500) return 'Website address must be 500 characters or fewer';
  let url: URL | undefined;
  try {
    url = new URL(website);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:\/\//.test(website) || !url.hostname.includes('.')) {
    return 'Enter a website address in the correct format, starting with https://, like https://www.example.gov.uk';
  }
  return undefined;
}

function nameProblem(name: string, what: string): string | undefined {
  if (!name) return `Enter the name of the ${what}`;
  if (name.length > 200) return 'Name must be 200 characters or fewer';
  return undefined;
}

function invalid(message: string, problems: FieldError[]): AppError {
  return new AppError('validation_failed', message, problems);
}

function toBody(row: repo.BodyRow): Body {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    kind: row.kind,
    email: row.email,
    phone: row.phone,
    website: row.website,
    deliveryMethod: row.delivery_method,
  };
}

function toTeam(row: repo.TeamRow): Team {
  return { id: row.id, code: row.code, name: row.name, bodyId: row.body_id, email: row.email };
}

export class OrganisationsService {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Adds or replaces a body and a team by code, inside the caller's transaction, unchecked: for the
   * catalogue import, which checks the whole catalogue itself and writes it all or nothing.
   */
  upsertBody(executor: Executor, body: repo.BodyInput): Promise<string> {
    return repo.upsertBody(executor, body);
  }

  upsertTeam(executor: Executor, team: Parameters<typeof repo.upsertTeam>[1]): Promise<string> {
    return repo.upsertTeam(executor, team);
  }

  /** Every body; inside a transaction when given one. */
  async bodies(executor: Executor = this.db): Promise<Body[]> {
    return (await repo.listBodies(executor)).map(toBody);
  }

  async teams(executor: Executor = this.db): Promise<Team[]> {
    return (await repo.listTeams(executor)).map(toTeam);
  }

  async body(code: string, executor: Executor = this.db): Promise<Body | undefined> {
    const row = await repo.findBodyByCode(executor, code);
    return row ? toBody(row) : undefined;
  }

  /** The body's teams, by name. */
  async teamsOf(body: Body, executor: Executor = this.db): Promise<Team[]> {
    return (await this.teams(executor)).filter((t) => t.bodyId === body.id);
  }

  async team(body: Body, code: string, executor: Executor = this.db): Promise<Team | undefined> {
    const row = await repo.findTeam(executor, body.id, code);
    return row ? toTeam(row) : undefined;
  }

  /**
   * The bodies whose cases this body's staff may see and work: their own first, then any an admin
   * granted (the one rule every case query and case action goes through).
   */
  async caseBodiesFor(bodyId: string, executor: Executor = this.db): Promise<string[]> {
    return [bodyId, ...(await repo.caseAccessOf(executor, bodyId))];
  }

  /** The other bodies whose cases this body's staff may work, as codes. */
  async caseAccess(body: Body): Promise<Body[]> {
    const ids = new Set(await repo.caseAccessOf(this.db, body.id));
    return (await this.bodies()).filter((b) => ids.has(b.id));
  }

  /** Admins grant (or take away) this body's staff access to other bodies' cases. */
  async setCaseAccess(body: Body, codes: string[]): Promise<void> {
    const bodies = await this.bodies();
    const unknown = codes.filter((c) => !bodies.some((b) => b.code === c) || c === body.code);
    if (unknown.length)
      throw invalid('Choose from the other bodies listed', [
        { field: 'caseAccess', message: 'Choose from the other bodies listed' },
      ]);
    const ids = bodies.filter((b) => codes.includes(b.code)).map((b) => b.id);
    await this.db.transaction().execute((trx) => repo.replaceCaseAccess(trx, body.id, ids));
  }

  /**
   * Problems with a body as an admin entered it, one per field (named as BodyChanges names them), as
   * sentences they can act on; empty when it can be saved. `existing` is the body being changed.
   */
  bodyProblems(input: BodyChanges & { code?: string }, existing?: Body): FieldError[] {
    const problems: FieldError[] = [];
    const add = (field: string, message: string | undefined) => {
      if (message) problems.push({ field, message });
    };
    if (!existing) add('code', codeProblem(input.code ?? ''));
    add('name', nameProblem(input.name, 'body'));
    if (!(BODY_KINDS as readonly string[]).includes(input.kind)) add('kind', 'Select the kind of body');
    add('email', emailProblem(input.email));
    add('phone', phoneProblem(input.phone));
    add('website', websiteProblem(input.website));
    const method = input.deliveryMethod;
    if (
      method !== undefined &&
      method !== existing?.deliveryMethod &&
      !(SELECTABLE_DELIVERY_METHODS as readonly string[]).includes(method)
    ) {
      add(
        'deliveryMethod',
        'Select In Civicdesk: sending cases by email, Open311 or a webhook comes with integrations',
      );
    }
    return problems;
  }

  /** Adds a body; throws validation_failed with the problems (including a code already in use). */
  async createBody(input: NewBody): Promise<Body> {
    const problems = this.bodyProblems(input);
    if (problems.length) throw invalid('The body cannot be added', problems);
    const row = await repo.insertBody(this.db, {
      code: input.code,
      ...bodyColumns(input),
      delivery_method: (input.deliveryMethod as DeliveryMethod | undefined) ?? 'civicdesk',
    });
    if (!row) {
      throw invalid('The body cannot be added', [
        { field: 'code', message: `There is already a body with the code "${input.code}"` },
      ]);
    }
    return toBody(row);
  }

  /** Changes a body's details (not its code, which cases and the catalogue file refer to). */
  async updateBody(code: string, changes: BodyChanges): Promise<Body> {
    return this.db.transaction().execute(async (trx) => {
      const existing = await this.body(code, trx);
      if (!existing) throw new AppError('not_found', `There is no body "${code}"`);
      const problems = this.bodyProblems(changes, existing);
      if (problems.length) throw invalid('The body cannot be saved', problems);
      const row = await repo.updateBody(trx, code, {
        ...bodyColumns(changes),
        ...(changes.deliveryMethod ? { delivery_method: changes.deliveryMethod as DeliveryMethod } : {}),
      });
      return toBody(row!);
    });
  }

  /** Problems with a team as an admin entered it; `existing` is the team being changed. */
  teamProblems(input: TeamChanges & { code?: string }, existing?: Team): FieldError[] {
    const problems: FieldError[] = [];
    const add = (field: string, message: string | undefined) => {
      if (message) problems.push({ field, message });
    };
    if (!existing) add('code', codeProblem(input.code ?? ''));
    add('name', nameProblem(input.name, 'team'));
    add('email', emailProblem(input.email));
    return problems;
  }

  /** Adds a team to a body; its code must be new within that body. */
  async createTeam(body: Body, input: NewTeam): Promise<Team> {
    const problems = this.teamProblems(input);
    if (problems.length) throw invalid('The team cannot be added', problems);
    const row = await repo.insertTeam(this.db, {
      body_id: body.id,
      code: input.code,
      name: input.name,
      email: input.email || null,
    });
    if (!row) {
      throw invalid('The team cannot be added', [
        { field: 'code', message: `${body.name} already has a team with the code "${input.code}"` },
      ]);
    }
    return toTeam(row);
  }

  async updateTeam(body: Body, code: string, changes: TeamChanges): Promise<Team> {
    const existing = await this.team(body, code);
    if (!existing) throw new AppError('not_found', `${body.name} has no team "${code}"`);
    const problems = this.teamProblems(changes, existing);
    if (problems.length) throw invalid('The team cannot be saved', problems);
    const row = await repo.updateTeam(this.db, existing.id, {
      name: changes.name,
      email: changes.email || null,
    });
    if (!row) throw new AppError('not_found', `${body.name} has no team "${code}"`);
    return toTeam(row);
  }
}

function bodyColumns(input: BodyChanges) {
  return {
    name: input.name,
    kind: input.kind as BodyKind,
    email: input.email || null,
    phone: input.phone || null,
    website: input.website || null,
  };
}
