/**
 * The service and question admin forms as pure functions: reading a posted form into its values, a
 * service or question back into form values, and checking what the form alone can check (the services
 * module's own rules come back from ServicesService.problems and are mapped onto the fields here).
 */
import { fillTemplate } from '../../lib/email-template.js';
import { asList, asText, type FormErrors } from '../../lib/forms.js';
import { RECEIPT_PLACEHOLDERS } from './receipt-template.js';
import { QUESTION_DATATYPES, type Question } from './service-definition.js';
import type { Service, ServiceInput } from './services.service.js';

type Body = Record<string, unknown>;

export const DATATYPE_LABELS: Record<(typeof QUESTION_DATATYPES)[number], string> = {
  string: 'Short text',
  text: 'Long text',
  number: 'Number',
  datetime: 'Date and time',
  singlevaluelist: 'Choose one option',
  multivaluelist: 'Choose one or more options',
  notice: 'Information only (asks nothing)',
};

export interface ServiceFormValues {
  code: string;
  name: string;
  group: string;
  description: string;
  keywords: string;
  offeredBy: string[];
  defaultBody: string;
  defaultTeam: string;
  timescaleUnit: 'working_days' | 'working_hours' | 'calendar_days';
  timescaleAmount: string;
  calendar: string;
  whatHappensNext: string;
  receiptSubject: string;
  receiptBody: string;
  isPublic: boolean;
  active: boolean;
  anonymousAllowed: boolean;
  photosAllowed: boolean;
  photosRequired: boolean;
  photosMax: string;
}

export function readServiceForm(body: Body): ServiceFormValues {
  const unit = asText(body.timescaleUnit);
  const flags = asList(body.flags);
  return {
    code: asText(body.code),
    name: asText(body.name),
    group: asText(body.group),
    description: asText(body.description),
    keywords: asText(body.keywords),
    offeredBy: asList(body.offeredBy),
    defaultBody: asText(body.defaultBody),
    defaultTeam: asText(body.defaultTeam),
    timescaleUnit: unit === 'working_hours' || unit === 'calendar_days' ? unit : 'working_days',
    timescaleAmount: asText(body.timescaleAmount),
    calendar: asText(body.calendar),
    whatHappensNext: asText(body.whatHappensNext),
    receiptSubject: asText(body.receiptSubject),
    // Not trimmed line by line: the body's blank lines are its paragraphs.
    receiptBody: typeof body.receiptBody === 'string' ? body.receiptBody.replace(/\r\n/g, '\n').trim() : '',
    isPublic: flags.includes('public'),
    active: flags.includes('active'),
    anonymousAllowed: flags.includes('anonymous'),
    photosAllowed: flags.includes('photos'),
    photosRequired: flags.includes('photosRequired'),
    photosMax: asText(body.photosMax),
  };
}

export function serviceToForm(service: Service): ServiceFormValues {
  const d = service.definition;
  return {
    code: service.code,
    name: service.name,
    group: service.group,
    description: service.description,
    keywords: service.keywords.join(', '),
    offeredBy: service.offeredBy,
    defaultBody: d.defaultBody,
    defaultTeam: d.defaultTeam ?? '',
    timescaleUnit: d.timescale.unit,
    timescaleAmount: String(d.timescale.amount),
    calendar: d.calendar,
    whatHappensNext: d.whatHappensNext,
    receiptSubject: d.receiptTemplate?.subject ?? '',
    receiptBody: d.receiptTemplate?.body ?? '',
    isPublic: service.isPublic,
    active: service.active,
    anonymousAllowed: d.anonymousAllowed,
    photosAllowed: d.photos.allowed,
    photosRequired: d.photos.required,
    photosMax: String(d.photos.max),
  };
}

export function serviceInputFrom(service: Service, definition: Service['definition']): ServiceInput {
  return {
    code: service.code,
    name: service.name,
    group: service.group,
    description: service.description,
    keywords: service.keywords,
    isPublic: service.isPublic,
    active: service.active,
    offeredBy: service.offeredBy,
    definition,
  };
}

/**
 * The service's own receipt email, if the admin wrote one: both parts or neither, and only the
 * placeholders the receipt knows (a misspelt one would otherwise come out blank in residents' email).
 */
