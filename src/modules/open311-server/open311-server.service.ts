/**
 * The rules of the Open311 GeoReport v2 server: what services and questions are offered, how a POSTed
 * request becomes a case (through the one intake every front uses, channel "open311"), which public
 * cases and updates are listed, and how another system's update is applied to a case's timeline
 * (through the case-work service, so the resident is told as for an officer's update).
 *
 * The reads (GET) are open311-reads.ts and the writes (POST) open311-writes.ts, over what they share in
 * open311-server.shared.ts; this service puts them together for the routes in index.ts.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { Open311Reads } from './open311-reads.js';
import type { Open311ServerDeps } from './open311-server.shared.js';
import { Open311Writes } from './open311-writes.js';

export {
  DEFAULT_PAGE_SIZE,
  extendedStatus,
  MAX_PAGE_SIZE,
  MAX_REQUESTS,
  openOrClosed,
  WINDOW_DAYS,
  type Open311ServerDeps,
  type UpdateCase,
} from './open311-server.shared.js';

export class Open311ServerService {
  readonly reads: Open311Reads;
  readonly writes: Open311Writes;

  constructor(db: Kysely<Database>, deps: Open311ServerDeps) {
    this.reads = new Open311Reads(db, deps);
    this.writes = new Open311Writes(db, deps);
  }
}
