/**
 * The rules of the Open311 GeoReport v2 server: what services and questions are offered, how a POSTed
 * request becomes a case (through the one intake every front uses, channel "open311"), which public
 * cases and updates are listed, and how another system's update is applied to a case's timeline
 * (through the case-work service, so the resident is told as for an officer's update).
 */
import type { IntegrationUpdate } from '../cases/index.js';
import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CaseStatus, Database } from '../../db/database.js';
import { AppError, type FieldError } from '../../lib/errors.js';
import type { ApiClient, ApiClientsService } from '../api-clients/api-clients.service.js';
import { CLOSING_STATUSES } from '../../lib/case-status.js';
import { OUR_STATUS_TO_EXTENDED, ourStatusFor } from '../delivery/open311/open311-client.js';
import type { GazetteerService } from '../gazetteer/gazetteer.service.js';
import type { PhotoService } from '../photos/photos.service.js';
import type { IntakeService } from '../cases/index.js';
import { STATUS_LABELS } from '../../lib/case-status.js';
import type { Service, ServicesService } from '../services/services.service.js';
import type {
  Open311Attribute,
  Open311Created,
  Open311Discovery,
  Open311Request,
  Open311Service,
  Open311ServiceDefinition,
  Open311Update,
} from './open311-format.js';
import {
  attributes,
  commaList,
  coordinate,
  normaliseLineBreaks,
  text,
  texts,
  w3cDate,
  type Form,
} from './open311-input.js';
import * as repo from './open311-server.repository.js';

/** The spec's default window for GET requests, and its most. */
export const WINDOW_DAYS = 90;
/** GET requests answers at most this many without paging. */
export const MAX_REQUESTS = 1000;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
/** GET servicerequestupdates: default window (FixMyStreet asks for the last two hours). */
const UPDATES_DEFAULT_HOURS = 24;
const DAY_MS = 24 * 3600_000;
const MAX_DESCRIPTION = 4000;

/** When this version of the interface last changed (discovery's changeset). */
const CHANGESET = new Date('2026-12-05T13:00:00Z');

/** What a client may do: POST requests needs one of these, POST servicerequestupdates open311:write. */
const POST_REQUEST_SCOPES = ['reports:write', 'open311:write'];
const POST_UPDATE_SCOPE = 'open311:write';

/** FixMyStreet's placeholder for a report that was not put on a map (Bromley). */
const NOT_PINPOINTED = '#NOTPINPOINTED#';

export type UpdateCase = IntegrationUpdate;

export interface Open311ServerDeps {
  services: ServicesService;
  gazetteer: GazetteerService;
  intake: IntakeService;
  apiClients: ApiClientsService;
  updateCase: UpdateCase;
  photos: Pick<PhotoService, 'upload' | 'urlFor' | 'maxPerOwner'>;
  /** Open public reports of a service near a point (the web journey's "already reported?"). */
  nearbyOpen: (point: { lat: number; lon: number }, serviceCode: string) => Promise<{ reference: string }[]>;
  baseUrl: string;
  councilName: string;
}

/** Our status in Open311's two words. */
export function openOrClosed(status: CaseStatus): 'open' | 'closed' {
  return CLOSING_STATUSES.has(status) ? 'closed' : 'open';
}

/** Our status as mySociety's extended status, lowercase as GET answers give it. */
export function extendedStatus(status: CaseStatus): string {
  return OUR_STATUS_TO_EXTENDED[status].toLowerCase();
}

function notFound(description: string): AppError {
  return new AppError('not_found', description);
}

function badRequest(field: string, message: string): AppError {
  return new AppError('bad_request', `${field}: ${message}`, [{ field, message }]);
}

