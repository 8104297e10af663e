/**
 * Reading what other Open311 servers answer: tolerant, because real servers differ (../shared/OPEN311.md
 * §1.10 and §3). XML or JSON; the root element's name is ignored; attributes, namespaces and
 * `xsi:nil` are ignored; one child and many children read the same; ids may be numbers or strings;
 * booleans may be `true` or `"true"`; empty elements, `null` and absent fields all mean "not given";
 * dates with or without fractions, with a zone or (legacy) without one.
 */
import { XMLParser } from 'fast-xml-parser';
import { fromLocal } from '../../../lib/working-time.js';

/** What a POST requests answered: an id (realtime), a token to poll (batch), or neither (blackbox). */
export interface CreatedRequest {
  serviceRequestId: string | null;
  token: string | null;
  serviceNotice: string | null;
}

/** One update from GET servicerequestupdates (the mySociety extension). */
export interface RequestUpdate {
  updateId: string;
  serviceRequestId: string;
  /** Lowercase, as sent (`in_progress`, `fixed`, ...); see `ourStatusFor`. */
  status: string;
  description: string;
  updatedAt: Date;
  mediaUrls: string[];
  externalStatusCode: string | null;
  customerReference: string | null;
}

export interface Open311Problem {
  code: string;
  description: string;
}

/** A response that is not what the spec allows: the endpoint's words are kept for the admin. */
export class Open311ResponseError extends Error {
  constructor(
    message: string,
    readonly problems: Open311Problem[] = [],
  ) {
    super(message);
    this.name = 'Open311ResponseError';
  }
}

// Elements that are lists whatever their count (FixMyStreet forces the same ones).
const LIST_ELEMENTS = new Set([
  'service',
  'attribute',
  'value',
  'request',
  'error',
  'request_update',
  'group',
]);

const xmlParser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false, // ids like 001 stay strings
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  isArray: (name) => LIST_ELEMENTS.has(name),
});

type Loose = Record<string, unknown>;

/** The document's content under its root element, whatever the root is called. */
function xmlContent(text: string): unknown {
  let parsed: Loose;
  try {
    parsed = xmlParser.parse(text, true) as Loose;
  } catch (error) {
    throw new Open311ResponseError(`The response is not well-formed XML: ${(error as Error).message}`);
  }
  const roots = Object.keys(parsed);
  if (roots.length !== 1) throw new Open311ResponseError('The XML response has no single root element');
  return parsed[roots[0]!];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Open311ResponseError('The response is not valid JSON');
  }
}

/**
 * The list of `element` items in a response: XML `<root><element/>...</root>`, or JSON as a bare array,
 * or (some servers) wrapped in an object.
 */
function itemsOf(body: unknown, element: string): Loose[] {
  if (Array.isArray(body)) return body.filter(isObject);
  if (!isObject(body)) return [];
  const direct = body[element];
  if (Array.isArray(direct)) return direct.filter(isObject);
  if (isObject(direct)) return [direct];
  // JSON wrapped as { "service_requests": [...] } or { "service_requests": { "request": [...] } }.
  for (const [key, value] of Object.entries(body)) {
    if (LIST_ELEMENTS.has(key)) continue; // another kind of item (an error list is not requests)
    if (Array.isArray(value)) return value.filter(isObject);
    if (isObject(value) && element in value) return itemsOf(value, element);
  }
  return [];
}

function isObject(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field as text, or null when absent, empty, null or nil. Numbers become their decimal text. */
export function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return value.trim() === '' ? null : value.trim();
  if (isObject(value) && '#text' in value) return text(value['#text']);
  return null;
}

function texts(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(text).filter((v): v is string => v !== null);
  if (isObject(value)) {
    // <media_urls><media_url>..</media_url></media_urls>
    return Object.values(value).flatMap(texts);
  }
  const one = text(value);
  return one === null ? [] : [one];
}

const W3C = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?\s*(Z|[+-]\d\d:?\d\d)?$/i;

