/**
 * Administration of Open311 targets: the endpoint a body's (or one service's) cases are POSTed to, its
 * API key (sealed, never shown again), and how to talk to it. Saved through the delivery tables, so the
 * delivery module's list, failures and "Retry now" cover these targets too.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { AppError, type FieldError } from '../../../lib/errors.js';
import { audit } from '../../audit/index.js';
import type { SecretBox } from '../../../lib/secret-box.js';
import * as deliveryRepo from '../delivery.repository.js';
import { open311Settings, type Open311TargetSettings } from './open311-delivery.js';
import { pollState } from './open311.repository.js';

export interface Open311TargetInput {
  bodyCode: string;
  /** '' for every service of the body. */
  serviceCode: string;
  endpoint: string;
  jurisdictionId: string;
  /** '' when changing a target: keep the key it has. */
  apiKey: string;
  format: 'xml' | 'json';
  /** Lines of `our_code=their_code`. */
  serviceCodes: string;
  extendedStatuses: boolean;
  includeReporterContact: boolean;
  pollUpdates: boolean;
  active: boolean;
}

export interface TargetAdmin {
  id: string;
  role: string;
  ip?: string;
}

const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,100}$/;

/** Our code → theirs, from the form's lines; problems name the line. */
export function parseServiceCodes(text: string): { codes: Record<string, string>; problem?: string } {
  const codes: Record<string, string> = {};
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  for (const [index, line] of lines.entries()) {
    if (!line) continue;
    const match = /^([^=\s]+)\s*=\s*([^=\s]+)$/.exec(line);
    if (!match || !ID_PATTERN.test(match[1]!) || !ID_PATTERN.test(match[2]!))
      return {
        codes,
        problem: `Line ${index + 1} must be like pothole=HWY_POT (our code = the endpoint’s code)`,
      };
    codes[match[1]!] = match[2]!;
  }
  return { codes };
}

export function formatServiceCodes(codes: Record<string, string>): string {
  return Object.entries(codes)
    .map(([ours, theirs]) => `${ours}=${theirs}`)
    .join('\n');
}

/** The endpoint URL's problem, if it has one: https, or http only to this machine outside production. */
export function endpointProblem(endpoint: string, isProduction: boolean): string | undefined {
  if (!endpoint) return 'Enter the endpoint’s address, like https://highways.example.gov.uk/open311/v2';
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'Enter the endpoint’s address in full, starting https://';
  }
  const local = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && local && !isProduction)) {
    if (url.search || url.hash) return 'Enter the endpoint’s address without ? or # parts';
    return undefined;
  }
  return 'The endpoint’s address must start https:// (the API key and residents’ reports travel to it)';
}

export class Open311Targets {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly keys: SecretBox,
    private readonly isProduction: boolean,
  ) {}

  /** How polling the target for updates went last (undefined before its first poll). */
  lastPoll(targetId: string) {
    return pollState(this.db, targetId);
  }

  async get(actor: TargetAdmin, id: string) {
    requireAdmin(actor);
    const row = /^[0-9a-f-]{36}$/i.test(id) ? await deliveryRepo.findTarget(this.db, id) : undefined;
    if (!row || row.method !== 'open311') throw new AppError('not_found', 'There is no such Open311 target');
    return { row, settings: open311Settings(row.settings) };
  }

  /** Adds (no id) or changes an Open311 target. Problems come back as field errors. */
  async save(actor: TargetAdmin, id: string | undefined, input: Open311TargetInput): Promise<string> {
    requireAdmin(actor);
    const existing = id ? await this.get(actor, id) : undefined;
    const problems: FieldError[] = [];
    const bodyId = input.bodyCode ? await deliveryRepo.bodyIdByCode(this.db, input.bodyCode) : undefined;
    if (!bodyId) problems.push({ field: 'bodyCode', message: 'Choose the body whose cases are sent' });
    let serviceId: string | null = null;
    if (input.serviceCode) {
      const service = await deliveryRepo.serviceIdByCode(this.db, input.serviceCode);
      if (!service) problems.push({ field: 'serviceCode', message: 'Choose a service from the list' });
      else serviceId = service;
    }
    const endpoint = input.endpoint.trim().replace(/\/+$/, '');
    const endpointIssue = endpointProblem(endpoint, this.isProduction);
    if (endpointIssue) problems.push({ field: 'endpoint', message: endpointIssue });
    const jurisdictionId = input.jurisdictionId.trim();
    if (jurisdictionId && !ID_PATTERN.test(jurisdictionId))
      problems.push({
        field: 'jurisdictionId',
        message: 'The jurisdiction id can only have letters, numbers, dots, dashes and underscores',
      });
    const apiKey = input.apiKey.trim();
    if (!existing && !apiKey)
      problems.push({ field: 'apiKey', message: 'Enter the API key the endpoint’s owners gave you' });
    else if (apiKey.length > 500)
      problems.push({ field: 'apiKey', message: 'The API key must be 500 characters or fewer' });
    const { codes, problem: codesProblem } = parseServiceCodes(input.serviceCodes);
    if (codesProblem) problems.push({ field: 'serviceCodes', message: codesProblem });
    if (problems.length) throw new AppError('validation_failed', 'There is a problem', problems);

    const settings = (apiKeySealed: string): Open311TargetSettings => ({
      endpoint,
      jurisdictionId,
      apiKeySealed,
      format: input.format,
      extendedStatuses: input.extendedStatuses,
      serviceCodes: codes,
      includeReporterContact: input.includeReporterContact,
      pollUpdates: input.pollUpdates,
    });
    try {
      return await this.db.transaction().execute(async (trx) => {
        const common = { body_id: bodyId!, service_id: serviceId, active: input.active };
        let targetId: string;
        if (existing) {
          targetId = existing.row.id;
          const sealed = apiKey ? this.keys.seal(apiKey, targetId) : existing.settings.apiKeySealed;
          await deliveryRepo.updateTarget(trx, targetId, { ...common, settings: { ...settings(sealed) } });
        } else {
          // The key is sealed bound to the target's id, which exists once the row does.
          const row = await deliveryRepo.insertTarget(trx, { ...common, method: 'open311', settings: {} });
          targetId = row.id;
          await deliveryRepo.updateTarget(trx, targetId, {
            ...common,
            settings: { ...settings(this.keys.seal(apiKey, targetId)) },
          });
        }
        await audit(trx, {
          staffId: actor.id,
          action: existing ? 'delivery_target.changed' : 'delivery_target.added',
          detail: {
            targetId,
            method: 'open311',
            bodyCode: input.bodyCode,
            serviceCode: input.serviceCode || null,
            endpoint,
            apiKeyChanged: Boolean(apiKey),
            active: input.active,
          },
          ...(actor.ip ? { ip: actor.ip } : {}),
        });
        return targetId;
      });
    } catch (error) {
      if ((error as { code?: string }).code !== '23505') throw error;
      throw new AppError('validation_failed', 'There is a problem', [
        {
          field: input.serviceCode ? 'serviceCode' : 'bodyCode',
          message: input.serviceCode
            ? 'This service of this body already has an active target: change or turn off that one first'
            : 'This body already has an active target for all its services: change or turn off that one first',
        },
      ]);
    }
  }
}

function requireAdmin(actor: TargetAdmin): void {
  if (actor.role !== 'admin') throw new AppError('forbidden', 'Only administrators manage delivery');
}