export class Open311ServerService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly deps: Open311ServerDeps,
  ) {}

  get endpointUrl(): string {
    return `${this.deps.baseUrl}/open311/v2`;
  }

  discovery(): Open311Discovery {
    return {
      changeset: CHANGESET,
      contact: `${this.deps.councilName}: ${this.deps.baseUrl}`,
      keyService: `Ask ${this.deps.councilName}'s administrators for an API key (it is needed to post requests and updates).`,
      maxRequests: MAX_REQUESTS,
      endpoints: [
        {
          url: this.endpointUrl,
          changeset: CHANGESET,
          type: 'production',
          formats: ['text/xml', 'application/json'],
        },
      ],
    };
  }

  async services(): Promise<Open311Service[]> {
    const services = await this.deps.services.list();
    return services.map((s) => ({
      serviceCode: s.code,
      serviceName: s.name,
      description: s.description,
      metadata: s.definition.questions.length > 0,
      type: 'realtime',
      // mySociety's magic keyword: reports of this service are not shown publicly.
      keywords: [...s.keywords, ...(s.isPublic ? [] : ['private'])],
      group: s.group,
      groups: s.group ? [s.group] : [],
    }));
  }

  private async activeService(code: string): Promise<Service> {
    const service = await this.deps.services.get(code);
    if (!service || !service.active) throw notFound(`There is no service with the code "${code}"`);
    return service;
  }

  async serviceDefinition(code: string): Promise<Open311ServiceDefinition> {
    const service = await this.activeService(code);
    return {
      serviceCode: service.code,
      attributes: service.definition.questions.map((q, index): Open311Attribute => {
        const base = {
          code: q.code,
          datatypeDescription: q.hint ?? '',
          order: index + 1,
          description: q.text,
        };
        if (q.datatype === 'notice') return { ...base, variable: false, datatype: 'string', required: false };
        return {
          ...base,
          variable: true,
          datatype: q.datatype,
          // Civicdesk fills automated answers in from the point (ward, parish): never asked of anyone.
          required: q.automated ? false : q.required,
          ...(q.automated ? { automated: 'server_set' as const } : {}),
          ...(q.options ? { values: q.options.map((o) => ({ key: o.key, name: o.name })) } : {}),
        };
      }),
    };
  }

  /** The live client for the api_key sent in the body or the query string, with one of `scopes`; 403 otherwise. */
  async client(key: string | undefined, scopes: string[], doing: string): Promise<ApiClient> {
    if (!key) throw new AppError('forbidden', `No api_key received -- can't proceed with ${doing}.`);
    const client = await this.deps.apiClients.authenticate(key);
    if (!client) throw new AppError('forbidden', `Invalid api_key received -- can't proceed with ${doing}.`);
    if (!scopes.some((s) => client.scopes.includes(s)))
      throw new AppError('forbidden', `This api_key may not ${doing.replace(/_/g, ' ')}.`);
    return client;
  }

  /**
   * POST requests. `files` are photos sent in a multipart POST (FixMyStreet's `photo1`, `photo2`...):
   * checked and stored like a resident's uploads, and attached to the case by the intake.
   */
  async createRequest(
    form: Form,
    apiKey: string | undefined,
    files: { field: string; bytes: Buffer }[] = [],
  ): Promise<Open311Created> {
    const client = await this.client(apiKey, POST_REQUEST_SCOPES, 'create_request');
    const serviceCode = text(form, 'service_code');
    if (!serviceCode) throw badRequest('service_code', 'is required');
    const service = await this.activeService(serviceCode);
    if (client.serviceCodes.length && !client.serviceCodes.includes(service.code))
      throw new AppError(
        'forbidden',
        `This api_key may not post requests for the service "${service.code}".`,
      );

    const place = await this.placeOf(form);
    const problems: FieldError[] = [];
    const rawDescription = text(form, 'description');
    const description = rawDescription ? normaliseLineBreaks(rawDescription) : '';
    if (description.length > MAX_DESCRIPTION)
      problems.push({ field: 'description', message: 'must be 4,000 characters or fewer' });
    const mediaUrls = texts(form, 'media_url');
    for (const url of mediaUrls) {
      if (!/^https?:\/\/\S+$/i.test(url))
        problems.push({ field: 'media_url', message: 'must be an http(s) URL' });
    }
    if (problems.length) throw new AppError('bad_request', 'There is a problem with the request', problems);

    const photoIds: string[] = [];
    const ownerKey = `open311:${client.id}:${crypto.randomUUID()}`;
    const rules = service.definition.photos;
    const mostPhotos = rules.allowed ? Math.min(rules.max, this.deps.photos.maxPerOwner) : 0;
    if (files.length > mostPhotos) {
      throw badRequest(
        files[mostPhotos]!.field,
        mostPhotos ? `this service takes at most ${mostPhotos} photos` : 'this service does not take photos',
      );
    }
    for (const file of files) {
      try {
        photoIds.push((await this.deps.photos.upload(file.bytes, ownerKey, { maxPhotos: mostPhotos })).id);
      } catch (error) {
        if (error instanceof AppError && error.status < 500) throw badRequest(file.field, error.message);
        throw error;
      }
    }

    const answers = attributes(form);
    const name = [text(form, 'first_name'), text(form, 'last_name')]
      .filter((part) => part && part !== '-')
      .join(' ');
    const email = text(form, 'email');
    const phone = text(form, 'phone');
    // A client's own id for the report (FixMyStreet's) makes its retries land on the same case.
    const theirId = typeof answers.fixmystreet_id === 'string' ? answers.fixmystreet_id : undefined;
    const withMedia = mediaUrls.length
      ? `${description}${description ? '\n\n' : ''}${mediaUrls.map((u) => `Photo: ${u}`).join('\n')}`
      : description;

    // The web journey asks the resident whether one of these is their problem; a client cannot be asked,
    // so the report is taken and the client is told of them.
    const nearby = await this.deps.nearbyOpen({ lat: place.lat, lon: place.lon }, service.code);

    let result;
    try {
      result = await this.deps.intake.submit({
        serviceCode: service.code,
        lat: place.lat,
        lon: place.lon,
        description: withMedia,
        ...(place.detail ? { locationDetail: place.detail } : {}),
        answers,
        reporter: {
          ...(name ? { name } : {}),
          ...(email ? { email } : {}),
          ...(phone ? { phone } : {}),
          wantsUpdates: Boolean(email),
        },
        channel: 'open311',
        apiClientId: client.id,
        ...(photoIds.length ? { photos: { ids: photoIds, ownerKey } } : {}),
        ...(theirId ? { idempotencyKey: `open311:${client.id}:${theirId}` } : {}),
      });
    } catch (error) {
      // The intake's field names are the web form's; say them as the Open311 fields they came from.
      if (error instanceof AppError && error.fieldErrors.length) {
        throw new AppError(
          'bad_request',
          error.message,
          error.fieldErrors.map((f) => ({ field: open311Field(f.field), message: f.message })),
        );
      }
      throw error;
    }
    const others = nearby.map((n) => n.reference).filter((r) => r !== result.case.reference);
    const notice =
      [
        result.case.whatHappensNext,
        others.length ? `Open reports of this kind nearby: ${others.slice(0, 5).join(', ')}.` : '',
      ]
        .filter(Boolean)
        .join(' ') || undefined;
    if (client.open311Tokens) {
      const token = crypto.randomBytes(12).toString('base64url');
      if (result.created) await repo.insertToken(this.db, token, result.case.id, client.id);
      return result.created
        ? { token, ...(notice ? { serviceNotice: notice } : {}) }
        : { serviceRequestId: result.case.reference };
    }
    return { serviceRequestId: result.case.reference, ...(notice ? { serviceNotice: notice } : {}) };
  }

  /** Where the problem is: lat+long, else a gazetteer address id, else an address in words. */
  private async placeOf(form: Form): Promise<{ lat: number; lon: number; detail?: string }> {
    const lat = coordinate(form, 'lat');
    const lon = coordinate(form, 'long');
    const addressString = text(form, 'address_string');
    if (lat !== undefined && lon !== undefined) {
      return { lat, lon, ...(addressString ? { detail: addressString.slice(0, 1000) } : {}) };
    }
    if ((lat === undefined) !== (lon === undefined))
      throw badRequest(lat === undefined ? 'lat' : 'long', 'lat and long must be sent together');
    const addressId = text(form, 'address_id');
    if (addressId && addressId !== NOT_PINPOINTED) {
      const id = /^\d{1,12}$/.test(addressId) ? `address:${addressId}` : addressId;
      const found = await this.deps.gazetteer.find(id).catch(() => null);
      if (!found) throw badRequest('address_id', `no address has the id "${addressId}"`);
      return {
        lat: found.lat,
        lon: found.lon,
        ...(addressString ? { detail: addressString.slice(0, 1000) } : {}),
      };
    }
    if (addressString) {
      // The most specific part comes first ("12 Mill Lane, Ashdown"): try it whole, then its parts.
      const parts = addressString
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
      for (const query of [addressString, ...parts]) {
        const [found] = await this.deps.gazetteer.search(query, { limit: 1 });
        if (found) return { lat: found.lat, lon: found.lon, detail: addressString.slice(0, 1000) };
      }
      throw badRequest('address_string', `no place matches "${addressString}"`);
    }
    throw badRequest('lat', 'a location is required: lat and long, address_string or address_id');
  }

  async searchRequests(form: Form, now = new Date()): Promise<Open311Request[]> {
    const ids = commaList(form, 'service_request_id');
    if (ids) {
      if (ids.length > MAX_REQUESTS) throw badRequest('service_request_id', `at most ${MAX_REQUESTS} ids`);
      const rows = await repo.searchRequests(this.db, {
        references: ids.map((id) => id.toUpperCase()),
        limit: MAX_REQUESTS,
        offset: 0,
      });
      return rows.map((r) => this.requestFrom(r));
    }
    // start_date/end_date are on the time requested (the spec); the opt-in updated_after/updated_before
    // (Chicago's and CitySDK's names) are on the last change, for clients that fetch what changed.
    const window = (startName: string, endName: string, required: boolean) => {
      const start = text(form, startName);
      const end = text(form, endName);
      if (!required && !start && !end) return undefined;
      const to = end ? w3cDate(end, endName) : now;
      const from = start ? w3cDate(start, startName) : new Date(to.getTime() - WINDOW_DAYS * DAY_MS);
      if (from > to) throw badRequest(startName, `must be before ${endName}`);
      if (to.getTime() - from.getTime() > WINDOW_DAYS * DAY_MS)
        throw badRequest(endName, `${startName} and ${endName} may be at most ${WINDOW_DAYS} days apart`);
      return { from, to };
    };
    const updated = window('updated_after', 'updated_before', false);
    const requested = window('start_date', 'end_date', !updated);

    let statuses: CaseStatus[] | undefined;
    const statusWords = commaList(form, 'status')?.map((s) => s.toLowerCase());
    if (statusWords) {
      const unknown = statusWords.filter((s) => s !== 'open' && s !== 'closed');
      if (unknown.length) throw badRequest('status', 'must be open, closed or both (comma-separated)');
      const all = Object.keys(STATUS_LABELS) as CaseStatus[];
      statuses = all.filter((s) => statusWords.includes(openOrClosed(s)));
    }

    const page = text(form, 'page');
    const pageSize = text(form, 'page_size');
    let limit = MAX_REQUESTS;
    let offset = 0;
    if (page !== undefined || pageSize !== undefined) {
      const p = page === undefined ? 1 : Number(page);
      const size = pageSize === undefined ? DEFAULT_PAGE_SIZE : Number(pageSize);
      if (!Number.isInteger(p) || p < 1) throw badRequest('page', 'must be a whole number from 1');
      if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE)
        throw badRequest('page_size', `must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
      limit = size;
      offset = (p - 1) * size;
      if (offset + limit > MAX_REQUESTS * 100) throw badRequest('page', 'is too far: narrow the dates');
    }
    const serviceCodes = commaList(form, 'service_code');
    const rows = await repo.searchRequests(this.db, {
      ...(serviceCodes ? { serviceCodes } : {}),
      ...(requested ? { from: requested.from, to: requested.to } : {}),
      ...(updated ? { updatedFrom: updated.from, updatedTo: updated.to } : {}),
      ...(statuses ? { statuses } : {}),
      limit,
      offset,
    });
    return rows.map((r) => this.requestFrom(r));
  }

  async request(id: string): Promise<Open311Request> {
    const [row] = await repo.searchRequests(this.db, { references: [id.toUpperCase()], limit: 1, offset: 0 });
    if (!row) throw notFound(`There is no public request with the id "${id}"`);
    return this.requestFrom(row);
  }

  async token(token: string): Promise<Open311Created> {
    const found = await repo.tokenCase(this.db, token);
    if (!found) throw notFound(`There is no token "${token}"`);
    return { serviceRequestId: found.reference, token: found.token };
  }

  private requestFrom(row: repo.RequestRow): Open311Request {
    const status = openOrClosed(row.status);
    const notes =
      status === 'closed' ? (row.last_update ?? row.outcome ?? undefined) : (row.last_update ?? undefined);
    const due = row.revised_due_at ?? row.due_at;
    const address = [row.location_description, row.location_detail].filter(Boolean).join(', ');
    return {
      serviceRequestId: row.reference,
      status,
      ...(notes ? { statusNotes: notes } : {}),
      serviceName: row.service_name,
      serviceCode: row.service_code,
      description: row.description.slice(0, MAX_DESCRIPTION),
      agencyResponsible: row.body_name,
      requestedDatetime: row.created_at,
      updatedDatetime: status === 'closed' && row.closed_at ? row.closed_at : row.updated_at,
      ...(due && status === 'open' ? { expectedDatetime: due } : {}),
      ...(address ? { address } : {}),
      lat: row.lat,
      long: row.lon,
      ...(row.photo_id
        ? { mediaUrl: `${this.deps.baseUrl}${this.deps.photos.urlFor(row.photo_id, 'full')}` }
        : {}),
    };
  }

  async updates(form: Form, now = new Date()): Promise<Open311Update[]> {
    const start = text(form, 'start_date');
    const end = text(form, 'end_date');
    const to = end ? w3cDate(end, 'end_date') : now;
    const from = start
      ? w3cDate(start, 'start_date')
      : new Date(to.getTime() - UPDATES_DEFAULT_HOURS * 3600_000);
    if (from > to) throw badRequest('start_date', 'must be before end_date');
    if (to.getTime() - from.getTime() > WINDOW_DAYS * DAY_MS)
      throw badRequest('end_date', `start_date and end_date may be at most ${WINDOW_DAYS} days apart`);
    const rows = await repo.updatesBetween(this.db, from, to, MAX_REQUESTS);
    return rows.map((r) => {
      const status = r.status_then ?? 'received';
      return {
        updateId: String(r.id),
        serviceRequestId: r.reference,
        status: extendedStatus(status),
        updatedDatetime: r.created_at,
        description: r.body,
        mediaUrl: '',
        externalStatusCode: r.external_status_code ?? status,
      };
    });
  }

  /**
   * A client's update (mySociety POST servicerequestupdates), applied once per client and update id.
   * The client may update the cases it reported, or (a key tied to a body) that body's cases.
   */
  async postUpdate(form: Form, apiKey: string | undefined): Promise<string> {
    const client = await this.client(apiKey, [POST_UPDATE_SCOPE], 'post_service_request_update');
    const problems: FieldError[] = [];
    const required = (name: string) => {
      const value = text(form, name);
      if (value === undefined) problems.push({ field: name, message: 'is required' });
      return value;
    };
    const reference = required('service_request_id');
    const updateId = required('update_id');
    const statusWord = required('status');
    const updatedAt = required('updated_datetime');
    const rawDescription = text(form, 'description');
    if (updateId && updateId.length > 200) problems.push({ field: 'update_id', message: 'is too long' });
    if (problems.length) throw new AppError('bad_request', 'There is a problem with the update', problems);
    if (updatedAt) w3cDate(updatedAt, 'updated_datetime');

    const status = ourStatusFor(statusWord!);
    const word = statusWord!.toLowerCase();
    if (status === null && word !== 'unchanged')
      throw badRequest('status', `"${statusWord}" is not a status this server knows`);
    const description = rawDescription ? normaliseLineBreaks(rawDescription) : '';

    const row = await repo.caseForUpdate(this.db, reference!.toUpperCase());
    if (
      !row ||
      !(row.api_client_id === client.id || (client.bodyId !== null && client.bodyId === row.body_id))
    )
      throw notFound(`There is no request with the id "${reference}"`);

    const externalStatusCode = text(form, 'external_status_code') ?? null;
    if (
      !(await repo.claimUpdate(this.db, {
        apiClientId: client.id,
        updateId: updateId!,
        caseId: row.id,
        externalStatusCode,
      }))
    ) {
      const claimed = await repo.claimedUpdate(this.db, client.id, updateId!);
      if (claimed?.state === 'done')
        return claimed.event_id === null ? `${client.keyPrefix}-${updateId}` : String(claimed.event_id);
      throw new AppError('conflict', 'This update_id is being applied: try again shortly');
    }
    try {
      const since = await repo.lastEventId(this.db, row.id);
      // Plain OPEN or CLOSED (a client without extended statuses) changes nothing while it is already true.
      const sameSide =
        (word === 'open' || word === 'closed') &&
        status !== null &&
        openOrClosed(status) === openOrClosed(row.status);
      const changes = status !== null && status !== row.status && !sameSide;
      if (changes || description) {
        await this.deps.updateCase(
          {
            id: client.id,
            name: client.name,
            role: 'officer',
            bodyId: row.body_id,
            teamId: null,
            integration: true,
          },
          row.reference,
          { ...(changes ? { status } : {}), publicUpdate: description },
        );
      }
      const eventId = await repo.finishUpdate(this.db, client.id, updateId!, row.id, since);
      return eventId === null ? `${client.keyPrefix}-${updateId}` : String(eventId);
    } catch (error) {
      await repo.forgetUpdate(this.db, client.id, updateId!);
      if (error instanceof AppError && error.status === 400) {
        throw new AppError(
          'bad_request',
          error.message,
          error.fieldErrors.map((f) => ({
            field: f.field === 'publicUpdate' ? 'description' : f.field,
            message: f.message,
          })),
        );
      }
      throw error;
    }
  }
}

/** The Open311 field a web-form field problem is about. */
function open311Field(field: string): string {
  if (field.startsWith('answers.')) return `attribute[${field.slice('answers.'.length)}]`;
  switch (field) {
    case 'service':
      return 'service_code';
    case 'location':
      return 'lat';
    case 'name':
      return 'first_name';
    case 'locationDetail':
      return 'address_string';
    default:
      return field;
  }
}