/**
 * A W3C date-time; leniently, fractions of a second and a missing zone (read as UK local time, the
 * legacy output of some servers) are accepted. Null if it is not a date at all.
 */
export function parseDateTime(value: string | null): Date | null {
  if (!value) return null;
  const match = W3C.exec(value.trim());
  if (!match) return null;
  const [, y, mo, d, h, mi, s = '0', zone] = match;
  if (zone) {
    const normalised = `${y}-${mo}-${d}T${h}:${mi}:${s.padStart(2, '0')}${
      zone.toUpperCase() === 'Z' ? 'Z' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`
    }`;
    const date = new Date(normalised);
    return Number.isNaN(date.getTime()) ? null : date;
  }
  return fromLocal(`${y}-${mo}-${d}`, Number(h) * 60 + Number(mi) + Number(s) / 60, 'Europe/London');
}

/** The body of a response, XML or JSON by its content type (or, failing that, by its first character). */
export function responseBody(bodyText: string, contentType: string | null): unknown {
  const trimmed = bodyText.trimStart();
  const looksJson = trimmed.startsWith('[') || trimmed.startsWith('{');
  if (contentType?.includes('json') || (!contentType?.includes('xml') && looksJson))
    return parseJson(trimmed);
  return xmlContent(trimmed);
}

/** The errors an endpoint sent (`<errors><error>` or `[{"code","description"}]`), if the body is one. */
export function problemsIn(body: unknown): Open311Problem[] {
  return itemsOf(body, 'error')
    .map((e) => ({ code: text(e.code) ?? '', description: text(e.description) ?? '' }))
    .filter((e) => e.code !== '' || e.description !== '');
}

/** The answer to POST requests. Throws if it holds neither an id, a token nor a service notice. */
export function parseCreatedRequest(body: unknown): CreatedRequest {
  const [first] = itemsOf(body, 'request');
  if (!first) {
    const problems = problemsIn(body);
    throw new Open311ResponseError(
      problems.length
        ? `The endpoint refused the request: ${describeProblems(problems)}`
        : 'The response holds no request',
      problems,
    );
  }
  const created = {
    serviceRequestId: text(first.service_request_id),
    token: text(first.token),
    serviceNotice: text(first.service_notice),
  };
  if (!created.serviceRequestId && !created.token && !created.serviceNotice)
    throw new Open311ResponseError('The response gives neither a service_request_id nor a token');
  return created;
}

/** The answer to GET servicerequestupdates: items without an update id are skipped (as FixMyStreet does). */
export function parseRequestUpdates(body: unknown): RequestUpdate[] {
  const updates: RequestUpdate[] = [];
  for (const item of itemsOf(body, 'request_update')) {
    const updateId = text(item.update_id);
    const serviceRequestId = text(item.service_request_id);
    const updatedAt = parseDateTime(text(item.updated_datetime));
    if (!updateId || !serviceRequestId || !updatedAt) continue;
    updates.push({
      updateId,
      serviceRequestId,
      status: (text(item.status) ?? 'unchanged').toLowerCase().replace(/\s+/g, '_'),
      description: (text(item.description) ?? '').replace(/\r\n?/g, '\n'),
      updatedAt,
      mediaUrls: texts(item.media_url),
      externalStatusCode: text(item.external_status_code),
      customerReference: text(item.customer_reference),
    });
  }
  return updates;
}

/** The answer to POST servicerequestupdates: the id the endpoint gave the update. */
export function parsePostedUpdate(body: unknown): { updateId: string } {
  const [first] = itemsOf(body, 'request_update');
  const updateId = first ? text(first.update_id) : null;
  if (!updateId) {
    const problems = problemsIn(body);
    throw new Open311ResponseError(
      problems.length
        ? `The endpoint refused the update: ${describeProblems(problems)}`
        : 'The response gives no update_id',
      problems,
    );
  }
  return { updateId };
}

export function describeProblems(problems: Open311Problem[]): string {
  return problems.map((p) => (p.code ? `${p.code} ${p.description}`.trim() : p.description)).join('; ');
}
