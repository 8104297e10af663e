/**
 * What every keyed JSON API route shares: reading the key, checking its scope, and making writes safe
 * to retry with an `Idempotency-Key` header.
 *
 * Idempotency: the first request with a key runs and its answer (success or a 4xx problem) is stored
 * with a hash of what was asked; a retry with the same key and the same request gets the stored answer
 * again (with `Idempotent-Replayed: true`) and changes nothing; the same key with a different request is
 * a 422 problem; a retry while the first is still running is a 409. Keys are per API client and are
 * kept for 24 hours. If a process dies between making the change and storing its answer, the key
 * answers 409 for ten minutes and is then forgotten.
 */
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { Database } from '../../db/database.js';
import { AppError, type ErrorCode, type FieldError } from '../../lib/errors.js';
import * as repo from './api-clients.repository.js';
import type { ApiClient, ApiClientsService } from './api-clients.service.js';

/** The key from `Authorization: Bearer cdk_...` (or `X-API-Key`). */
export function bearerKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string' && /^Bearer\s+/i.test(header)) return header.replace(/^Bearer\s+/i, '');
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey : undefined;
}

/** The headers schema of a route that takes an Idempotency-Key (other headers pass through). */
export const IdempotencyHeaders = Type.Object(
  {
    'idempotency-key': Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Any unique string (a UUID): a retry with the same key and body is answered once',
      }),
    ),
  },
  { additionalProperties: true },
);

/** The live client for the request's key, with `scope`; 401 or 403 problems otherwise. */
export async function authenticateKey(
  apiClients: ApiClientsService,
  request: FastifyRequest,
  scope: string,
): Promise<ApiClient> {
  const key = bearerKey(request);
  if (!key)
    throw new AppError('unauthorized', 'Send an API key in the Authorization header: "Bearer cdk_..."');
  const client = await apiClients.authenticate(key);
  if (!client) throw new AppError('unauthorized', 'That API key is not valid or has been revoked');
  if (!client.scopes.includes(scope))
    throw new AppError('forbidden', `This API key does not have the ${scope} scope`);
  return client;
}

const KEEP_MS = 24 * 3600_000;
const STALE_RUNNING_MS = 10 * 60_000;

interface Stored {
  status: number;
  body?: unknown;
  problem?: { code: ErrorCode; message: string; fieldErrors: FieldError[] };
}

/** JSON with object keys sorted, so the same request always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Runs `write` once per Idempotency-Key (when the request has one) and answers with its result, or
 * with the stored result of the first request with that key.
 */
export async function idempotentWrite(
  db: Kysely<Database>,
  client: ApiClient,
  request: FastifyRequest,
  reply: FastifyReply,
  write: () => Promise<{ status: number; body: unknown }>,
): Promise<unknown> {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string' || !key) {
    const result = await write();
    return reply.status(result.status).send(result.body);
  }
  const hash = crypto
    .createHash('sha256')
    .update(`${request.method} ${request.url.split('?')[0]}\n${canonical(request.body)}`)
    .digest('hex');

  for (let tries = 0; tries < 2; tries++) {
    if (await repo.claimIdempotencyKey(db, client.id, key, hash))
      return runAndStore(db, client, key, reply, write);

    const existing = await repo.findIdempotencyKey(db, client.id, key);
    if (!existing) continue; // forgotten in between: claim it again
    const age = Date.now() - existing.created_at.getTime();
    if (age > KEEP_MS || (existing.state === 'running' && age > STALE_RUNNING_MS)) {
      await forget(db, client.id, key);
      continue;
    }
    if (existing.request_hash !== hash) {
      throw new AppError(
        'idempotency_key_reused',
        'This Idempotency-Key was already used with a different request. Use a new key for a new request.',
      );
    }
    if (existing.state === 'running')
      throw new AppError(
        'conflict',
        'The first request with this Idempotency-Key is still running: retry shortly',
      );
    const stored = existing.response as Stored;
    reply.header('idempotent-replayed', 'true');
    if (stored.problem)
      throw new AppError(stored.problem.code, stored.problem.message, stored.problem.fieldErrors);
    return reply.status(stored.status).send(stored.body);
  }
  throw new AppError('conflict', 'The Idempotency-Key could not be claimed: retry shortly');
}

async function runAndStore(
  db: Kysely<Database>,
  client: ApiClient,
  key: string,
  reply: FastifyReply,
  write: () => Promise<{ status: number; body: unknown }>,
): Promise<unknown> {
  let stored: Stored;
  try {
    const result = await write();
    stored = { status: result.status, body: result.body };
  } catch (error) {
    if (error instanceof AppError && error.status < 500) {
      // A refusal is an answer too: the same request with the same key is refused the same way.
      stored = {
        status: error.status,
        problem: { code: error.code, message: error.message, fieldErrors: error.fieldErrors },
      };
      await save(db, client.id, key, stored);
    } else {
      await forget(db, client.id, key); // nothing was decided: the client may try again
    }
    throw error;
  }
  await save(db, client.id, key, stored);
  return reply.status(stored.status).send(stored.body);
}

async function save(db: Kysely<Database>, clientId: string, key: string, stored: Stored): Promise<void> {
  await repo.storeIdempotentAnswer(db, clientId, key, stored.status, stored);
}

async function forget(db: Kysely<Database>, clientId: string, key: string): Promise<void> {
  await repo.forgetIdempotencyKey(db, clientId, key);
}
