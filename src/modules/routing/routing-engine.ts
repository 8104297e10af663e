/**
 * The routing rule engine, as a pure function of its inputs: which areas contain the point, the service,
 * the answers and the time. Rules are ordered data; the first enabled rule whose every condition holds
 * decides the body and team; with none, the service's default applies. The decision carries a trace of
 * every rule considered and why it did or did not fire, which the admin test bench and
 * `civicdesk route` show.
 */
import { Type, type Static } from 'typebox';
import type { BodyRef, TeamRef } from '../organisations/index.js';

export type { BodyRef, TeamRef };

export interface AreaMatch {
  id: string;
  kind: string;
  code: string;
  name: string;
  bodyId: string | null;
  onBoundary: boolean;
}

export const AnswerCondition = Type.Object(
  {
    question: Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$' }),
    operator: Type.Union([
      Type.Literal('equals'),
      Type.Literal('not_equals'),
      Type.Literal('in'),
      Type.Literal('not_in'),
      Type.Literal('answered'),
      Type.Literal('not_answered'),
    ]),
    values: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 50, default: [] }),
  },
  { additionalProperties: false },
);
export type AnswerCondition = Static<typeof AnswerCondition>;

export const RuleConditions = Type.Object(
  {
    /** The point must lie in an area of this kind ("parish"), and, with areaCode, that very area. */
    areaKind: Type.Optional(Type.String({ maxLength: 30 })),
    areaCode: Type.Optional(Type.String({ maxLength: 64 })),
    answers: Type.Optional(Type.Array(AnswerCondition, { maxItems: 20 })),
    /** true: only out of hours; false: only in hours; absent: any time. */
    outOfHours: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type RuleConditions = Static<typeof RuleConditions>;

export interface RoutingRule {
  id: string;
  name: string;
  position: number;
  /** null: applies to every service. */
  serviceCode: string | null;
  conditions: RuleConditions;
  bodyId: string;
  teamId: string | null;
  showContact: boolean;
  enabled: boolean;
}

export interface RoutingInput {
  service: {
    code: string;
    name: string;
    defaultBody: string;
    defaultTeam?: string | undefined;
    offeredBy: string[];
  };
  areas: AreaMatch[];
  answers: Record<string, string | string[]>;
  outOfHours: boolean;
  rules: RoutingRule[];
  bodies: BodyRef[];
  teams: TeamRef[];
}

export interface RuleTrace {
  rule: { id: string; name: string; position: number };
  matched: boolean;
  /** Why it did not match (first failing condition), or what it matched on. */
  reason: string;
}

export type RoutingDecision =
  | {
      outcome: 'routed';
      body: BodyRef;
      team: TeamRef | null;
      /** Contact details to show the resident (e.g. the parish clerk's), when the rule asks for it. */
      contact: { name: string; email: string | null; phone: string | null; website: string | null } | null;
      decidedBy: { kind: 'rule'; id: string; name: string; position: number } | { kind: 'default' };
      trace: RuleTrace[];
    }
  | { outcome: 'not_offered'; reason: string; trace: RuleTrace[] };

function answerValues(answers: RoutingInput['answers'], question: string): string[] {
  const value = answers[question];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v) => v !== '');
}

/** Why a condition fails, or undefined if it holds. */
function failingCondition(rule: RoutingRule, input: RoutingInput): string | undefined {
  const { conditions } = rule;
  if (conditions.areaKind || conditions.areaCode) {
    const inKind = input.areas.filter((a) => !conditions.areaKind || a.kind === conditions.areaKind);
    if (conditions.areaCode) {
      if (!inKind.some((a) => a.code === conditions.areaCode)) {
        return `the point is not in ${conditions.areaKind ?? 'area'} ${conditions.areaCode}`;
      }
    } else if (inKind.length === 0) {
      return `the point is not in any ${conditions.areaKind}`;
    }
  }
  for (const condition of conditions.answers ?? []) {
    const given = answerValues(input.answers, condition.question);
    const shown = given.length ? given.join(', ') : 'no answer';
    switch (condition.operator) {
      case 'answered':
        if (given.length === 0) return `${condition.question} was not answered`;
        break;
      case 'not_answered':
        if (given.length > 0) return `${condition.question} was answered (${shown})`;
        break;
      case 'equals':
        if (!(given.length === 1 && given[0] === condition.values[0])) {
          return `${condition.question} is ${shown}, not ${condition.values[0]}`;
        }
        break;
      case 'not_equals':
        if (given.length === 1 && given[0] === condition.values[0])
          return `${condition.question} is ${shown}`;
        break;
      case 'in':
        if (!given.some((v) => condition.values.includes(v))) {
          return `${condition.question} is ${shown}, not one of ${condition.values.join(', ')}`;
        }
        break;
      case 'not_in':
        if (given.some((v) => condition.values.includes(v))) {
          return `${condition.question} is ${shown}, which is one of ${condition.values.join(', ')}`;
        }
        break;
    }
  }
  if (conditions.outOfHours !== undefined && conditions.outOfHours !== input.outOfHours) {
    return conditions.outOfHours ? 'it is within opening hours' : 'it is out of hours';
  }
  return undefined;
}

