/**
 * The case as the back office reads it: camelCase, mapped from the database rows here so that pages and
 * their view models never see a column name. The reads that fill these are in case-queries.ts; the writes
 * stay on the rows (cases.repository.ts), which only the case core touches.
 */
import type { CaseChannel, CasePriority, CaseStatus } from '../../db/database.js';
import type { CaseRow } from './cases.repository.js';

/** One case, with what the case page shows and acts on. */
export interface Case {
  id: string;
  reference: string;
  serviceId: string;
  bodyId: string;
  teamId: string | null;
  status: CaseStatus;
  priority: CasePriority;
  channel: CaseChannel;
  description: string;
  /** The service's questions' codes and the keys of what the reporter answered. */
  answers: Record<string, string | string[]>;
  lat: number;
  lon: number;
  locationDescription: string;
  locationDetail: string;
  /** Why the case went where it did: the routing decision as it was recorded. */
  routing: Record<string, unknown>;
  dueAt: Date | null;
  closedAt: Date | null;
  createdAt: Date;
  reporterContactId: string | null;
  assigneeStaffId: string | null;
  duplicateOfCaseId: string | null;
}

export function toCase(row: CaseRow): Case {
  return {
    id: row.id,
    reference: row.reference,
    serviceId: row.service_id,
    bodyId: row.body_id,
    teamId: row.team_id,
    status: row.status,
    priority: row.priority,
    channel: row.channel,
    description: row.description,
    answers: row.answers,
    lat: row.lat,
    lon: row.lon,
    locationDescription: row.location_description,
    locationDetail: row.location_detail,
    routing: row.routing,
    dueAt: row.due_at,
    closedAt: row.closed_at,
    createdAt: row.created_at,
    reporterContactId: row.reporter_contact_id,
    assigneeStaffId: row.assignee_staff_id,
    duplicateOfCaseId: row.duplicate_of_case_id,
  };
}

/** A case as a line of a queue. */
export interface QueuedCase {
  id: string;
  reference: string;
  status: CaseStatus;
  priority: CasePriority;
  channel: CaseChannel;
  locationDescription: string;
  description: string;
  dueAt: Date | null;
  createdAt: Date;
  closedAt: Date | null;
  serviceName: string;
  teamName: string | null;
  assigneeName: string | null;
}

/** A case a resident reported or follows, as their contact page lists it. */
export interface ContactCase {
  reference: string;
  status: CaseStatus;
  createdAt: Date;
  closedAt: Date | null;
  channel: CaseChannel;
  locationDescription: string;
  serviceName: string;
  /** True if they reported it, false if they only follow it. */
  reported: boolean;
}

/** Another case of the same reporter, as the case page links to it. */
export interface OtherCase {
  reference: string;
  status: CaseStatus;
  createdAt: Date;
  serviceName: string;
}

/** One entry of a case's timeline, newest first. */
export interface TimelineEntry {
  id: number;
  kind: string;
  isPublic: boolean;
  body: string;
  data: Record<string, unknown>;
  actor: 'resident' | 'staff' | 'system' | 'integration';
  createdAt: Date;
  /** The member of staff who did it, if one did. */
  staffName: string | null;
}

/** A timeline entry that recorded emails to this address. */
export interface EmailEvent {
  id: number;
  body: string;
  data: Record<string, unknown>;
  createdAt: Date;
  reference: string;
}
