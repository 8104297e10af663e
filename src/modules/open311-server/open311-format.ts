/**
 * The Open311 GeoReport v2 answers as one typed model, written out as XML or JSON from the same tree.
 *
 * Each answer is first turned into a small tree of nodes that says explicitly what is a scalar, what is
 * an object (named fields) and what is a list (repeated elements). The XML writer and the JSON writer
 * both walk that tree, so the two formats cannot disagree, and the JSON follows the spec's "Spark"
 * mapping without the guesswork of a generic XML-to-JSON converter: a list is a JSON array even with
 * one item, ids are strings, booleans are booleans, dates are W3C date-times with a zone and no
 * fractional seconds. Absent optional fields are left out of both.
 */
import { escapeXml, XML_DECLARATION } from '../../lib/xml.js';

export type Format = 'xml' | 'json';

export const CONTENT_TYPES: Record<Format, string> = {
  xml: 'text/xml; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

type Scalar = string | number | boolean | Date;

/** A node of an answer: a scalar element, an element of named fields, or a list of repeated elements. */
export type Node =
  { name: string; text: Scalar } | { name: string; fields: Node[] } | { name: string; items: Node[] };

/** W3C date-time in UTC to the second (no fraction: open311-adapter refuses `.000Z`). */
export function w3c(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function scalarText(value: Scalar): string {
  if (value instanceof Date) return w3c(value);
  return String(value);
}

function scalarJson(value: Scalar): string | number | boolean {
  return value instanceof Date ? w3c(value) : value;
}

export function toXml(node: Node): string {
  return `${XML_DECLARATION}\n${xmlOf(node)}`;
}

function xmlOf(node: Node): string {
  if ('text' in node) return `<${node.name}>${escapeXml(scalarText(node.text))}</${node.name}>`;
  const children = 'fields' in node ? node.fields : node.items;
  return `<${node.name}>${children.map(xmlOf).join('')}</${node.name}>`;
}

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export function toJson(node: Node): Json {
  if ('text' in node) return scalarJson(node.text);
  if ('items' in node) return node.items.map(toJson);
  const object: Record<string, Json> = {};
  for (const field of node.fields) object[field.name] = toJson(field);
  return object;
}

export function render(node: Node, format: Format): string {
  return format === 'xml' ? toXml(node) : JSON.stringify(toJson(node));
}

// ---------------------------------------------------------------------------------------------------------
// Node builders.

/** A scalar field, or nothing when the value is absent (undefined or null). */
export function field(name: string, value: Scalar | null | undefined): Node | undefined {
  return value === undefined || value === null ? undefined : { name, text: value };
}

export function object(name: string, fields: (Node | undefined)[]): Node {
  return { name, fields: fields.filter((f): f is Node => f !== undefined) };
}

export function list(name: string, items: Node[]): Node {
  return { name, items };
}

// ---------------------------------------------------------------------------------------------------------
// The model: what each resource says, in the spec's own names and order.

export interface Open311Discovery {
  changeset: Date;
  contact: string;
  keyService: string;
  endpoints: { url: string; changeset: Date; type: 'production' | 'test'; formats: string[] }[];
  maxRequests: number;
}

export interface Open311Service {
  serviceCode: string;
  serviceName: string;
  description: string;
  metadata: boolean;
  type: 'realtime' | 'batch' | 'blackbox';
  keywords: string[];
  group: string;
  /** mySociety: every group the service is in. */
  groups: string[];
}

export interface Open311Attribute {
  /** false: text shown to the person reporting, not a question. */
  variable: boolean;
  code: string;
  datatype: 'string' | 'number' | 'datetime' | 'text' | 'singlevaluelist' | 'multivaluelist';
  required: boolean;
  datatypeDescription: string;
  order: number;
  description: string;
  /** mySociety: server_set (the server fills it in: do not ask), hidden_field (send, do not show). */
  automated?: 'server_set' | 'hidden_field';
  values?: { key: string; name: string }[];
}

export interface Open311ServiceDefinition {
  serviceCode: string;
  attributes: Open311Attribute[];
}

export interface Open311Request {
  serviceRequestId: string;
  status: 'open' | 'closed';
  statusNotes?: string;
  serviceName: string;
  serviceCode: string;
  description: string;
  agencyResponsible?: string;
  serviceNotice?: string;
  requestedDatetime: Date;
  updatedDatetime: Date;
  expectedDatetime?: Date;
  address?: string;
  addressId?: string;
  zipcode?: string;
  lat: number;
  long: number;
  mediaUrl?: string;
}

/** The answer to POST requests (and tokens/{token}): an id or a token, never both from POST. */
export interface Open311Created {
  serviceRequestId?: string;
  token?: string;
  serviceNotice?: string;
  accountId?: string;
}

export interface Open311Update {
  updateId: string;
  serviceRequestId: string;
  /** Extended status, lowercase. */
  status: string;
  updatedDatetime: Date;
  description: string;
  /** Required by mySociety's schema, may be empty. */
  mediaUrl: string;
  externalStatusCode?: string;
}

export interface Open311Error {
  code: number;
  description: string;
}

const SPEC = 'http://wiki.open311.org/GeoReport_v2';

export function discoveryNode(d: Open311Discovery): Node {
  return object('discovery', [
    field('changeset', d.changeset),
    field('contact', d.contact),
    field('key_service', d.keyService),
    field('max_requests', d.maxRequests),
    list(
      'endpoints',
      d.endpoints.map((e) =>
        object('endpoint', [
          field('specification', SPEC),
          field('url', e.url),
          field('changeset', e.changeset),
          field('type', e.type),
          list(
            'formats',
            e.formats.map((f) => ({ name: 'format', text: f })),
          ),
        ]),
      ),
    ),
  ]);
}

export function servicesNode(services: Open311Service[]): Node {
  return list(
    'services',
    services.map((s) =>
      object('service', [
        field('service_code', s.serviceCode),
        field('service_name', s.serviceName),
        field('description', s.description),
        field('metadata', s.metadata),
        field('type', s.type),
        field('keywords', s.keywords.join(',')),
        field('group', s.group),
        list(
          'groups',
          s.groups.map((g) => ({ name: 'group', text: g })),
        ),
      ]),
    ),
  );
}

export function serviceDefinitionNode(d: Open311ServiceDefinition): Node {
  return object('service_definition', [
    field('service_code', d.serviceCode),
    list(
      'attributes',
      d.attributes.map((a) =>
        object('attribute', [
          field('variable', a.variable),
          field('code', a.code),
          field('datatype', a.datatype),
          field('required', a.required),
          field('datatype_description', a.datatypeDescription),
          field('order', a.order),
          field('description', a.description),
          field('automated', a.automated),
          a.values
            ? list(
                'values',
                a.values.map((v) => object('value', [field('key', v.key), field('name', v.name)])),
              )
            : undefined,
        ]),
      ),
    ),
  ]);
}

export function requestsNode(requests: Open311Request[]): Node {
  return list(
    'service_requests',
    requests.map((r) =>
      object('request', [
        field('service_request_id', r.serviceRequestId),
        field('status', r.status),
        field('status_notes', r.statusNotes),
        field('service_name', r.serviceName),
        field('service_code', r.serviceCode),
        field('description', r.description),
        field('agency_responsible', r.agencyResponsible),
        field('service_notice', r.serviceNotice),
        field('requested_datetime', r.requestedDatetime),
        field('updated_datetime', r.updatedDatetime),
        field('expected_datetime', r.expectedDatetime),
        field('address', r.address),
        field('address_id', r.addressId),
        field('zipcode', r.zipcode),
        field('lat', r.lat),
        field('long', r.long),
        field('media_url', r.mediaUrl),
      ]),
    ),
  );
}

export function createdNode(created: Open311Created[]): Node {
  return list(
    'service_requests',
    created.map((c) =>
      object('request', [
        field('service_request_id', c.serviceRequestId),
        field('token', c.token),
        field('service_notice', c.serviceNotice),
        field('account_id', c.accountId),
      ]),
    ),
  );
}

export function updatesNode(updates: Open311Update[]): Node {
  return list(
    'service_request_updates',
    updates.map((u) =>
      object('request_update', [
        field('update_id', u.updateId),
        field('service_request_id', u.serviceRequestId),
        field('status', u.status),
        field('updated_datetime', u.updatedDatetime),
        field('description', u.description),
        field('media_url', u.mediaUrl),
        field('external_status_code', u.externalStatusCode),
      ]),
    ),
  );
}

export function postedUpdateNode(updateId: string): Node {
  return list('service_request_updates', [object('request_update', [field('update_id', updateId)])]);
}

export function errorsNode(errors: Open311Error[]): Node {
  return list(
    'errors',
    errors.map((e) => object('error', [field('code', e.code), field('description', e.description)])),
  );
}
