/**
 * Table types for Kysely: the shape of each row as the database holds it. Repositories map these to the
 * domain types their modules expose; nothing outside a repository should need these.
 */
import type { ColumnType, Generated, GeneratedAlways, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string | T, string | T>;

export interface BodyTable {
  id: Generated<string>;
  code: string;
  name: string;
  kind: 'county' | 'district' | 'unitary' | 'metropolitan_borough' | 'london_borough' | 'parish' | 'other';
  email: string | null;
  phone: string | null;
  website: string | null;
  delivery_method: Generated<'civicdesk' | 'email' | 'open311' | 'webhook'>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface TeamTable {
  id: Generated<string>;
  body_id: string;
  code: string;
  name: string;
  email: string | null;
  created_at: Generated<Date>;
}

export interface AreaTable {
  id: Generated<string>;
  kind: 'council' | 'ward' | 'parish' | 'locality' | 'custom';
  code: string;
  name: string;
  body_id: string | null;
  geometry: Json<unknown>;
  min_lon: number;
  min_lat: number;
  max_lon: number;
  max_lat: number;
  valid_from: ColumnType<Date, string | undefined, string>;
  valid_to: ColumnType<Date | null, string | null | undefined, string | null>;
  created_at: Generated<Date>;
}

export interface ServiceTable {
  id: Generated<string>;
  code: string;
  name: string;
  group_name: Generated<string>;
  description: Generated<string>;
  keywords: ColumnType<string[], string[] | undefined, string[]>;
  is_public: Generated<boolean>;
  active: Generated<boolean>;
  definition: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ServiceBodyTable {
  service_id: string;
  body_id: string;
}

export type StaffRole = 'agent' | 'officer' | 'team_lead' | 'admin';

export interface StaffUserTable {
  id: Generated<string>;
  email: string;
  name: string;
  password_hash: string | null;
  role: StaffRole;
  body_id: string;
  team_id: string | null;
  /** Sealed (AES-256-GCM, see src/modules/staff/secret-box.ts), never the secret itself. */
  totp_secret: string | null;
  disabled_at: Date | null;
  created_at: Generated<Date>;
  totp_enabled_at: Date | null;
  totp_last_step: number | null;
  failed_attempts: Generated<number>;
  failed_since: Date | null;
  locked_until: Date | null;
  last_sign_in_at: Date | null;
  password_changed_at: Date | null;
  sessions_revoked_at: Date | null;
  /** The identity-provider account that signs into this one (both set, or neither). */
  oidc_issuer: string | null;
  oidc_subject: string | null;
}

export interface StaffRecoveryCodeTable {
  staff_user_id: string;
  code_hash: string;
  used_at: Date | null;
  created_at: Generated<Date>;
}

export interface StaffPasswordResetTable {
  token_hash: string;
  staff_user_id: string;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
  /** An invitation sets a new account's first password; a reset replaces one. */
  purpose: Generated<'reset' | 'invitation'>;
}

export interface SessionTable {
  id_hash: string;
  csrf_token: string;
  staff_user_id: string | null;
  data: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
  last_seen_at: Generated<Date>;
  expires_at: Timestamp;
}

export type JobStatus = 'pending' | 'running' | 'done' | 'dead';

export interface OutboxJobTable {
  id: ColumnType<number, never, never>;
  kind: string;
  payload: Json<Record<string, unknown>>;
  status: Generated<JobStatus>;
  attempts: Generated<number>;
  max_attempts: number;
  run_at: ColumnType<Date, Date | string | undefined, Date | string>;
  locked_by: string | null;
  locked_until: Date | null;
  last_error: string | null;
  dedupe_key: string | null;
  /** Jobs with the same key run one at a time, in id order (case events per subscriber and case). */
  ordering_key: Generated<string | null>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  finished_at: Date | null;
}

export interface WorkerHeartbeatTable {
  worker_id: string;
  host: string;
  pid: number;
  started_at: Generated<Date>;
  last_seen_at: Generated<Date>;
}

export interface CalendarTable {
  id: Generated<string>;
  code: string;
  name: string;
  time_zone: Generated<string>;
  working_weekdays: ColumnType<number[], number[] | undefined, number[]>;
  opens_at: Generated<string>;
  closes_at: Generated<string>;
  bank_holidays: Generated<'england-and-wales' | 'none'>;
}

export interface CalendarClosureTable {
  calendar_id: string;
  date: ColumnType<Date, string, string>;
  name: string;
}

export interface RoutingRuleTable {
  id: Generated<string>;
  service_id: string | null;
  position: number;
  name: string;
  conditions: Json<Record<string, unknown>>;
  body_id: string;
  team_id: string | null;
  show_contact: Generated<boolean>;
  enabled: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface SiteSettingTable {
  key: string;
  value: Json<unknown>;
  updated_at: Generated<Date>;
}

/** One row: bumped by a trigger whenever the area table changes (see the area_revision migration). */
export interface AreaRevisionTable {
  id: ColumnType<boolean, never, never>;
  revision: ColumnType<number, never, never>;
  changed_at: ColumnType<Date, never, never>;
}

/** Gazetteer (src/modules/gazetteer): postcodes, streets and named places, addresses. */
export interface GazetteerPostcodeTable {
  /** Normal form, "M33 7AA". */
  postcode: string;
  compact: ColumnType<string, never, never>;
  lon: number;
  lat: number;
  lat_band: ColumnType<number, never, never>;
  ward_code: string | null;
  ward_name: string | null;
  la_code: string | null;
  parish_code: string | null;
  lsoa_code: string | null;
  terminated_on: ColumnType<Date | null, string | null | undefined, string | null>;
  updated_at: Generated<Date>;
}

export interface GazetteerPlaceTable {
  id: ColumnType<number, never, never>;
  kind: 'street' | 'place';
  name: string;
  place_type: Generated<string>;
  locality: Generated<string>;
  name_key: string;
  locality_key: Generated<string>;
  search_text: string;
  lon: number;
  lat: number;
  lat_band: ColumnType<number, never, never>;
  min_lon: number;
  min_lat: number;
  max_lon: number;
  max_lat: number;
  point_count: number;
  updated_at: Generated<Date>;
}

export interface GazetteerPlacePointTable {
  place_id: number;
  lon: number;
  lat: number;
  lat_band: ColumnType<number, never, never>;
}

export interface GazetteerAddressTable {
  uprn: number;
  text: string;
  postcode: string | null;
  search_text: string;
  lon: number;
  lat: number;
  lat_band: ColumnType<number, never, never>;
  updated_at: Generated<Date>;
}

export interface BodyCaseAccessTable {
  body_id: string;
  case_body_id: string;
  created_at: Generated<Date>;
}

export interface CaseWorkflowStatusTable {
  status: CaseStatus;
  enabled: Generated<boolean>;
  next_statuses: Generated<CaseStatus[]>;
  updated_at: Generated<Date>;
}

export type CasePriority = 'low' | 'normal' | 'high' | 'urgent';

export interface ContactTable {
  id: Generated<string>;
  name: string | null;
  email: string | null;
  email_normalised: string | null;
  phone: string | null;
  email_verified_at: Date | null;
  postcode: string | null;
  address: string | null;
  /** Generated by the database from phone: digits only, +44 as a leading 0. */
  phone_digits: GeneratedAlways<string | null>;
  created_by_body_id: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type InteractionKind = 'call' | 'email' | 'visit' | 'letter';

export interface InteractionTable {
  id: Generated<string>;
  contact_id: string;
  case_id: string | null;
  body_id: string;
  kind: InteractionKind;
  direction: 'inbound' | 'outbound';
  summary: string;
  staff_id: string | null;
  occurred_at: Generated<Date>;
  created_at: Generated<Date>;
}

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

export type CaseStatus =
  | 'received'
  | 'in_progress'
  | 'action_scheduled'
  | 'fixed'
  | 'closed_not_fixed'
  | 'not_responsible'
  | 'duplicate'
  | 'cancelled';

export type CaseChannel = 'web' | 'api' | 'phone' | 'email' | 'visit' | 'letter' | 'open311';

export interface CasesTable {
  id: Generated<string>;
  reference: string;
  service_id: string;
  body_id: string;
  team_id: string | null;
  status: Generated<CaseStatus>;
  channel: CaseChannel;
  description: Generated<string>;
  answers: Json<Record<string, string | string[]>>;
  lat: number;
  lon: number;
  location_description: Generated<string>;
  location_detail: Generated<string>;
  areas: Json<{ kind: string; code: string; name: string }[]>;
  routing: Json<Record<string, unknown>>;
  due_at: Date | null;
  reporter_contact_id: string | null;
  reporter_name_public: Generated<boolean>;
  updates_by_email: Generated<boolean>;
  is_public: Generated<boolean>;
  tracking_token_hash: string;
  idempotency_key: string | null;
  api_client_id: string | null;
  outcome: string | null;
  closed_at: Date | null;
  assignee_staff_id: ColumnType<string | null, string | null | undefined, string | null>;
  priority: Generated<CasePriority>;
  overdue_notified_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** The new expected date the resident was given when the first one passed. */
  revised_due_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** The original, when this case was marked as its duplicate (never itself a duplicate: no chains). */
  duplicate_of_case_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface CaseEventTable {
  id: ColumnType<number, never, never>;
  case_id: string;
  kind: string;
  is_public: Generated<boolean>;
  body: Generated<string>;
  data: Json<Record<string, unknown>>;
  actor: 'resident' | 'staff' | 'system' | 'integration';
  actor_staff_id: string | null;
  created_at: Generated<Date>;
}

export interface CaseFollowerTable {
  case_id: string;
  contact_id: string;
  updates_by_email: Generated<boolean>;
  created_at: Generated<Date>;
}

/** Residents' photos (src/modules/photos); the files themselves are in the PhotoStore. */
export interface PhotoTable {
  id: Generated<string>;
  owner_key: string;
  case_id: string | null;
  storage_key: string;
  thumbnail_key: string;
  width: number;
  height: number;
  bytes: number;
  source_type: string;
  is_public: Generated<boolean>;
  created_at: Generated<Date>;
  attached_at: Date | null;
}

export interface AuditEventTable {
  id: ColumnType<number, never, never>;
  staff_user_id: string | null;
  action: string;
  case_id: string | null;
  detail: Json<Record<string, unknown>>;
  ip: string | null;
  created_at: Generated<Date>;
}

/** Delivery of cases to bodies' own systems (src/modules/delivery). */
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

/** Words an officer starts a public update from (src/modules/response-templates). */
export interface ResponseTemplateTable {
  id: Generated<string>;
  name: string;
  body: string;
  sets_status: CaseStatus | null;
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

/** Webhooks and the CRM API (src/modules/webhooks, src/modules/crm-api). */
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

export interface CaseExternalReferenceTable {
  case_id: string;
  api_client_id: string | null;
  external_reference: string;
  updated_at: Generated<Date>;
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

export interface Database {
  body: BodyTable;
  team: TeamTable;
  body_case_access: BodyCaseAccessTable;
  case_workflow_status: CaseWorkflowStatusTable;
  area: AreaTable;
  area_revision: AreaRevisionTable;
  service: ServiceTable;
  service_body: ServiceBodyTable;
  staff_user: StaffUserTable;
  staff_recovery_code: StaffRecoveryCodeTable;
  staff_password_reset: StaffPasswordResetTable;
  session: SessionTable;
  outbox_job: OutboxJobTable;
  worker_heartbeat: WorkerHeartbeatTable;
  calendar: CalendarTable;
  calendar_closure: CalendarClosureTable;
  routing_rule: RoutingRuleTable;
  site_setting: SiteSettingTable;
  photo: PhotoTable;
  contact: ContactTable;
  interaction: InteractionTable;
  api_client: ApiClientTable;
  cases: CasesTable;
  case_event: CaseEventTable;
  case_follower: CaseFollowerTable;
  audit_event: AuditEventTable;
  delivery_target: DeliveryTargetTable;
  case_delivery: CaseDeliveryTable;
  inbound_email: InboundEmailTable;
  open311_update_seen: Open311UpdateSeenTable;
  open311_poll: Open311PollTable;
  open311_server_update: Open311ServerUpdateTable;
  open311_token: Open311TokenTable;
  response_template: ResponseTemplateTable;
  webhook_endpoint: WebhookEndpointTable;
  webhook_event: WebhookEventTable;
  webhook_delivery: WebhookDeliveryTable;
  webhook_attempt: WebhookAttemptTable;
  case_external_reference: CaseExternalReferenceTable;
  api_idempotency: ApiIdempotencyTable;
  gazetteer_postcode: GazetteerPostcodeTable;
  gazetteer_place: GazetteerPlaceTable;
  gazetteer_place_point: GazetteerPlacePointTable;
  gazetteer_address: GazetteerAddressTable;
}

export type OutboxJobRow = Selectable<OutboxJobTable>;
export type NewOutboxJob = Insertable<OutboxJobTable>;
