/**
 * API clients: other systems (apps, FixMyStreet, CRMs) that call the JSON API or Open311 with a key.
 * A key looks like cdk_<prefix>_<secret>; the prefix finds the client, and only a SHA-256 of the whole
 * key is stored (keys are long and random, so a fast hash is the right one; there is nothing to
 * brute-force). The key is shown once, when it is made.
 */
import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { AppError, type FieldError } from '../../lib/errors.js';
import { audit } from '../audit/index.js';
import type { OrganisationsService } from '../organisations/index.js';
import type { ServicesService } from '../services/index.js';
import * as repo from './api-clients.repository.js';

/**
 * cases:read and cases:write are for a CRM: they need a key tied to a body (`bodyId`). open311:write lets
 * an Open311 client POST requests and servicerequestupdates (updates to the cases it reported, or to its
 * body's cases when the key is tied to one).
 */
export const SCOPES = [
  'reports:write',
  'reports:read',
  'cases:read',
  'cases:write',
  'open311:write',
] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiClient {
  id: string;
  name: string;
  keyPrefix: string;
  scopes: string[];
  serviceCodes: string[];
  /** The body whose cases a CRM's key reaches (cases:* scopes); null for other clients. */
  bodyId: string | null;
  /** Open311: POST requests answers a token (batch style) rather than the case reference. */
  open311Tokens: boolean;
  /** Requests a minute to the Open311 server; null: the default. */
  rateLimitPerMinute: number | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
}

/** What each scope lets a client do, in words for the admin pages. */
export const SCOPE_LABELS: Record<Scope, string> = {
  'reports:write': 'Report problems (JSON API and Open311 POST requests)',
  'reports:read': 'Read public reports',
  'cases:read': 'Read its body’s cases (a CRM)',
  'cases:write': 'Change its body’s cases (a CRM)',
  'open311:write': 'Open311: report problems and post updates to the cases it reported',
};

/** An administrator managing keys, with where they are. */
export interface KeyAdmin {
  id: string;
  role: string;
  ip?: string;
}

export interface ClientInput {
  name: string;
  scopes: string[];
  serviceCodes: string[];
  /** The body whose cases the key reaches; '' for none. */
  bodyCode: string;
  open311Tokens: boolean;
  /** Requests a minute, as typed; '' for the default. */
  rateLimit: string;
}

function hashKey(key: string): string {
  return crypto.createHash('sha256').update(key).digest('hex');
}

const KEY_PATTERN = /^cdk_([a-z0-9]{10})_([A-Za-z0-9_-]{32,64})$/;

export class ApiClientsService {
  constructor(
    private readonly db: Kysely<Database>,
    /** To check the body and services an admin ties a key to. */
    private readonly deps: {
      organisations: Pick<OrganisationsService, 'bodies'>;
      services: Pick<ServicesService, 'list'>;
    },
  ) {}

  async create(input: {
    name: string;
    scopes: Scope[];
    serviceCodes?: string[];
    bodyId?: string | null;
    /** Open311: answer POST requests with a token (batch style) instead of the case reference. */
    open311Tokens?: boolean;
    rateLimitPerMinute?: number | null;
  }): Promise<{ client: ApiClient; key: string }> {
    const prefix = crypto.randomBytes(8).toString('hex').slice(0, 10);
    const key = `cdk_${prefix}_${crypto.randomBytes(32).toString('base64url')}`;
    const row = await repo.insertClient(this.db, {
      name: input.name.trim(),
      key_prefix: prefix,
      key_hash: hashKey(key),
      scopes: input.scopes,
      service_codes: input.serviceCodes ?? [],
      body_id: input.bodyId ?? null,
      open311_tokens: input.open311Tokens === true,
      rate_limit_per_minute: input.rateLimitPerMinute ?? null,
    });
    return { client: toClient(row), key };
  }

  async list(): Promise<ApiClient[]> {
    return (await repo.listClients(this.db)).map(toClient);
  }

  async revoke(prefix: string): Promise<boolean> {
    return repo.revokeClient(this.db, prefix);
  }

