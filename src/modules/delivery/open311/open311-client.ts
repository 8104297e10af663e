/**
 * An Open311 GeoReport v2 client for a body's own back-office system: post a new case, poll for a token's
 * id, fetch updates (the mySociety `servicerequestupdates` extension) and post our public updates back.
 * It writes what the spec says strictly (form-encoded UTF-8, CRLF line breaks, W3C dates without
 * fractions, coordinates to 6 decimal places) and reads answers tolerantly (open311-responses.ts).
 */
import type { CaseStatus } from '../../../db/database.js';
import {
  describeProblems,
  Open311ResponseError,
  parseCreatedRequest,
  parsePostedUpdate,
  parseRequestUpdates,
  problemsIn,
  responseBody,
  type CreatedRequest,
  type RequestUpdate,
} from './open311-responses.js';

export interface Open311EndpointSettings {
  /** The endpoint base, e.g. https://council.example/open311/v2 (paths and `.xml` are appended). */
  endpoint: string;
  apiKey: string;
  jurisdictionId: string;
  format: 'xml' | 'json';
  /** Send mySociety's extended statuses on updates (FIXED, IN_PROGRESS...) rather than OPEN/CLOSED. */
  extendedStatuses: boolean;
  timeoutMs: number;
}

export interface NewServiceRequest {
  serviceCode: string;
  lat: number;
  lon: number;
  addressString?: string;
  description: string;
  /** attribute[code]; a list is sent as attribute[code][] repeated. */
  attributes: Record<string, string | string[]>;
  email?: string;
  firstName?: string;
  lastName?: string;
  phone?: string;
  mediaUrls?: string[];
}

export interface OutgoingUpdate {
  serviceRequestId: string;
  updateId: string;
  status: CaseStatus;
  isClosed: boolean;
  description: string;
  updatedAt: Date;
}

/** A failure talking to the endpoint: its HTTP status and its own words, for the admin's failure list. */
export class Open311RequestError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'Open311RequestError';
  }
}

/** W3C date-time in UTC, seconds precision, no fraction (open311-adapter rejects `.000Z`). */
export function w3cDateTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Line breaks as the spec's form posts carry them (CRLF). */
function crlf(value: string): string {
  return value.replace(/\r?\n/g, '\r\n');
}

/** Our status as mySociety's extended status (UPPERCASE, as POSTed; the Open311 server lowercases it). */
export const OUR_STATUS_TO_EXTENDED: Record<CaseStatus, string> = {
  received: 'OPEN',
  in_progress: 'IN_PROGRESS',
  action_scheduled: 'ACTION_SCHEDULED',
  fixed: 'FIXED',
  closed_not_fixed: 'NO_FURTHER_ACTION',
  not_responsible: 'NOT_COUNCILS_RESPONSIBILITY',
  duplicate: 'DUPLICATE',
  cancelled: 'CANCELLED',
};

/**
 * Our status for a status an endpoint sent (lowercase; extended or core). `null`: leave the status as
 * it is (`unchanged`, or a status we have no equivalent of, which is still shown in the update's words).
 */
export function ourStatusFor(theirs: string): CaseStatus | null {
  switch (theirs.toLowerCase().replace(/\s+/g, '_')) {
    case 'open':
    case 'confirmed':
    case 'for_triage':
    case 'investigating':
    case 'reopen':
      return 'received';
    case 'in_progress':
    case 'internal_referral':
      return 'in_progress';
    case 'planned':
    case 'action_scheduled':
      return 'action_scheduled';
    case 'fixed':
    case 'closed':
      return 'fixed';
    case 'no_further_action':
    case 'unable_to_fix':
      return 'closed_not_fixed';
    case 'not_councils_responsibility':
      return 'not_responsible';
    case 'duplicate':
      return 'duplicate';
    case 'cancelled':
      return 'cancelled';
    default:
      return null;
  }
}

export class Open311Client {
  constructor(private readonly settings: Open311EndpointSettings) {}

