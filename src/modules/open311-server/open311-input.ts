/**
 * Reading what Open311 clients send, tolerantly: form fields that may be repeated or sent empty (empty
 * means absent), attributes as `attribute[code]` (repeated for a list, as FixMyStreet sends them) or
 * `attribute[code][]` (as the spec writes them), CRLF line breaks, and W3C dates.
 */
import { AppError } from '../../lib/errors.js';

export type Form = Record<string, unknown>;

/** The form as an object (a body that is not one, e.g. none at all, is an empty form). */
export function asForm(value: unknown): Form {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Form) : {};
}

function strings(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value])
    .filter((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
    .map((v) => String(v));
}

/** One field: the first non-empty value sent, trimmed, or undefined. */
export function text(form: Form, name: string): string | undefined {
  for (const value of strings(form[name])) {
    const trimmed = value.trim();
    if (trimmed !== '') return trimmed;
  }
  return undefined;
}

/** Every non-empty value of a field that may be repeated. */
export function texts(form: Form, name: string): string[] {
  return strings(form[name])
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** A comma-separated list field ("a,b , c"), empty entries dropped. */
export function commaList(form: Form, name: string): string[] | undefined {
  const values = texts(form, name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  return values.length ? values : undefined;
}

/** Line breaks as \n, whatever the client sent (CRLF from form posts, a lone CR from old clients). */
export function normaliseLineBreaks(value: string): string {
  return value.replace(/\r\n?/g, '\n');
}

/**
 * `attribute[code]=v` and `attribute[code][]=v` (each possibly repeated) as answers by code: a list
 * when more than one value came, else the one value.
 */
export function attributes(form: Form): Record<string, string | string[]> {
  const collected = new Map<string, string[]>();
  for (const [key, value] of Object.entries(form)) {
    const match = /^attribute\[([^\][]{1,100})\](\[\])?$/.exec(key);
    if (!match) continue;
    const code = match[1]!;
    const values = strings(value).map((v) => normaliseLineBreaks(v).trim());
    collected.set(code, [...(collected.get(code) ?? []), ...values]);
  }
  const answers: Record<string, string | string[]> = {};
  for (const [code, values] of collected) {
    const given = values.filter((v) => v !== '');
    if (given.length === 0) continue;
    answers[code] = given.length === 1 ? given[0]! : given;
  }
  return answers;
}

const W3C = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?)?\s*(Z|[+-]\d\d:?\d\d)?$/i;

/**
 * A W3C date-time (a zone is expected; one without is read as UTC, a date alone as its midnight UTC).
 * Throws a 400 naming the field when it is not a date.
 */
export function w3cDate(value: string, field: string): Date {
  const match = W3C.exec(value.trim());
  const date = match
    ? new Date(
        `${match[1]}-${match[2]}-${match[3]}T${match[4] ?? '00'}:${match[5] ?? '00'}:${match[6] ?? '00'}${
          match[7]
            ? match[7].toUpperCase() === 'Z'
              ? 'Z'
              : match[7].replace(/^([+-]\d\d)(\d\d)$/, '$1:$2')
            : 'Z'
        }`,
      )
    : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw new AppError('bad_request', `${field} must be a W3C date-time, like 2026-12-05T13:15:30Z`, [
      { field, message: 'must be a W3C date-time, like 2026-12-05T13:15:30Z' },
    ]);
  }
  return date;
}

/** A decimal coordinate, or undefined when absent; a 400 when it is not a number. */
export function coordinate(form: Form, name: string): number | undefined {
  const value = text(form, name);
  if (value === undefined) return undefined;
  if (!/^[+-]?\d{1,3}(\.\d+)?$/.test(value)) {
    throw new AppError('bad_request', `${name} must be a decimal number (WGS84)`, [
      { field: name, message: 'must be a decimal number (WGS84)' },
    ]);
  }
  return Number(value);
}
