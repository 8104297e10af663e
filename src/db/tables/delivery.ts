/**
 * Row types for delivery of cases to bodies (src/modules/delivery): where each body's cases go, each
 * case's delivery, the Open311 endpoints' updates and polling, and replies that come back by email.
 */
import type { ColumnType, Generated } from 'kysely';
import type { Json } from './column-types.js';

export type DeliveryMethodName = 'email' | 'open311';

export interface DeliveryTargetTable {
  id: Generated<string>;
  body_id: string;
  service_id: string | null;
  method: DeliveryMethodName;
  settings: Json<Record<string, unknown>>;
  active: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface CaseDeliveryTable {
  id: Generated<string>;
  case_id: string;
  target_id: string;
  method: DeliveryMethodName;
  state: Generated<'pending' | 'sent' | 'failed'>;
  attempts: Generated<number>;
  last_error: string | null;
  external_id: string | null;
  sent_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** An update from an Open311 endpoint that has been applied to a case (src/modules/delivery/open311). */
export interface Open311UpdateSeenTable {
  target_id: string;
  update_id: string;
  case_id: string | null;
  received_at: Generated<Date>;
}

/** How far an Open311 endpoint's updates have been fetched. */
export interface Open311PollTable {
  target_id: string;
  polled_until: Date;
  last_polled_at: Generated<Date>;
  last_error: string | null;
}

export interface InboundEmailTable {
  id: Generated<string>;
  outcome: 'threaded' | 'auto_reply' | 'bounce' | 'unmatched';
  reason: Generated<string>;
  case_id: string | null;
  message_id: string | null;
  mail_from: Generated<string>;
  recipients: ColumnType<string[], string[] | undefined, string[]>;
  subject: Generated<string>;
  excerpt: Generated<string>;
  size: Generated<number>;
  received_at: Generated<Date>;
}
