/**
 * The routing rule form and the test bench's answers as pure functions: reading a posted form, a rule
 * back into form values, and checking what the form alone can check (RoutingService checks the rest).
 */
import { asList, asText, type FormErrors } from '../../lib/forms.js';
import type { AnswerCondition } from './routing-engine.js';
import type { Rule, RuleInput } from './routing.service.js';

type Body = Record<string, unknown>;

export const OPERATORS: AnswerCondition['operator'][] = [
  'equals',
  'not_equals',
  'in',
  'not_in',
  'answered',
  'not_answered',
];

export interface RuleFormValues {
  name: string;
  serviceCode: string;
  position: string;
  areaKind: string;
  areaCode: string;
  answers: string;
  outOfHours: string;
  bodyCode: string;
  teamCode: string;
  showContact: boolean;
  enabled: boolean;
}

export function readRuleForm(body: Body): RuleFormValues {
  const flags = asList(body.flags);
  return {
    name: asText(body.name),
    serviceCode: asText(body.serviceCode),
    position: asText(body.position),
    areaKind: asText(body.areaKind),
    areaCode: asText(body.areaCode),
    answers: typeof body.answers === 'string' ? body.answers : '',
    outOfHours: asText(body.outOfHours) || 'any',
    bodyCode: asText(body.bodyCode),
    teamCode: asText(body.teamCode),
    showContact: flags.includes('showContact'),
    enabled: flags.includes('enabled'),
  };
}

export function ruleToForm(rule: Rule): RuleFormValues {
  return {
    name: rule.name,
    serviceCode: rule.serviceCode ?? '',
    position: String(rule.position),
    areaKind: rule.conditions.areaKind ?? '',
    areaCode: rule.conditions.areaCode ?? '',
    answers: (rule.conditions.answers ?? [])
      .map((a) => `${a.question} ${a.operator}${a.values.length ? ` ${a.values.join(', ')}` : ''}`)
      .join('\n'),
    outOfHours: rule.conditions.outOfHours === undefined ? 'any' : rule.conditions.outOfHours ? 'out' : 'in',
    bodyCode: rule.bodyCode,
    teamCode: rule.teamCode ?? '',
    showContact: rule.showContact,
    enabled: rule.enabled,
  };
}

export function parseRuleForm(values: RuleFormValues, errors: FormErrors): RuleInput | undefined {
  const position = Number(values.position);
  if (!values.position || !Number.isInteger(position))
    errors.add('position', 'Enter the position as a whole number, for example 10');
  if (!values.name) errors.add('name', 'Enter a name that says what the rule is for');
  if (!values.bodyCode) errors.add('bodyCode', 'Choose the body that receives the reports');
  const answers: AnswerCondition[] = [];
  for (const [i, line] of values.answers.split(/\r?\n/).entries()) {
    if (!line.trim()) continue;
    const match = /^\s*([a-z][a-z0-9_]*)\s+([a-z_]+)\s*(.*)$/.exec(line);
    const operator = match?.[2] as AnswerCondition['operator'] | undefined;
    if (!match || !operator || !OPERATORS.includes(operator)) {
      errors.add(
        'answers',
        `Line ${i + 1} of the answer conditions: write "question operator values", for example "school equals no"`,
      );
      continue;
    }
    answers.push({
      question: match[1]!,
      operator,
      values: (match[3] ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
    });
  }
  if (errors.any) return undefined;
  return {
    name: values.name,
    serviceCode: values.serviceCode || null,
    position,
    conditions: {
      ...(values.areaKind ? { areaKind: values.areaKind } : {}),
      ...(values.areaCode ? { areaCode: values.areaCode } : {}),
      ...(answers.length ? { answers } : {}),
      ...(values.outOfHours === 'out'
        ? { outOfHours: true }
        : values.outOfHours === 'in'
          ? { outOfHours: false }
          : {}),
    },
    bodyCode: values.bodyCode,
    teamCode: values.teamCode || null,
    showContact: values.showContact,
    enabled: values.enabled,
  };
}

export function addRuleProblem(errors: FormErrors, problem: string): void {
  const field = (
    [
      [/^name:/, 'name'],
      [/^position:/, 'position'],
      [/^body:/, 'bodyCode'],
      [/^team:/, 'teamCode'],
      [/^service:/, 'serviceCode'],
      [/^answers:/, 'answers'],
      [/^area:/, 'areaKind'],
      [/^conditions/, 'answers'],
    ] as const
  ).find(([pattern]) => pattern.test(problem))?.[1];
  errors.add(
    field ?? 'name',
    problem.replace(/^[a-z ]+: /, '').replace(/^./, (c) => c.toUpperCase()),
  );
}

export function describeConditions(conditions: RuleInput['conditions'] & object): string {
  const c = conditions as {
    areaKind?: string;
    areaCode?: string;
    answers?: AnswerCondition[];
    outOfHours?: boolean;
  };
  const parts: string[] = [];
  if (c.areaCode) parts.push(`in ${c.areaKind ?? 'area'} ${c.areaCode}`);
  else if (c.areaKind) parts.push(`in any ${c.areaKind}`);
  for (const a of c.answers ?? [])
    parts.push(
      `${a.question} ${a.operator.replace('_', ' ')}${a.values.length ? ` ${a.values.join(', ')}` : ''}`,
    );
  if (c.outOfHours !== undefined) parts.push(c.outOfHours ? 'out of hours' : 'in hours');
  return parts.length ? parts.join('; ') : 'always';
}

/** "code=value" lines; several values for one code are comma-separated. */
export function parseAnswerLines(text: string, errors: FormErrors): Record<string, string | string[]> {
  const answers: Record<string, string | string[]> = {};
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (!line.trim()) continue;
    const match = /^\s*([a-z][a-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) {
      errors.add('answers', `Line ${i + 1} of the answers: write "question=answer", for example "school=no"`);
      continue;
    }
    const values = match[2]!
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
    answers[match[1]!] = values.length === 1 ? values[0]! : values;
  }
  return answers;
}
