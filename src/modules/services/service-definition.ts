/**
 * What a service is, as data: its questions (the Open311 attribute model, so the same definition serves
 * the web form and GeoReport clients), its timescale, and what the resident is told. Admins edit these;
 * no code changes to add a service.
 */
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';

const Code = Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$', description: 'lower case, digits and _' });

export const QuestionOption = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 100 }),
    name: Type.String({ minLength: 1, maxLength: 300 }),
    /** Choosing this answer ends the form with this message (e.g. "Call 999 now"). */
    stop: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
  },
  { additionalProperties: false },
);

export const QUESTION_DATATYPES = [
  'string',
  'text',
  'number',
  'datetime',
  'singlevaluelist',
  'multivaluelist',
  'notice',
] as const;
export type QuestionDatatype = (typeof QUESTION_DATATYPES)[number];

export const Question = Type.Object(
  {
    code: Code,
    text: Type.String({ minLength: 1, maxLength: 500 }),
    hint: Type.Optional(Type.String({ maxLength: 1000 })),
    /** Open311 datatypes, plus "notice": text shown to the resident that asks nothing (Open311 variable=false). */
    datatype: Type.Union([
      Type.Literal('string'),
      Type.Literal('text'),
      Type.Literal('number'),
      Type.Literal('datetime'),
      Type.Literal('singlevaluelist'),
      Type.Literal('multivaluelist'),
      Type.Literal('notice'),
    ]),
    required: Type.Boolean({ default: false }),
    /**
     * Filled in by Civicdesk, not asked (Open311 "automated"): e.g. the parish the point is in. The value
     * is a routing fact name.
     */
    automated: Type.Optional(
      Type.Union([Type.Literal('ward_code'), Type.Literal('parish_code'), Type.Literal('usrn')]),
    ),
    options: Type.Optional(Type.Array(QuestionOption, { maxItems: 100 })),
  },
  { additionalProperties: false },
);
export type Question = Static<typeof Question>;

export const Timescale = Type.Union([
  Type.Object(
    { unit: Type.Literal('working_days'), amount: Type.Integer({ minimum: 0, maximum: 365 }) },
    { additionalProperties: false },
  ),
  Type.Object(
    { unit: Type.Literal('working_hours'), amount: Type.Integer({ minimum: 1, maximum: 2000 }) },
    { additionalProperties: false },
  ),
  Type.Object(
    { unit: Type.Literal('calendar_days'), amount: Type.Integer({ minimum: 0, maximum: 365 }) },
    { additionalProperties: false },
  ),
]);

export const ServiceDefinition = Type.Object(
  {
    questions: Type.Array(Question, { maxItems: 50, default: [] }),
    timescale: Timescale,
    /** Which calendar the timescale counts on; default "standard". */
    calendar: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', default: 'standard' }),
    whatHappensNext: Type.String({ maxLength: 2000, default: '' }),
    photos: Type.Object(
      {
        allowed: Type.Boolean({ default: true }),
        required: Type.Boolean({ default: false }),
        max: Type.Integer({ minimum: 0, maximum: 10, default: 3 }),
      },
      { additionalProperties: false, default: { allowed: true, required: false, max: 3 } },
    ),
    anonymousAllowed: Type.Boolean({ default: false }),
    /**
     * The receipt email for this service, if not the standard one. Plain text with placeholders such as
     * {{reference}}, {{service}}, {{location}}, {{handled_by}}, {{due_date}}, {{what_happens_next}},
     * {{track_url}} and {{council}}; the HTML version is made from it.
     */
    receiptTemplate: Type.Optional(
      Type.Object(
        {
          subject: Type.String({ minLength: 1, maxLength: 200 }),
          body: Type.String({ minLength: 1, maxLength: 5000 }),
        },
        { additionalProperties: false },
      ),
    ),
    /** Where a case goes when no routing rule matches. */
    defaultBody: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    defaultTeam: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' })),
  },
  { additionalProperties: false },
);
export type ServiceDefinition = Static<typeof ServiceDefinition>;

const compiledDefinition = Compile(ServiceDefinition);

/** Problems with a definition that the schema cannot see on its own (cross-field rules). */
export function definitionProblems(definition: ServiceDefinition): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [i, q] of definition.questions.entries()) {
    const where = `question ${i + 1} (${q.code})`;
    if (seen.has(q.code)) problems.push(`${where}: the code "${q.code}" is used twice`);
    seen.add(q.code);
    const isList = q.datatype === 'singlevaluelist' || q.datatype === 'multivaluelist';
    if (isList && (!q.options || q.options.length < 2))
      problems.push(`${where}: a list needs at least 2 options`);
    if (!isList && q.options?.length) problems.push(`${where}: only list questions have options`);
    if (q.datatype === 'notice' && q.required)
      problems.push(`${where}: a notice asks nothing, so cannot be required`);
    const keys = new Set<string>();
    for (const option of q.options ?? []) {
      if (keys.has(option.key)) problems.push(`${where}: the option key "${option.key}" is used twice`);
      keys.add(option.key);
    }
  }
  if (definition.photos.required && !definition.photos.allowed)
    problems.push('photos: required but not allowed');
  if (definition.photos.required && definition.photos.max < 1)
    problems.push('photos: required but at most 0 allowed');
  return problems;
}

export class InvalidDefinitionError extends Error {
  constructor(readonly problems: string[]) {
    super(`The service definition is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'InvalidDefinitionError';
  }
}

/** Fills defaults, then checks the schema and the cross-field rules. Throws with every problem. */
export function parseDefinition(input: unknown): ServiceDefinition {
  const withDefaults = Value.Default(ServiceDefinition, Value.Clone(input ?? {}));
  // Definitions are read on every report: check with the compiled validator, and only walk the schema
  // for readable messages when the check fails.
  if (!compiledDefinition.Check(withDefaults)) {
    const schemaProblems = [...compiledDefinition.Errors(withDefaults)].map(
      (e) => `${e.instancePath || '(definition)'}: ${e.message}`,
    );
    throw new InvalidDefinitionError(schemaProblems);
  }
  const definition = withDefaults as ServiceDefinition;
  const problems = definitionProblems(definition);
  if (problems.length) throw new InvalidDefinitionError(problems);
  return definition;
}

/** The stop message for the given answers, if any answer is a "stop" answer. */
export function stopFor(
  definition: ServiceDefinition,
  answers: Record<string, string | string[]>,
): string | undefined {
  for (const question of definition.questions) {
    const given = answers[question.code];
    const chosen = Array.isArray(given) ? given : given === undefined ? [] : [given];
    for (const option of question.options ?? []) {
      if (option.stop && chosen.includes(option.key)) return option.stop;
    }
  }
  return undefined;
}
