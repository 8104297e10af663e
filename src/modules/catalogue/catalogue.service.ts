/**
 * Export and import of the whole configuration as one catalogue document (JSON or YAML).
 *
 * Import is all or nothing: the file is checked against the schema, then every body, team, calendar,
 * service and rule is checked against what the file itself defines and what the database already has,
 * and every problem is reported with where it is in the file. Only a file with no problems is written,
 * in one transaction. Import adds and updates by code; it does not delete bodies, teams or services the
 * file leaves out (cases may refer to them); routing rules are replaced as a whole list, because their
 * order is their meaning.
 */
import { Value } from 'typebox/value';
import YAML from 'yaml';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';
import type { CalendarsService } from '../calendars/index.js';
import type { OrganisationsService } from '../organisations/index.js';
import type { RoutingService } from '../routing/index.js';
import type { ServicesService } from '../services/index.js';
import { Catalogue } from './catalogue.schema.js';

export class CatalogueInvalidError extends Error {
  constructor(readonly problems: string[]) {
    super(`The catalogue is not valid; nothing was changed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CatalogueInvalidError';
  }
}

export interface ImportSummary {
  bodies: number;
  teams: number;
  calendars: number;
  services: number;
  routingRules: number;
}

/** Parses JSON or YAML text (YAML is a superset of JSON), reporting the line of a syntax error. */
export function parseCatalogueText(text: string): unknown {
  const document = YAML.parseDocument(text, { prettyErrors: true });
  if (document.errors.length) {
    throw new CatalogueInvalidError(document.errors.map((e) => `syntax: ${e.message.split('\n')[0]}`));
  }
  return document.toJS();
}

export class CatalogueService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly deps: {
      organisations: OrganisationsService;
      services: ServicesService;
      calendars: CalendarsService;
      routing: RoutingService;
    },
  ) {}

  async export(): Promise<Catalogue> {
    const [bodies, teams, calendars, services, rules, outside] = await Promise.all([
      this.deps.organisations.bodies(),
      this.deps.organisations.teams(),
      this.deps.calendars.list(),
      this.deps.services.list({ activeOnly: false }),
      this.deps.routing.rules(),
      this.deps.routing.outsideAreaContact(),
    ]);
    const bodyCode = new Map(bodies.map((b) => [b.id, b.code]));
    return {
      version: 1,
      settings: { outsideAreaContact: outside },
      bodies: bodies.map((b) => ({
        code: b.code,
        name: b.name,
        kind: b.kind,
        email: b.email,
        phone: b.phone,
        website: b.website,
        deliveryMethod: b.deliveryMethod,
      })),
      teams: teams.map((t) => ({
        body: bodyCode.get(t.bodyId)!,
        code: t.code,
        name: t.name,
        email: t.email,
      })),
      calendars,
      services: services.map((s) => ({
        code: s.code,
        name: s.name,
        group: s.group,
        description: s.description,
        keywords: s.keywords,
        isPublic: s.isPublic,
        active: s.active,
        offeredBy: s.offeredBy,
        definition: s.definition as unknown as Record<string, unknown>,
      })),
      routingRules: rules.map((r) => ({
        service: r.serviceCode,
        position: r.position,
        name: r.name,
        conditions: r.conditions as Record<string, unknown>,
        body: r.bodyCode,
        team: r.teamCode,
        showContact: r.showContact,
        enabled: r.enabled,
      })),
    };
  }

  static toText(catalogue: Catalogue, format: 'json' | 'yaml'): string {
    return format === 'json'
      ? `${JSON.stringify(catalogue, null, 2)}\n`
      : YAML.stringify(catalogue, { lineWidth: 0 });
  }

  /** Checks the document's shape; returns it with defaults filled in, or throws with every problem. */
  static checkShape(input: unknown): Catalogue {
    const withDefaults = Value.Default(Catalogue, Value.Clone(input ?? {}));
    const problems = [...Value.Errors(Catalogue, withDefaults)].map(
      (e) => `${e.instancePath || '(top level)'}: ${e.message}`,
    );
    if (problems.length) throw new CatalogueInvalidError(problems.slice(0, 100));
    return withDefaults as Catalogue;
  }

  /**
   * Validates the whole catalogue and, if it has no problems, writes it in one transaction. Every
   * problem is collected first; the transaction is rolled back if anything fails part-way.
   */
  async import(input: unknown, { dryRun = false } = {}): Promise<ImportSummary> {
    const catalogue = CatalogueService.checkShape(input);
    const problems = this.crossReferenceProblems(catalogue);
    if (problems.length) throw new CatalogueInvalidError(problems);

    const summary: ImportSummary = {
      bodies: catalogue.bodies.length,
      teams: catalogue.teams.length,
      calendars: catalogue.calendars.length,
      services: catalogue.services.length,
      routingRules: catalogue.routingRules.length,
    };
    const rollbackForDryRun = new Error('dry run');
    try {
      await this.db.transaction().execute(async (trx) => {
        await this.write(catalogue, trx);
        if (dryRun) throw rollbackForDryRun;
      });
    } catch (error) {
      if (error !== rollbackForDryRun) throw error;
    }
    return summary;
  }

  /** Problems visible from the file alone: duplicate codes and references to things it does not define. */
  private crossReferenceProblems(catalogue: Catalogue): string[] {
    const problems: string[] = [];
    const duplicates = (label: string, keys: string[]) => {
      const seen = new Set<string>();
      for (const key of keys) {
        if (seen.has(key)) problems.push(`${label}: "${key}" appears more than once`);
        seen.add(key);
      }
    };
    duplicates(
      'bodies',
      catalogue.bodies.map((b) => b.code),
    );
    duplicates(
      'teams',
      catalogue.teams.map((t) => `${t.body}/${t.code}`),
    );
    duplicates(
      'calendars',
      catalogue.calendars.map((c) => c.code),
    );
    duplicates(
      'services',
      catalogue.services.map((s) => s.code),
    );
    for (const [i, calendar] of catalogue.calendars.entries()) {
      if (calendar.opensAt >= calendar.closesAt)
        problems.push(`/calendars/${i}: opensAt must be before closesAt`);
    }
    return problems;
  }

  private async write(catalogue: Catalogue, trx: Executor): Promise<void> {
    const problems: string[] = [];
    for (const body of catalogue.bodies) {
      await this.deps.organisations.upsertBody(trx, {
        code: body.code,
        name: body.name,
        kind: body.kind,
        email: body.email ?? null,
        phone: body.phone ?? null,
        website: body.website ?? null,
        ...(body.deliveryMethod ? { delivery_method: body.deliveryMethod } : {}),
      });
    }
    const bodies = await this.deps.organisations.bodies(trx);
    for (const [i, team] of catalogue.teams.entries()) {
      const body = bodies.find((b) => b.code === team.body);
      if (!body) {
        problems.push(`/teams/${i}: there is no body "${team.body}"`);
        continue;
      }
      await this.deps.organisations.upsertTeam(trx, {
        body_id: body.id,
        code: team.code,
        name: team.name,
        email: team.email ?? null,
      });
    }
    for (const calendar of catalogue.calendars) await this.deps.calendars.upsert(calendar, trx);
    for (const [i, service] of catalogue.services.entries()) {
      const serviceProblems = await this.deps.services.problems(service, trx);
      if (serviceProblems.length) {
        problems.push(...serviceProblems.map((p) => `/services/${i} (${service.code}): ${p}`));
        continue;
      }
      await this.deps.services.save(service, trx);
    }
    if (problems.length === 0) {
      for (const [i, rule] of catalogue.routingRules.entries()) {
        const input = {
          serviceCode: rule.service,
          position: rule.position,
          name: rule.name,
          conditions: rule.conditions,
          bodyCode: rule.body,
          teamCode: rule.team ?? null,
          showContact: rule.showContact,
          enabled: rule.enabled,
        };
        const ruleProblems = await this.deps.routing.ruleProblems(input, trx);
        problems.push(...ruleProblems.map((p) => `/routingRules/${i} (${rule.name}): ${p}`));
      }
    }
    if (problems.length === 0) {
      await this.deps.routing.replaceAllRules(
        catalogue.routingRules.map((rule) => ({
          serviceCode: rule.service,
          position: rule.position,
          name: rule.name,
          conditions: rule.conditions,
          bodyCode: rule.body,
          teamCode: rule.team ?? null,
          showContact: rule.showContact,
          enabled: rule.enabled,
        })),
        trx,
      );
      if (catalogue.settings?.outsideAreaContact) {
        await this.deps.routing.setOutsideAreaContact(catalogue.settings.outsideAreaContact, trx);
      }
    }
    // Thrown inside the transaction, so everything written above is rolled back.
    if (problems.length) throw new CatalogueInvalidError(problems);
  }
}
