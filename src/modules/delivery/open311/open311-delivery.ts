/**
 * Delivery by Open311, for bodies whose highways or waste back office speaks GeoReport v2: the case is
 * POSTed to the body's endpoint from the outbox (retries, backoff, failures listed for admins by the
 * delivery module), and the id the endpoint gives is kept as the case's external id. A batch endpoint
 * that answers with a token is asked for the id a few times; if it has none yet, the token is kept
 * (`token:<token>`) and the update poller resolves it later, so the case is never POSTed twice.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { SecretBox } from '../../../lib/secret-box.js';
import type { DeliveryContext, DeliveryMethod } from '../delivery.service.js';
import * as repo from '../delivery.repository.js';
import type { PhotoReader } from '../email-delivery.js';
import { Open311Client, type Open311EndpointSettings } from './open311-client.js';

/** Settings of an Open311 target, as stored in `delivery_target.settings`. */
export interface Open311TargetSettings {
  endpoint: string;
  jurisdictionId: string;
  /** The endpoint's API key, sealed with the installation's secret and bound to the target's id. */
  apiKeySealed: string;
  format: 'xml' | 'json';
  extendedStatuses: boolean;
  /** Our service code → the endpoint's, where they differ. */
  serviceCodes: Record<string, string>;
  /** Send the reporter's name, email and phone (off unless an admin turns it on). */
  includeReporterContact: boolean;
  /** Fetch updates from the endpoint on a schedule. */
  pollUpdates: boolean;
}

export function open311Settings(settings: Record<string, unknown>): Open311TargetSettings {
  const codes = settings.serviceCodes;
  return {
    endpoint: typeof settings.endpoint === 'string' ? settings.endpoint : '',
    jurisdictionId: typeof settings.jurisdictionId === 'string' ? settings.jurisdictionId : '',
    apiKeySealed: typeof settings.apiKeySealed === 'string' ? settings.apiKeySealed : '',
    format: settings.format === 'json' ? 'json' : 'xml',
    extendedStatuses: settings.extendedStatuses !== false,
    serviceCodes:
      codes && typeof codes === 'object' && !Array.isArray(codes)
        ? Object.fromEntries(
            Object.entries(codes as Record<string, unknown>).filter(
              (entry): entry is [string, string] => typeof entry[1] === 'string',
            ),
          )
        : {},
    includeReporterContact: settings.includeReporterContact === true,
    pollUpdates: settings.pollUpdates !== false,
  };
}

export const API_KEY_PURPOSE = 'delivery-open311-api-key';
export const TOKEN_PREFIX = 'token:';
const TOKEN_POLLS = 5;
const TOKEN_POLL_MS = 2000;

/** A client for a target, with its API key unsealed. */
export function clientFor(
  target: { id: string; settings: Record<string, unknown> },
  box: SecretBox,
  timeoutMs: number,
): Open311Client {
  const settings = open311Settings(target.settings);
  const apiKey = settings.apiKeySealed ? box.open(settings.apiKeySealed, target.id) : '';
  if (apiKey === undefined)
    throw new Error('The API key of this Open311 target cannot be read: enter it again on its admin page');
  const endpoint: Open311EndpointSettings = {
    endpoint: settings.endpoint,
    apiKey,
    jurisdictionId: settings.jurisdictionId,
    format: settings.format,
    extendedStatuses: settings.extendedStatuses,
    timeoutMs,
  };
  return new Open311Client(endpoint);
}

export class Open311Delivery implements DeliveryMethod {
  readonly method = 'open311' as const;
  readonly words = 'through its own case system';

  constructor(
    private readonly db: Kysely<Database>,
    private readonly box: SecretBox,
    private readonly options: {
      baseUrl: string;
      councilName: string;
      timeoutMs: number;
      photos?: Pick<PhotoReader, 'listForCase'>;
      /** Waits between token polls (tests shorten it). */
      tokenPollMs?: number;
    },
  ) {}

  async deliver({ delivery, target, signal }: DeliveryContext): Promise<{ externalId: string | null }> {
    const row = await repo.caseForDelivery(this.db, delivery.case_id);
    if (!row) return { externalId: null }; // the case was deleted (data protection): nothing to send
    const settings = open311Settings(target.settings);
    const client = clientFor(target, this.box, this.options.timeoutMs);
    const link = `${this.options.baseUrl}/reports/${row.reference}`;
    const description = [
      row.description,
      row.location_detail ? `Where exactly: ${row.location_detail}` : '',
      `Reported to ${this.options.councilName} as ${row.reference}: ${link}`,
    ]
      .filter(Boolean)
      .join('\n\n');
    const photos = this.options.photos
      ? await this.options.photos.listForCase(row.id, { publicOnly: true })
      : [];
    const [firstName, ...rest] = (row.reporter_name ?? '').trim().split(/\s+/);
    const contact = settings.includeReporterContact
      ? {
          ...(row.reporter_email ? { email: row.reporter_email } : {}),
          ...(firstName ? { firstName, lastName: rest.join(' ') || '-' } : {}),
          ...(row.reporter_phone ? { phone: row.reporter_phone } : {}),
        }
      : {};
    const created = await client.postRequest(
      {
        serviceCode: settings.serviceCodes[row.service_code] ?? row.service_code,
        lat: row.lat,
        lon: row.lon,
        ...(row.location_description ? { addressString: row.location_description } : {}),
        description,
        // Our reference travels as an attribute too, as FixMyStreet sends its own id (fixmystreet_id).
        attributes: { ...row.answers, civicdesk_reference: row.reference },
        mediaUrls: photos.map((p) => `${this.options.baseUrl}/photos/${p.id}/full`),
        ...contact,
      },
      signal,
    );
    if (created.serviceRequestId) return { externalId: created.serviceRequestId };
    if (!created.token) return { externalId: null }; // a "blackbox" endpoint gives no id at all
    for (let i = 0; i < TOKEN_POLLS; i++) {
      await new Promise((resolve) => setTimeout(resolve, this.options.tokenPollMs ?? TOKEN_POLL_MS));
      signal.throwIfAborted();
      const id = await client.requestIdForToken(created.token, signal);
      if (id) return { externalId: id };
    }
    return { externalId: `${TOKEN_PREFIX}${created.token}` };
  }
}