  /** An admin adds a named client: checked in full, audited; the key is shown once. */
  async createByAdmin(actor: KeyAdmin, input: ClientInput): Promise<{ client: ApiClient; key: string }> {
    this.requireAdmin(actor);
    const problems: FieldError[] = [];
    const name = input.name.trim();
    if (!name) problems.push({ field: 'name', message: 'Enter the name of the system the key is for' });
    else if (name.length > 200)
      problems.push({ field: 'name', message: 'The name must be 200 characters or fewer' });
    const scopes = [...new Set(input.scopes)];
    if (scopes.length === 0) problems.push({ field: 'scopes', message: 'Choose what the key may do' });
    if (scopes.some((s) => !(SCOPES as readonly string[]).includes(s)))
      problems.push({ field: 'scopes', message: 'Choose from the permissions listed' });
    let bodyId: string | null = null;
    if (input.bodyCode) {
      const body = (await this.deps.organisations.bodies()).find((b) => b.code === input.bodyCode);
      if (!body) problems.push({ field: 'bodyCode', message: 'Choose a body from the list' });
      else bodyId = body.id;
    }
    if (scopes.some((s) => s.startsWith('cases:')) && !input.bodyCode)
      problems.push({
        field: 'bodyCode',
        message: 'A key that reads or changes cases must belong to a body',
      });
    const serviceCodes = [...new Set(input.serviceCodes)];
    if (serviceCodes.length) {
      const known = new Set((await this.deps.services.list({ activeOnly: false })).map((s) => s.code));
      if (serviceCodes.some((code) => !known.has(code)))
        problems.push({ field: 'serviceCodes', message: 'Choose services from the list' });
    }
    let rateLimitPerMinute: number | null = null;
    if (input.rateLimit.trim()) {
      const n = Number(input.rateLimit.trim().replace(/,/g, ''));
      if (!Number.isInteger(n) || n < 1 || n > 100_000)
        problems.push({
          field: 'rateLimit',
          message: 'Enter a whole number of requests a minute, from 1 to 100,000',
        });
      else rateLimitPerMinute = n;
    }
    if (problems.length) throw new AppError('validation_failed', problems[0]!.message, problems);
    const created = await this.create({
      rateLimitPerMinute,
      name,
      scopes: scopes as Scope[],
      serviceCodes,
      bodyId,
      open311Tokens: input.open311Tokens,
    });
    await audit(this.db, {
      staffId: actor.id,
      action: 'api_client.created',
      detail: {
        apiClientId: created.client.id,
        name,
        scopes,
        serviceCodes,
        bodyCode: input.bodyCode || null,
      },
      ...(actor.ip ? { ip: actor.ip } : {}),
    });
    return created;
  }

  /** An admin revokes a key: it stops working at once. Audited. */
  async revokeByAdmin(actor: KeyAdmin, id: string): Promise<ApiClient> {
    this.requireAdmin(actor);
    const client = await this.get(id);
    if (!client) throw new AppError('not_found', 'There is no API client with that id');
    if (!client.revokedAt) {
      await this.revoke(client.keyPrefix);
      await audit(this.db, {
        staffId: actor.id,
        action: 'api_client.revoked',
        detail: { apiClientId: client.id, name: client.name },
        ...(actor.ip ? { ip: actor.ip } : {}),
      });
    }
    return client;
  }

  async get(id: string): Promise<ApiClient | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const row = await repo.findClient(this.db, id);
    return row ? toClient(row) : undefined;
  }

  private requireAdmin(actor: KeyAdmin): void {
    if (actor.role !== 'admin') throw new AppError('forbidden', 'Only administrators manage API keys');
  }

  /**
   * The live client whose key starts like this one, without checking the secret: only to count the
   * requests of one client together for its rate limit (the handler checks the whole key).
   */
  async byKeyPrefix(key: string): Promise<{ id: string; rateLimitPerMinute: number | null } | undefined> {
    const match = /^cdk_([a-z0-9]{10})_/.exec(key.trim());
    if (!match) return undefined;
    const row = await repo.findClientByPrefix(this.db, match[1]!);
    return row && !row.revoked_at ? { id: row.id, rateLimitPerMinute: row.rate_limit_per_minute } : undefined;
  }

  /** The live client a key belongs to, or undefined. Records when it was last used (at most per minute). */
  async authenticate(key: string): Promise<ApiClient | undefined> {
    const match = KEY_PATTERN.exec(key.trim());
    if (!match) return undefined;
    const row = await repo.findClientByPrefix(this.db, match[1]!);
    if (!row || row.revoked_at) return undefined;
    const expected = Buffer.from(row.key_hash, 'hex');
    const given = Buffer.from(hashKey(key.trim()), 'hex');
    if (!crypto.timingSafeEqual(expected, given)) return undefined;
    if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > 60_000) {
      await repo.markClientUsed(this.db, row.id);
    }
    return toClient(row);
  }
}

function toClient(row: repo.ApiClientRow): ApiClient {
  return {
    id: row.id,
    name: row.name,
    keyPrefix: row.key_prefix,
    scopes: row.scopes,
    serviceCodes: row.service_codes,
    bodyId: row.body_id,
    open311Tokens: row.open311_tokens,
    rateLimitPerMinute: row.rate_limit_per_minute,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    createdAt: row.created_at,
  };
}
