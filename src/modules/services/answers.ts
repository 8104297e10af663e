/**
 * Checks a resident's answers against a service's questions (the same rules for the web form, the JSON
 * API and Open311), and fills in the automated answers Civicdesk knows itself (the ward or parish).
 */
import type { Question, ServiceDefinition } from './service-definition.js';

export type Answers = Record<string, string | string[]>;

export interface AnswerProblem {
  question: string;
  message: string;
}

/** Facts automated questions can be filled from. */
export interface AnswerFacts {
  ward_code?: string;
  parish_code?: string;
  usrn?: string;
}

const MAX_ANSWER_LENGTH = { string: 200, text: 2000 } as const;

function values(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  return (Array.isArray(raw) ? raw : [raw]).map((v) => String(v).trim()).filter((v) => v !== '');
}

function quoted(question: Question): string {
  return `‘${question.text.replace(/[?.]$/, '')}’`;
}

export function checkAnswers(
  definition: ServiceDefinition,
  raw: Record<string, unknown>,
  facts: AnswerFacts = {},
): { answers: Answers; problems: AnswerProblem[] } {
  const answers: Answers = {};
  const problems: AnswerProblem[] = [];
  const problem = (question: Question, message: string) =>
    problems.push({ question: question.code, message });

  for (const question of definition.questions) {
    if (question.datatype === 'notice') continue;
    if (question.automated) {
      const fact = facts[question.automated];
      if (fact) answers[question.code] = fact;
      continue;
    }
    const given = values(raw[question.code]);
    if (given.length === 0) {
      if (question.required) {
        const verb = question.datatype.endsWith('list') ? 'Select' : 'Enter';
        problem(question, `${verb} an answer for ${quoted(question)}`);
      }
      continue;
    }
    switch (question.datatype) {
      case 'singlevaluelist': {
        const option = question.options?.find((o) => o.key === given[0]);
        if (given.length > 1 || !option)
          problem(question, `Select one of the options for ${quoted(question)}`);
        else answers[question.code] = option.key;
        break;
      }
      case 'multivaluelist': {
        const keys = [...new Set(given)];
        const unknown = keys.filter((k) => !question.options?.some((o) => o.key === k));
        if (unknown.length) problem(question, `Select from the options given for ${quoted(question)}`);
        else answers[question.code] = keys;
        break;
      }
      case 'number': {
        const text = given[0]!;
        if (given.length > 1 || !/^-?\d+(\.\d+)?$/.test(text)) {
          problem(question, `Enter a number for ${quoted(question)}, like 3 or 2.5`);
        } else answers[question.code] = text;
        break;
      }
      case 'datetime': {
        const text = given[0]!;
        const date = new Date(text);
        if (given.length > 1 || Number.isNaN(date.getTime())) {
          problem(question, `Enter a real date and time for ${quoted(question)}`);
        } else answers[question.code] = date.toISOString();
        break;
      }
      case 'string':
      case 'text': {
        const text = given.join(' ');
        const max = MAX_ANSWER_LENGTH[question.datatype];
        if (text.length > max) problem(question, `${quoted(question)} must be ${max} characters or fewer`);
        else answers[question.code] = text;
        break;
      }
    }
  }
  return { answers, problems };
}
