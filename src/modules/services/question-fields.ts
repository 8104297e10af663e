/**
 * A service's questions as form fields (the parameters `partials/service-questions.njk` passes to the
 * GOV.UK macros), and reading the answers back from a posted form. Shared by every front that asks
 * them: the resident's journey and the contact centre's phone report.
 */
import { asList, asText, type FormErrors } from '../../lib/forms.js';
import type { Question, ServiceDefinition } from './service-definition.js';

/** Field ids are `answers-<code>`, so an error summary link lands on the question. */
export function questionFieldId(code: string): string {
  return `answers-${code}`;
}

export function questionItems(questions: Question[], answers: Record<string, unknown>, errors: FormErrors) {
  const byField = errors.byField;
  return questions.map((q) => {
    const value = answers[q.code];
    const chosen = Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)];
    const optional = q.required ? '' : ' (optional)';
    return {
      code: q.code,
      datatype: q.datatype,
      label: q.text + (q.datatype === 'notice' ? '' : optional),
      hint: q.hint,
      value: chosen.join(', '),
      items: (q.options ?? []).map((o) => ({
        value: o.key,
        text: o.name,
        checked: chosen.includes(o.key),
      })),
      error: byField[questionFieldId(q.code)],
    };
  });
}

/** The raw answers to a service's questions from a posted form (checked later by checkAnswers). */
export function answersFromForm(definition: ServiceDefinition, body: Record<string, unknown>) {
  const raw: Record<string, unknown> = {};
  for (const q of definition.questions) {
    if (q.datatype === 'multivaluelist') raw[q.code] = asList(body[q.code]);
    else if (body[q.code] !== undefined) raw[q.code] = asText(body[q.code]);
  }
  return raw;
}