export function checkReceiptTemplate(values: ServiceFormValues, errors: FormErrors) {
  if (!values.receiptSubject && !values.receiptBody) return undefined;
  if (!values.receiptSubject)
    errors.add(
      'receiptSubject',
      'Enter a subject for the receipt email, or clear both parts to use the standard one',
    );
  if (!values.receiptBody)
    errors.add(
      'receiptBody',
      'Enter the text of the receipt email, or clear both parts to use the standard one',
    );
  const known = Object.fromEntries(RECEIPT_PLACEHOLDERS.map((p) => [p, '']));
  for (const [field, text] of [
    ['receiptSubject', values.receiptSubject],
    ['receiptBody', values.receiptBody],
  ] as const) {
    const { unknown } = fillTemplate(text, known);
    if (unknown.length) {
      errors.add(
        field,
        `${unknown.map((u) => `{{${u}}}`).join(', ')} is not a placeholder the receipt knows: use ${RECEIPT_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
      );
    }
  }
  if (values.receiptSubject.length > 200)
    errors.add('receiptSubject', 'The subject must be 200 characters or fewer');
  if (values.receiptBody.length > 5000)
    errors.add('receiptBody', 'The text must be 5,000 characters or fewer');
  return values.receiptSubject && values.receiptBody
    ? { subject: values.receiptSubject, body: values.receiptBody }
    : undefined;
}

/** Maps the services module's problem sentences onto the form's fields. */
export function addServiceProblem(errors: FormErrors, problem: string): void {
  const field = (
    [
      [/^code:/, 'code'],
      [/^name:/, 'name'],
      [/^offered by:/, 'offeredBy'],
      [/^default body:/, 'defaultBody'],
      [/^default team:/, 'defaultTeam'],
      [/^\/timescale/, 'timescaleAmount'],
      [/^\/whatHappensNext/, 'whatHappensNext'],
      [/^photos/, 'photosMax'],
      [/^\/calendar/, 'calendar'],
    ] as const
  ).find(([pattern]) => pattern.test(problem))?.[1];
  errors.add(
    field ?? 'name',
    problem.replace(/^[^:]+: /, (prefix) => (field ? '' : prefix)).replace(/^./, (c) => c.toUpperCase()),
  );
}

export interface QuestionFormValues {
  code: string;
  text: string;
  hint: string;
  datatype: string;
  required: boolean;
  options: string;
  position: string;
}

export function readQuestionForm(body: Body): QuestionFormValues {
  return {
    code: asText(body.code),
    text: asText(body.text),
    hint: asText(body.hint),
    datatype: asText(body.datatype),
    required: asList(body.flags).includes('required'),
    options: typeof body.options === 'string' ? body.options : '',
    position: asText(body.position),
  };
}

export function questionToForm(question: Question): QuestionFormValues {
  return {
    code: question.code,
    text: question.text,
    hint: question.hint ?? '',
    datatype: question.datatype,
    required: question.required,
    options: (question.options ?? [])
      .map((o) => [o.key, o.name, ...(o.stop ? [o.stop] : [])].join(' | '))
      .join('\n'),
    position: '',
  };
}

export function datatypeItems(selected: string) {
  return QUESTION_DATATYPES.map((d) => ({ value: d, text: DATATYPE_LABELS[d], checked: d === selected }));
}

export function parseQuestionForm(values: QuestionFormValues, errors: FormErrors): Question | undefined {
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(values.code)) {
    errors.add(
      'code',
      'Enter a code of lower-case letters, digits and _ that starts with a letter, for example "bin_colour"',
    );
  }
  if (!values.text) errors.add('text', 'Enter the question as the resident will see it');
  if (!(QUESTION_DATATYPES as readonly string[]).includes(values.datatype)) {
    errors.add('datatype', 'Choose what kind of answer the question takes');
  }
  const options: NonNullable<Question['options']> = [];
  for (const [i, line] of values.options.split(/\r?\n/).entries()) {
    if (!line.trim()) continue;
    const [key, name, stop] = line.split('|').map((part) => part.trim());
    if (!key || !name) {
      errors.add(
        'options',
        `Line ${i + 1} of the options: write each option as "key | name", or "key | name | stop message"`,
      );
      continue;
    }
    options.push({ key, name, ...(stop ? { stop } : {}) });
  }
  const isList = values.datatype === 'singlevaluelist' || values.datatype === 'multivaluelist';
  if (isList && options.length < 2) errors.add('options', 'Enter at least 2 options, one on each line');
  if (!isList && options.length)
    errors.add(
      'options',
      'Only questions with options to choose from have options: remove them or change the kind of answer',
    );
  if (values.datatype === 'notice' && values.required)
    errors.add('datatype', 'Information only asks nothing, so it cannot be required');
  if (errors.any) return undefined;
  return {
    code: values.code,
    text: values.text,
    ...(values.hint ? { hint: values.hint } : {}),
    datatype: values.datatype as Question['datatype'],
    required: values.required,
    ...(isList ? { options } : {}),
  };
}
