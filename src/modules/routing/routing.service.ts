/**
 * Routing: where a report goes, decided by data. Given a point, a service, the answers and the time, it
 * finds the containing areas, checks the service is offered there, applies the stop answers, runs the
 * rule engine and computes the due date on the service's calendar. The admin test bench and
 * `civicdesk route` show the whole decision; the intake stores it with the case.
 */
import { Value } from 'typebox/value';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';
import { dueDate, describeTimescale, isOutOfHours } from '../../lib/working-time.js';
import type { CalendarsService } from '../calendars/index.js';
import type { Body, OrganisationsService, Team } from '../organisations/index.js';
import { stopFor } from '../services/index.js';
import type { Service, ServicesService } from '../services/index.js';
import {
  decideRoute,
  RuleConditions,
  servicesOfferedAt,
  type AreaMatch,
  type RoutingRule,
  type RuleTrace,
} from './routing-engine.js';
import * as repo from './routing.repository.js';

/** Point → every current area containing it (the areas module's spatial index). */
export interface AreaLookup {
  containing(lon: number, lat: number): Promise<AreaMatch[]>;
}

export interface OutsideAreaContact {
  /** What to tell a resident whose point is outside every body's area. */
  message: string;
  url?: string;
}

const OUTSIDE_AREA_SETTING = 'outside_area_contact';
const DEFAULT_OUTSIDE_AREA: OutsideAreaContact = {
  message:
    'This location is outside the area we look after. Report it to the council for that area instead: you can find it by postcode on GOV.UK.',
  url: 'https://www.gov.uk/find-local-council',
};

export interface RouteRequest {
  lon: number;
  lat: number;
  serviceCode: string;
  answers?: Record<string, string | string[]>;
  at?: Date;
}

export type RouteResult =
  | { outcome: 'outside'; areas: AreaMatch[]; contact: OutsideAreaContact }
  | { outcome: 'unknown_service'; areas: AreaMatch[]; serviceCode: string }
  | { outcome: 'not_offered'; areas: AreaMatch[]; service: Service; reason: string; servicesHere: string[] }
  | { outcome: 'stop'; areas: AreaMatch[]; service: Service; message: string }
  | {
      outcome: 'routed';
      areas: AreaMatch[];
      service: Service;
      body: Body;
      team: Team | null;
      contact: { name: string; email: string | null; phone: string | null; website: string | null } | null;
      decidedBy: { kind: 'rule'; id: string; name: string; position: number } | { kind: 'default' };
      trace: RuleTrace[];
      outOfHours: boolean;
      dueAt: Date;
      timescale: string;
    };

export interface RuleInput {
  serviceCode: string | null;
  position: number;
  name: string;
  conditions: unknown;
  bodyCode: string;
  teamCode: string | null;
  showContact: boolean;
  enabled: boolean;
}

export interface Rule extends RoutingRule {
  bodyCode: string;
  teamCode: string | null;
}

