/** Who works where, for other modules: a body's staff (to assign cases to) and a team's leads (to tell). */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';
import * as repo from './staff.repository.js';

export class StaffDirectory {
  constructor(private readonly db: Kysely<Database>) {}

  /** Active staff of a body, by name. */
  ofBody(bodyId: string) {
    return repo.activeStaffOfBody(this.db, bodyId);
  }

  /** Active team leads of a team (inside the caller's transaction, if given one). */
  teamLeads(teamId: string, executor: Executor = this.db) {
    return repo.activeTeamLeads(executor, teamId);
  }
}
