/**
 * Services (what a resident can report or request). This slice: listing them, grouped, for the
 * start page. Questions, timescales and routing arrive with the routing work.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { listActiveServices, type ServiceSummary } from './services.repository.js';

export interface ServiceGroup {
  name: string;
  services: ServiceSummary[];
}

export class ServicesService {
  constructor(private readonly db: Kysely<Database>) {}

  async groupedServices(): Promise<ServiceGroup[]> {
    const groups = new Map<string, ServiceSummary[]>();
    for (const service of await listActiveServices(this.db)) {
      const name = service.group || 'Other';
      groups.set(name, [...(groups.get(name) ?? []), service]);
    }
    return [...groups].map(([name, services]) => ({ name, services }));
  }
}
