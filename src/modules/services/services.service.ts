/**
 * Services (what a resident can report or request): listing, reading and saving them, with every rule a
 * definition must meet checked before anything is written.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { AppError } from '../../lib/errors.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';
import { parseDefinition, InvalidDefinitionError, type ServiceDefinition } from './service-definition.js';
import type { OrganisationsService } from '../organisations/index.js';
import * as repo from './services.repository.js';

export interface Service {
  id: string;
  code: string;
  name: string;
  group: string;
  description: string;
  keywords: string[];
  isPublic: boolean;
  active: boolean;
  definition: ServiceDefinition;
  /** Codes of the bodies that offer it. */
  offeredBy: string[];
}

export interface ServiceGroup {
  name: string;
  services: Service[];
}

export interface ServiceInput {
  code: string;
  name: string;
  group: string;
  description: string;
  keywords: string[];
  isPublic: boolean;
  active: boolean;
  definition: unknown;
  offeredBy: string[];
}

function toService(row: repo.ServiceRow): Service {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    group: row.group_name,
    description: row.description,
    keywords: row.keywords,
    isPublic: row.is_public,
    active: row.active,
    definition: parseDefinition(row.definition),
    offeredBy: row.offered_by,
  };
}

export class ServicesService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly organisations: OrganisationsService,
  ) {}

  async list({ activeOnly = true } = {}, executor: Executor = this.db): Promise<Service[]> {
    return (await repo.listServices(executor, { activeOnly })).map(toService);
  }

  async get(code: string, executor: Executor = this.db): Promise<Service | undefined> {
    const row = await repo.findServiceByCode(executor, code);
    return row ? toService(row) : undefined;
  }

  async groupedServices(): Promise<ServiceGroup[]> {
    const groups = new Map<string, Service[]>();
    for (const service of await this.list()) {
      const name = service.group || 'Other';
      groups.set(name, [...(groups.get(name) ?? []), service]);
    }
    return [...groups].map(([name, services]) => ({ name, services }));
  }

  /** Problems with an input, as sentences an admin can act on; empty when it can be saved. */
  async problems(input: ServiceInput, executor: Executor = this.db): Promise<string[]> {
    const problems: string[] = [];
    if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(input.code)) {
      problems.push('code: use lower-case letters, digits, - and _ only (for example "missed-bin")');
    }
    if (!input.name.trim()) problems.push('name: enter the service name');
    let definition: ServiceDefinition | undefined;
    try {
      definition = parseDefinition(input.definition);
    } catch (error) {
      if (error instanceof InvalidDefinitionError) problems.push(...error.problems);
      else throw error;
    }
    if (input.offeredBy.length === 0) problems.push('offered by: choose at least one body');
    const bodies = await this.organisations.bodies(executor);
    for (const code of input.offeredBy) {
      if (!bodies.some((b) => b.code === code)) problems.push(`offered by: there is no body "${code}"`);
    }
    if (definition) {
      const body = bodies.find((b) => b.code === definition.defaultBody);
      if (!body) problems.push(`default body: there is no body "${definition.defaultBody}"`);
      else if (!input.offeredBy.includes(definition.defaultBody)) {
        problems.push('default body: it must be one of the bodies offering the service');
      }
      if (body && definition.defaultTeam) {
        const teams = await this.organisations.teams(executor);
        const team = teams.find((t) => t.bodyId === body.id && t.code === definition.defaultTeam);
        if (!team)
          problems.push(`default team: ${definition.defaultBody} has no team "${definition.defaultTeam}"`);
      }
    }
    return problems;
  }

  /** Creates or replaces the service with this code, in the caller's transaction if given one. */
  async save(input: ServiceInput, executor?: Executor): Promise<Service> {
    const run = async (trx: Executor) => {
      const problems = await this.problems(input, trx);
      if (problems.length) {
        throw new AppError(
          'validation_failed',
          `The service "${input.code}" cannot be saved`,
          problems.map((message) => ({ field: input.code, message })),
        );
      }
      const bodies = (await this.organisations.bodies(trx)).filter((b) => input.offeredBy.includes(b.code));
      await repo.upsertService(
        trx,
        {
          code: input.code,
          name: input.name.trim(),
          group_name: input.group.trim(),
          description: input.description.trim(),
          keywords: input.keywords.map((k) => k.trim()).filter(Boolean),
          is_public: input.isPublic,
          active: input.active,
          definition: parseDefinition(input.definition) as unknown as Record<string, unknown>,
        },
        bodies.map((b) => b.id),
      );
    };
    if (executor) await run(executor);
    else await this.db.transaction().execute(run);
    const saved = await repo.findServiceByCode(executor ?? this.db, input.code);
    return toService(saved!);
  }
}
