/**
 * The Open311 server's POSTs: a request becomes a case through the one intake every front uses (channel
 * "open311", photos checked and stored like a resident's), and another system's update is applied to a
 * case once per client and update id, through the case core as an integration. Both need an API key
 * with the right scope.
 */
import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { AppError, type FieldError } from '../../lib/errors.js';
import type { ApiClient } from '../api-clients/index.js';
import { ourStatusFor } from '../delivery/index.js';
import type { Open311Created } from './open311-format.js';
import {
  attributes,
  coordinate,
  normaliseLineBreaks,
  text,
  texts,
  w3cDate,
  type Form,
} from './open311-input.js';
import {
  activeService,
  badRequest,
  MAX_DESCRIPTION,
  NOT_PINPOINTED,
  notFound,
  openOrClosed,
  POST_REQUEST_SCOPES,
  POST_UPDATE_SCOPE,
  type Open311ServerDeps,
} from './open311-server.shared.js';
import * as repo from './open311-server.repository.js';

export class Open311Writes {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly deps: Open311ServerDeps,
  ) {}

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
    const service = await activeService(this.deps.services, serviceCode);
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