function describeMatch(rule: RoutingRule): string {
  const parts: string[] = [];
  if (rule.conditions.areaCode)
    parts.push(`in ${rule.conditions.areaKind ?? 'area'} ${rule.conditions.areaCode}`);
  else if (rule.conditions.areaKind) parts.push(`in a ${rule.conditions.areaKind}`);
  for (const c of rule.conditions.answers ?? []) {
    parts.push(
      `${c.question} ${c.operator.replace('_', ' ')}${c.values.length ? ` ${c.values.join(', ')}` : ''}`,
    );
  }
  if (rule.conditions.outOfHours !== undefined)
    parts.push(rule.conditions.outOfHours ? 'out of hours' : 'in hours');
  return parts.length ? `matched: ${parts.join('; ')}` : 'matched: no conditions';
}

export function decideRoute(input: RoutingInput): RoutingDecision {
  const bodiesById = new Map(input.bodies.map((b) => [b.id, b]));
  const teamsById = new Map(input.teams.map((t) => [t.id, t]));
  const trace: RuleTrace[] = [];

  // Only bodies covering the point may receive it (two-tier: county, district and parish may all cover it).
  const coveringBodyIds = new Set(input.areas.map((a) => a.bodyId).filter((id): id is string => id !== null));
  const offeredHere = input.service.offeredBy.filter((code) =>
    input.bodies.some((b) => b.code === code && coveringBodyIds.has(b.id)),
  );
  if (offeredHere.length === 0) {
    return { outcome: 'not_offered', reason: `${input.service.name} is not offered at this location`, trace };
  }

  const applicable = input.rules
    .filter((r) => r.enabled && (r.serviceCode === null || r.serviceCode === input.service.code))
    // Service-specific rules before rules for every service; then by position.
    .sort(
      (a, b) => Number(a.serviceCode === null) - Number(b.serviceCode === null) || a.position - b.position,
    );

  for (const rule of applicable) {
    const ref = { id: rule.id, name: rule.name, position: rule.position };
    const failure = failingCondition(rule, input);
    if (failure) {
      trace.push({ rule: ref, matched: false, reason: failure });
      continue;
    }
    const body = bodiesById.get(rule.bodyId);
    if (!body) {
      trace.push({ rule: ref, matched: false, reason: 'its body no longer exists' });
      continue;
    }
    trace.push({ rule: ref, matched: true, reason: describeMatch(rule) });
    const team = rule.teamId ? (teamsById.get(rule.teamId) ?? null) : null;
    return {
      outcome: 'routed',
      body,
      team,
      contact: rule.showContact
        ? { name: body.name, email: body.email, phone: body.phone, website: body.website }
        : null,
      decidedBy: { kind: 'rule', ...ref },
      trace,
    };
  }

  const body = input.bodies.find((b) => b.code === input.service.defaultBody);
  if (!body) {
    return {
      outcome: 'not_offered',
      reason: `the default body "${input.service.defaultBody}" does not exist`,
      trace,
    };
  }
  const team = input.service.defaultTeam
    ? (input.teams.find((t) => t.code === input.service.defaultTeam && t.bodyId === body.id) ?? null)
    : null;
  return { outcome: 'routed', body, team, contact: null, decidedBy: { kind: 'default' }, trace };
}

/**
 * The services a resident can report at a point: those offered by any body whose area contains it. In a
 * two-tier place that is the union of the county's, the district's and the parish's services.
 */
export function servicesOfferedAt<S extends { offeredBy: string[] }>(
  services: S[],
  areas: AreaMatch[],
  bodies: Pick<BodyRef, 'id' | 'code'>[],
): S[] {
  const covering = new Set(bodies.filter((b) => areas.some((a) => a.bodyId === b.id)).map((b) => b.code));
  return services.filter((s) => s.offeredBy.some((code) => covering.has(code)));
}