export class RoutingService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly deps: {
      areas: AreaLookup;
      services: ServicesService;
      organisations: OrganisationsService;
      calendars: CalendarsService;
    },
  ) {}

  async rules(executor: Executor = this.db): Promise<Rule[]> {
    const [rows, bodies, teams] = await Promise.all([
      repo.listRules(executor),
      this.deps.organisations.bodies(executor),
      this.deps.organisations.teams(executor),
    ]);
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      position: row.position,
      serviceCode: row.service_code,
      conditions: row.conditions,
      bodyId: row.body_id,
      teamId: row.team_id,
      showContact: row.show_contact,
      enabled: row.enabled,
      bodyCode: bodies.find((b) => b.id === row.body_id)?.code ?? '',
      teamCode: teams.find((t) => t.id === row.team_id)?.code ?? null,
    }));
  }

  /** Problems with a rule, as sentences an admin can act on. */
  async ruleProblems(input: RuleInput, executor: Executor = this.db): Promise<string[]> {
    const problems: string[] = [];
    if (!input.name.trim()) problems.push('name: enter a name that says what the rule is for');
    if (!Number.isInteger(input.position)) problems.push('position: enter a whole number');
    const conditionErrors = [...Value.Errors(RuleConditions, input.conditions)];
    if (conditionErrors.length) {
      problems.push(...conditionErrors.map((e) => `conditions${e.instancePath}: ${e.message}`));
      return problems;
    }
    const conditions = input.conditions as RuleConditions;
    const bodies = await this.deps.organisations.bodies(executor);
    const body = bodies.find((b) => b.code === input.bodyCode);
    if (!body) problems.push(`body: there is no body "${input.bodyCode}"`);
    if (body && input.teamCode) {
      const teams = await this.deps.organisations.teams(executor);
      if (!teams.some((t) => t.bodyId === body.id && t.code === input.teamCode)) {
        problems.push(`team: ${body.name} has no team "${input.teamCode}"`);
      }
    }
    if (conditions.areaCode && !conditions.areaKind)
      problems.push('area: choose the kind of area as well as its code');
    if (input.serviceCode !== null) {
      const service = await this.deps.services.get(input.serviceCode, executor);
      if (!service) problems.push(`service: there is no service "${input.serviceCode}"`);
      for (const condition of conditions.answers ?? []) {
        const question = service?.definition.questions.find((q) => q.code === condition.question);
        if (service && !question) {
          problems.push(`answers: ${service.name} has no question "${condition.question}"`);
          continue;
        }
        const needsValues = !['answered', 'not_answered'].includes(condition.operator);
        if (needsValues && condition.values.length === 0) {
          problems.push(`answers: give a value for "${condition.question} ${condition.operator}"`);
        }
        if (question?.options) {
          for (const value of condition.values) {
            if (!question.options.some((o) => o.key === value)) {
              problems.push(`answers: "${value}" is not an option of ${condition.question}`);
            }
          }
        }
      }
    } else if (conditions.answers?.length) {
      problems.push('answers: a rule for every service cannot test answers; choose a service');
    }
    return problems;
  }

  /** Creates a rule, or replaces the one with `id`. Throws with every problem if it is not valid. */
  async saveRule(input: RuleInput, id?: string, executor?: Executor): Promise<string> {
    const run = async (trx: Executor): Promise<string> => {
      const problems = await this.ruleProblems(input, trx);
      if (problems.length) throw new RuleInvalidError(problems);
      const body = (await this.deps.organisations.bodies(trx)).find((b) => b.code === input.bodyCode)!;
      const team = input.teamCode
        ? (await this.deps.organisations.teams(trx)).find(
            (t) => t.bodyId === body.id && t.code === input.teamCode,
          )!
        : null;
      const service = input.serviceCode ? (await this.deps.services.get(input.serviceCode, trx))! : null;
      const write: repo.RuleWrite = {
        service_id: service?.id ?? null,
        position: input.position,
        name: input.name.trim(),
        conditions: input.conditions as RuleConditions,
        body_id: body.id,
        team_id: team?.id ?? null,
        show_contact: input.showContact,
        enabled: input.enabled,
      };
      if (id) {
        if (!(await repo.updateRule(trx, id, write)))
          throw new RuleInvalidError(['that rule no longer exists']);
        return id;
      }
      return repo.insertRule(trx, write);
    };
    return executor ? run(executor) : this.db.transaction().execute(run);
  }

  deleteRule(id: string): Promise<boolean> {
    return repo.deleteRule(this.db, id);
  }

  async replaceAllRules(inputs: RuleInput[], executor: Executor): Promise<void> {
    await repo.deleteAllRules(executor);
    for (const input of inputs) await this.saveRule(input, undefined, executor);
  }

  async outsideAreaContact(executor: Executor = this.db): Promise<OutsideAreaContact> {
    const value = (await repo.getSetting(executor, OUTSIDE_AREA_SETTING)) as OutsideAreaContact | undefined;
    return value ?? DEFAULT_OUTSIDE_AREA;
  }

  async setOutsideAreaContact(contact: OutsideAreaContact, executor: Executor = this.db): Promise<void> {
    await repo.putSetting(executor, OUTSIDE_AREA_SETTING, contact);
  }

  /** The services a resident can report at a point (two-tier union), or none if it is outside every body. */
  async servicesAt(lon: number, lat: number): Promise<{ areas: AreaMatch[]; services: Service[] }> {
    const [areas, services, bodies] = await Promise.all([
      this.deps.areas.containing(lon, lat),
      this.deps.services.list(),
      this.deps.organisations.bodies(),
    ]);
    return { areas, services: servicesOfferedAt(services, areas, bodies) };
  }

  async route(request: RouteRequest): Promise<RouteResult> {
    const at = request.at ?? new Date();
    const answers = request.answers ?? {};
    const [areas, bodies, teams, rules, services] = await Promise.all([
      this.deps.areas.containing(request.lon, request.lat),
      this.deps.organisations.bodies(),
      this.deps.organisations.teams(),
      this.rules(),
      this.deps.services.list(),
    ]);
    if (!areas.some((a) => a.bodyId !== null)) {
      return { outcome: 'outside', areas, contact: await this.outsideAreaContact() };
    }
    const service = services.find((s) => s.code === request.serviceCode);
    if (!service) return { outcome: 'unknown_service', areas, serviceCode: request.serviceCode };

    const stop = stopFor(service.definition, answers);
    if (stop) return { outcome: 'stop', areas, service, message: stop };

    const calendar = await this.deps.calendars.workingCalendar(service.definition.calendar, at);
    const outOfHours = isOutOfHours(at, calendar);
    const decision = decideRoute({
      service: {
        code: service.code,
        name: service.name,
        defaultBody: service.definition.defaultBody,
        defaultTeam: service.definition.defaultTeam,
        offeredBy: service.offeredBy,
      },
      areas,
      answers,
      outOfHours,
      rules,
      bodies,
      teams,
    });
    if (decision.outcome === 'not_offered') {
      return {
        outcome: 'not_offered',
        areas,
        service,
        reason: decision.reason,
        servicesHere: servicesOfferedAt(services, areas, bodies).map((s) => s.code),
      };
    }
    return {
      outcome: 'routed',
      areas,
      service,
      body: bodies.find((b) => b.id === decision.body.id)!,
      team: decision.team ? (teams.find((t) => t.id === decision.team!.id) ?? null) : null,
      contact: decision.contact,
      decidedBy: decision.decidedBy,
      trace: decision.trace,
      outOfHours,
      dueAt: dueDate(at, service.definition.timescale, calendar),
      timescale: describeTimescale(service.definition.timescale),
    };
  }
}

export class RuleInvalidError extends Error {
  constructor(readonly problems: string[]) {
    super(`The routing rule is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'RuleInvalidError';
  }
}
