/** Who acts on a case, and the rules about who may do what that every front door shares. */
import type { CaseStatus, StaffRole } from '../../db/database.js';

export interface Actor {
  id: string;
  name: string;
  role: StaffRole;
  bodyId: string;
  teamId: string | null;
  ip?: string;
  /** Another system (a CRM's API key, whose id and name these are), not a member of staff: update() only. */
  integration?: boolean;
}

/** Another system acting on a case (a CRM's key, an Open311 back office or client): update() only. */
export interface IntegrationActor {
  id: string;
  name: string;
  role: 'officer';
  bodyId: string;
  teamId: null;
  integration: true;
}

/** How another system's update reaches a case: CasesService.update, as an integration. */
export type IntegrationUpdate = (
  actor: IntegrationActor,
  reference: string,
  input: { status?: CaseStatus; publicUpdate: string },
) => Promise<void>;

/**
 * Who may change who has a case: anyone may take it themselves (or hand back their own); team leads
 * manage their own team's cases (and those with no team); admins any case they can see.
 */
export function mayAssign(
  actor: Actor,
  row: { team_id: string | null; assignee_staff_id: string | null },
  staffId: string | null,
): boolean {
  if (actor.role === 'admin') return true;
  if (staffId === actor.id) return true;
  if (staffId === null && row.assignee_staff_id === actor.id) return true;
  return actor.role === 'team_lead' && (row.team_id === null || row.team_id === actor.teamId);
}

/** An email a timeline event says was sent: to whom, and the outbox job sending it. */
export interface QueuedEmail {
  to: string;
  jobId: number;
}
