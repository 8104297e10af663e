/**
 * What the Open311 server's reads and writes share: the spec's limits and this server's constants, the
 * collaborators it is given, our statuses in Open311's words, and the errors it answers with.
 */
import type { CaseStatus } from '../../db/database.js';
import { CLOSING_STATUSES } from '../../lib/case-status.js';
import { AppError } from '../../lib/errors.js';
import type { ApiClientsService } from '../api-clients/index.js';
import type { IntakeService, IntegrationUpdate } from '../cases/index.js';
import { OUR_STATUS_TO_EXTENDED } from '../delivery/index.js';
import type { GazetteerService } from '../gazetteer/index.js';
import type { PhotoService } from '../photos/index.js';
import type { Service, ServicesService } from '../services/index.js';

/** The spec's default window for GET requests, and its most. */
export const WINDOW_DAYS = 90;
/** GET requests answers at most this many without paging. */
export const MAX_REQUESTS = 1000;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
/** GET servicerequestupdates: default window (FixMyStreet asks for the last two hours). */
export const UPDATES_DEFAULT_HOURS = 24;
export const DAY_MS = 24 * 3600_000;
export const MAX_DESCRIPTION = 4000;

/** When this version of the interface last changed (discovery's changeset). */
export const CHANGESET = new Date('2026-12-05T13:00:00Z');

/** What a client may do: POST requests needs one of these, POST servicerequestupdates open311:write. */
export const POST_REQUEST_SCOPES = ['reports:write', 'open311:write'];
export const POST_UPDATE_SCOPE = 'open311:write';

/** FixMyStreet's placeholder for a report that was not put on a map (Bromley). */
export const NOT_PINPOINTED = '#NOTPINPOINTED#';

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

export function notFound(description: string): AppError {
  return new AppError('not_found', description);
}

export function badRequest(field: string, message: string): AppError {
  return new AppError('bad_request', `${field}: ${message}`, [{ field, message }]);
}

/** The service with this code, if it takes reports; a 404 otherwise. */
export async function activeService(services: ServicesService, code: string): Promise<Service> {
  const service = await services.get(code);
  if (!service || !service.active) throw notFound(`There is no service with the code "${code}"`);
  return service;
}
