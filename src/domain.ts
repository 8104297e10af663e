/**
 * The module services wired together, once, for whoever needs them: the web app, the CLI commands and
 * tests. Modules reach each other only through these services.
 */
import type { Kysely } from 'kysely';
import type { Database } from './db/database.js';
import { currentAreas } from './modules/areas/areas.service.js';
import { AreaIndexProvider } from './modules/areas/spatial-index.js';
import { CalendarsService } from './modules/calendars/calendars.service.js';
import { CatalogueService } from './modules/catalogue/catalogue.service.js';
import { GazetteerService } from './modules/gazetteer/gazetteer.service.js';
import { OrganisationsService } from './modules/organisations/organisations.service.js';
import { RoutingService, type AreaLookup } from './modules/routing/routing.service.js';
import { ServicesService } from './modules/services/services.service.js';
import { ContactsService } from './modules/contacts/contacts.service.js';
import { ReportsService } from './modules/cases/index.js';

export interface AreaSummary {
  id: string;
  kind: string;
  code: string;
  name: string;
  bodyId: string | null;
}

export interface Domain {
  organisations: OrganisationsService;
  services: ServicesService;
  calendars: CalendarsService;
  routing: RoutingService;
  catalogue: CatalogueService;
  /** Place search and reverse lookup (postcodes, streets, places, addresses). */
  gazetteer: GazetteerService;
  /** This process's spatial index over the current areas, kept fresh from the database. */
  areaIndex: AreaIndexProvider;
  areasSummary(): Promise<AreaSummary[]>;
  contacts: ContactsService;
  /** Reports as residents see them: nearby, tracking, public views, following. */
  reports: ReportsService;
}

export function buildDomain(db: Kysely<Database>, options: { areaIndex?: AreaIndexProvider } = {}): Domain {
  const areaIndex = options.areaIndex ?? new AreaIndexProvider(db);
  const areas: AreaLookup = {
    containing: async (lon, lat) => [...(await areaIndex.get()).containing(lon, lat)],
  };
  const organisations = new OrganisationsService(db);
  const services = new ServicesService(db, organisations);
  const calendars = new CalendarsService(db);
  const routing = new RoutingService(db, { areas, services, organisations, calendars });
  const catalogue = new CatalogueService(db, { organisations, services, calendars, routing });
  const contacts = new ContactsService(db, organisations);
  return {
    organisations,
    services,
    calendars,
    routing,
    catalogue,
    gazetteer: new GazetteerService(db),
    contacts,
    reports: new ReportsService(db, { services, organisations, contacts }),
    areaIndex,
    areasSummary: async () =>
      (await currentAreas(db)).map(({ id, kind, code, name, bodyId }) => ({ id, kind, code, name, bodyId })),
  };
}
