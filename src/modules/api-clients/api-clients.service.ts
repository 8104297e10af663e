/**
 * API clients: other systems (apps, FixMyStreet, CRMs) that call the JSON API or Open311 with a key.
 * A key looks like cdk_<prefix>_<secret>; the prefix finds the client, and only a SHA-256 of the whole
 * key is stored (keys are long and random, so a fast hash is the right one; there is nothing to
 * brute-force). The key is shown once, when it is made.
 */
import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';

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
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
}

function hashKey(key: string): string {
  return crypto.createHash('sha256').update(key).digest('hex');
}

const KEY_PATTERN = /^cdk_([a-z0-9]{10})_([A-Za-z0-9_-]{32,64})$/;

export class ApiClientsService {
  constructor(private readonly db: Kysely<Database>) {}

  async create(input: {
    name: string;
    scopes: Scope[];
    serviceCodes?: string[];
    bodyId?: string | null;
    /** Open311: answer POST requests with a token (batch style) instead of the case reference. */
    open311Tokens?: boolean;
  }): Promise<{ client: ApiClient; key: string }> {
    const prefix = crypto.randomBytes(8).toString('hex').slice(0, 10);
    const key = `cdk_${prefix}_${crypto.randomBytes(32).toString('base64url')}`;
    const row = await this.db
      .insertInto('api_client')
      .values({
        name: input.name.trim(),
        key_prefix: prefix,
        key_hash: hashKey(key),
        scopes: input.scopes,
        service_codes: input.serviceCodes ?? [],
        body_id: input.bodyId ?? null,
        open311_tokens: input.open311Tokens === true,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { client: toClient(row), key };
  }

  async list(): Promise<ApiClient[]> {
    return (await this.db.selectFrom('api_client').selectAll().orderBy('created_at').execute()).map(toClient);
  }

  async revoke(prefix: string): Promise<boolean> {
    const result = await this.db
      .updateTable('api_client')
      .set({ revoked_at: new Date() })
      .where('key_prefix', '=', prefix)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** The live client a key belongs to, or undefined. Records when it was last used (at most per minute). */
  async authenticate(key: string): Promise<ApiClient | undefined> {
    const match = KEY_PATTERN.exec(key.trim());
    if (!match) return undefined;
    const row = await this.db
      .selectFrom('api_client')
      .selectAll()
      .where('key_prefix', '=', match[1]!)
      .executeTakeFirst();
    if (!row || row.revoked_at) return undefined;
    const expected = Buffer.from(row.key_hash, 'hex');
    const given = Buffer.from(hashKey(key.trim()), 'hex');
    if (!crypto.timingSafeEqual(expected, given)) return undefined;
    if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > 60_000) {
      await this.db
        .updateTable('api_client')
        .set({ last_used_at: new Date() })
        .where('id', '=', row.id)
        .execute();
    }
    return toClient(row);
  }
}

function toClient(row: {
  id: string;
  name: string;
  key_prefix: string;
  scopes: string[];
  service_codes: string[];
  body_id: string | null;
  open311_tokens: boolean;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
}): ApiClient {
  return {
    id: row.id,
    name: row.name,
    keyPrefix: row.key_prefix,
    scopes: row.scopes,
    serviceCodes: row.service_codes,
    bodyId: row.body_id,
    open311Tokens: row.open311_tokens,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    createdAt: row.created_at,
  };
}
