/**
 * Table types for Kysely: the shape of each row as the database holds it. Repositories map these to the
 * domain types their modules expose; nothing outside a repository should need these.
 *
 * The row types are in `tables/`, one file per owning module or group of modules; this file puts them
 * together as Kysely's `Database` and re-exports them, so code imports every table type from here.
 */
import type { Insertable, Selectable } from 'kysely';
import type {
  AreaRevisionTable,
  AreaTable,
  BodyCaseAccessTable,
  BodyTable,
  CalendarClosureTable,
  CalendarTable,
  RoutingRuleTable,
  ServiceBodyTable,
  ServiceTable,
  SiteSettingTable,
  TeamTable,
} from './tables/configuration.js';
import type { StaffPasswordResetTable, StaffRecoveryCodeTable, StaffUserTable } from './tables/staff.js';
import type {
  AuditEventTable,
  OutboxJobTable,
  SessionTable,
  WorkerHeartbeatTable,
} from './tables/platform.js';
import type {
  GazetteerAddressTable,
  GazetteerPlacePointTable,
  GazetteerPlaceTable,
  GazetteerPostcodeTable,
} from './tables/gazetteer.js';
import type {
  CaseEventTable,
  CaseExternalReferenceTable,
  CaseFollowerTable,
  CaseWorkflowStatusTable,
  CasesTable,
  ResponseTemplateTable,
} from './tables/cases.js';
import type { ContactTable, InteractionTable, PhotoTable } from './tables/residents.js';
import type {
  CaseDeliveryTable,
  DeliveryTargetTable,
  InboundEmailTable,
  Open311PollTable,
  Open311UpdateSeenTable,
} from './tables/delivery.js';
import type {
  ApiClientTable,
  ApiIdempotencyTable,
  Open311ServerUpdateTable,
  Open311TokenTable,
  WebhookAttemptTable,
  WebhookDeliveryTable,
  WebhookEndpointTable,
  WebhookEventTable,
} from './tables/integrations.js';

export type * from './tables/configuration.js';
export type * from './tables/staff.js';
export type * from './tables/platform.js';
export type * from './tables/gazetteer.js';
export type * from './tables/cases.js';
export type * from './tables/residents.js';
export type * from './tables/delivery.js';
export type * from './tables/integrations.js';

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
