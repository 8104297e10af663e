/**
 * The Open311 server's answers to GET: discovery, the service list and each service's questions, public
 * requests (by id, by token, or searched by dates, status and service, paged), and the updates on them.
 * Nothing here changes anything; the writes are open311-writes.ts.
 */
import type { Kysely } from 'kysely';
import type { CaseStatus, Database } from '../../db/database.js';
import { STATUS_LABELS } from '../../lib/case-status.js';
import type {
  Open311Attribute,
  Open311Created,
  Open311Discovery,
  Open311Request,
  Open311Service,
  Open311ServiceDefinition,
  Open311Update,
} from './open311-format.js';
import { commaList, text, w3cDate, type Form } from './open311-input.js';
import {
  activeService,
  badRequest,
  CHANGESET,
  DAY_MS,
  DEFAULT_PAGE_SIZE,
  extendedStatus,
  MAX_DESCRIPTION,
  MAX_PAGE_SIZE,
  MAX_REQUESTS,
  notFound,
  openOrClosed,
  UPDATES_DEFAULT_HOURS,
  WINDOW_DAYS,
  type Open311ServerDeps,
} from './open311-server.shared.js';
import * as repo from './open311-server.repository.js';

export class Open311Reads {
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

  async serviceDefinition(code: string): Promise<Open311ServiceDefinition> {
    const service = await activeService(this.deps.services, code);
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
}
