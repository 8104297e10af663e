/**
 * Bodies (organisations that receive cases: the council, parishes, contractors) and their teams.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';
import type { BodyRef, TeamRef } from '../routing/routing-engine.js';
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

export interface Body extends BodyRef {
  kind: BodyKind;
  deliveryMethod: 'civicdesk' | 'email' | 'open311' | 'webhook';
}

export interface Team extends TeamRef {
  email: string | null;
}

export class OrganisationsService {
  constructor(private readonly db: Kysely<Database>) {}

  /** Every body; inside a transaction when given one. */
  async bodies(executor: Executor = this.db): Promise<Body[]> {
    return (await repo.listBodies(executor)).map((row) => ({
      id: row.id,
      code: row.code,
      name: row.name,
      kind: row.kind,
      email: row.email,
      phone: row.phone,
      website: row.website,
      deliveryMethod: row.delivery_method,
    }));
  }

  async teams(executor: Executor = this.db): Promise<Team[]> {
    return (await repo.listTeams(executor)).map((row) => ({
      id: row.id,
      code: row.code,
      name: row.name,
      bodyId: row.body_id,
      email: row.email,
    }));
  }
}
