/**
 * Row types for other systems calling in or being called: API keys (src/modules/api-clients), the CRM
 * API's idempotent writes (src/modules/crm-api), the Open311 server's updates and tokens
 * (src/modules/open311-server) and webhooks (src/modules/webhooks).
 */
import type { ColumnType, Generated } from 'kysely';
import type { Json } from './column-types.js';

export interface ApiClientTable {
  id: Generated<string>;
  name: string;
  key_prefix: string;
  key_hash: string;
  scopes: ColumnType<string[], string[] | undefined, string[]>;
  service_codes: ColumnType<string[], string[] | undefined, string[]>;
  /** Set for a CRM's key: it reaches only this body's cases. */
  body_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Open311: answer POST requests with a token (the batch style) rather than the case reference. */
  open311_tokens: Generated<boolean>;
  /** Requests a minute to the Open311 server; null: the default. */
  rate_limit_per_minute: ColumnType<number | null, number | null | undefined, number | null>;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: Generated<Date>;
}

export interface ApiIdempotencyTable {
  api_client_id: string;
  key: string;
  request_hash: string;
  state: Generated<'running' | 'done'>;
  status_code: number | null;
  response: Json<unknown> | null;
  created_at: Generated<Date>;
}

/** An update another system POSTed to our Open311 servicerequestupdates, claimed once per client. */
export interface Open311ServerUpdateTable {
  api_client_id: string;
  update_id: string;
  case_id: string | null;
  state: Generated<'running' | 'done'>;
  event_id: ColumnType<number | null, number | null | undefined, number | null>;
  external_status_code: string | null;
  created_at: Generated<Date>;
}

/** A token our Open311 server gave instead of an id; tokens/{token} maps it to the case. */
export interface Open311TokenTable {
  token: string;
  case_id: string;
  api_client_id: string | null;
  created_at: Generated<Date>;
}

export interface WebhookEndpointTable {
  id: Generated<string>;
  name: string;
  url: string;
  events: ColumnType<string[], string[] | undefined, string[]>;
  body_id: string | null;
  service_id: string | null;
  secret_sealed: string;
  active: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface WebhookEventTable {
  seq: ColumnType<number, never, never>;
  id: string;
  type: string;
  case_id: string | null;
  data: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
}

export interface WebhookDeliveryTable {
  id: Generated<string>;
  endpoint_id: string;
  event_seq: number;
  case_id: string | null;
  kind: Generated<'event' | 'redelivery' | 'ping'>;
  state: Generated<'pending' | 'waiting' | 'delivered' | 'failed'>;
  attempts: Generated<number>;
  last_status: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface WebhookAttemptTable {
  id: ColumnType<number, never, never>;
  delivery_id: string;
  attempted_at: Generated<Date>;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_snippet: Generated<string>;
}
