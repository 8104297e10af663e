/**
 * The case core's public entry: other modules import the case only from here. It owns the case tables
 * (cases, case_event, case_follower) and every change to a case; see docs/architecture.md, "The case core".
 */
export { CasesService, overdueMessage, type CasesDeps, type TimelineEntryInput } from './cases.service.js';
export { CaseQueries, COUNT_CAP, type QueueFilter, type QueueSort, type QueueView } from './case-queries.js';
export {
  CaseEvents,
  CASE_EVENT_TYPES,
  type CaseEvent,
  type CaseEventSubscriber,
  type CaseEventType,
  type CasePlacement,
  type CaseSnapshot,
  type ChangedBy,
  type DeliveredCaseEvent,
} from './case-events.js';
export {
  mayAssign,
  type Actor,
  type IntegrationActor,
  type IntegrationUpdate,
  type QueuedEmail,
} from './case-types.js';
export {
  IntakeService,
  channelWords,
  hashToken,
  trackingUrl,
  reporterProblems,
  describeLocation,
  formatDue,
  type Channel,
  type ReportSubmission,
  type SubmitResult,
  type SubmittedCase,
} from './intake.service.js';
export { ReportsService, type KnownFollower, type NearbyReport, type ReportView } from './reports.service.js';
export { WorkflowService, ALL_STATUSES, FIRST_STATUS, type Workflow } from './workflow.js';
export type { CaseRow } from './cases.repository.js';
export {
  toCase,
  type Case,
  type ContactCase,
  type EmailEvent,
  type OtherCase,
  type QueuedCase,
  type TimelineEntry,
} from './case.js';