  /** POST requests. Returns the endpoint's id, or its token to poll with `requestIdForToken`. */
  async postRequest(request: NewServiceRequest, signal?: AbortSignal): Promise<CreatedRequest> {
    const form = this.form();
    form.append('service_code', request.serviceCode);
    form.append('lat', request.lat.toFixed(6));
    form.append('long', request.lon.toFixed(6));
    if (request.addressString) form.append('address_string', request.addressString);
    form.append('description', crlf(request.description.slice(0, 4000)));
    if (request.email) form.append('email', request.email);
    if (request.firstName) form.append('first_name', request.firstName);
    if (request.lastName) form.append('last_name', request.lastName);
    if (request.phone) form.append('phone', request.phone);
    for (const url of request.mediaUrls ?? []) form.append('media_url', url);
    for (const [code, value] of Object.entries(request.attributes)) {
      if (Array.isArray(value)) for (const v of value) form.append(`attribute[${code}][]`, v);
      else form.append(`attribute[${code}]`, crlf(value));
    }
    return parseCreatedRequest(await this.call('POST', 'requests', form, signal));
  }

  /** GET tokens/{token}: the id once the endpoint has made one, else null (poll again later). */
  async requestIdForToken(token: string, signal?: AbortSignal): Promise<string | null> {
    const query = this.form(false);
    const body = await this.call('GET', `tokens/${encodeURIComponent(token)}`, query, signal);
    try {
      return parseCreatedRequest(body).serviceRequestId;
    } catch {
      return null;
    }
  }

  /** GET servicerequestupdates for updates made between `start` and `end`. */
  async updates(start: Date, end: Date, signal?: AbortSignal): Promise<RequestUpdate[]> {
    const query = this.form(); // FixMyStreet sends api_key on this GET too, and servers expect it
    query.append('start_date', w3cDateTime(start));
    query.append('end_date', w3cDateTime(end));
    return parseRequestUpdates(await this.call('GET', 'servicerequestupdates', query, signal));
  }

  /** POST servicerequestupdates: one of our public updates, sent to the endpoint. */
  async postUpdate(update: OutgoingUpdate, signal?: AbortSignal): Promise<{ updateId: string }> {
    const form = this.form();
    form.append('service_request_id', update.serviceRequestId);
    form.append('update_id', update.updateId);
    form.append(
      'status',
      this.settings.extendedStatuses
        ? OUR_STATUS_TO_EXTENDED[update.status]
        : update.isClosed
          ? 'CLOSED'
          : 'OPEN',
    );
    form.append('updated_datetime', w3cDateTime(update.updatedAt));
    form.append('description', crlf(update.description));
    // Updates come from the council's officers, not from a member of the public.
    form.append('first_name', 'Council');
    form.append('last_name', '-');
    return parsePostedUpdate(await this.call('POST', 'servicerequestupdates', form, signal));
  }

  private form(withKey = true): URLSearchParams {
    const form = new URLSearchParams();
    if (withKey && this.settings.apiKey) form.append('api_key', this.settings.apiKey);
    if (this.settings.jurisdictionId) form.append('jurisdiction_id', this.settings.jurisdictionId);
    return form;
  }

  private async call(
    method: 'GET' | 'POST',
    resource: string,
    params: URLSearchParams,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const base = this.settings.endpoint.replace(/\/+$/, '');
    const url = new URL(`${base}/${resource}.${this.settings.format}`);
    if (method === 'GET') url.search = params.toString();
    const timeout = AbortSignal.timeout(this.settings.timeoutMs);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept: this.settings.format === 'xml' ? 'text/xml' : 'application/json',
          ...(method === 'POST'
            ? { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }
            : {}),
        },
        ...(method === 'POST' ? { body: params.toString() } : {}),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        redirect: 'error',
      });
    } catch (error) {
      const reason =
        (error as Error).name === 'TimeoutError'
          ? `no answer in ${this.settings.timeoutMs / 1000} s`
          : (error as Error).message;
      throw new Open311RequestError(`${method} ${url.pathname} failed: ${reason}`, null);
    }
    const bodyText = await response.text();
    let body: unknown;
    try {
      body = bodyText.trim() ? responseBody(bodyText, response.headers.get('content-type')) : undefined;
    } catch (error) {
      if (response.ok)
        throw new Open311RequestError(
          `${method} ${url.pathname}: ${(error as Error).message}`,
          response.status,
        );
    }
    if (!response.ok) {
      const problems = body === undefined ? [] : problemsIn(body);
      const words = problems.length ? describeProblems(problems) : bodyText.trim().slice(0, 300);
      throw new Open311RequestError(
        `${method} ${url.pathname} answered ${response.status}${words ? `: ${words}` : ''}`,
        response.status,
      );
    }
    if (body === undefined)
      throw new Open311ResponseError(`${method} ${url.pathname} answered with an empty body`);
    return body;
  }
}
