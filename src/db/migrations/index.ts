/**
 * Every migration, by name. Names sort in the order they run (date and time first); add new ones at the
 * end. A static list rather than a folder scan, so the same list works under tsx and compiled.
 */
import type { Migration } from 'kysely';
import * as foundation from './2026_11_23_1800_foundation.js';
import * as areaRevision from './2026_11_23_1910_area_revision.js';
import * as gazetteer from './2026_11_23_1920_gazetteer.js';
import * as routing from './2026_11_23_1930_routing.js';
import * as cases from './2026_11_23_2000_cases.js';
import * as photos from './2026_11_23_2010_photos.js';
import * as staffSecurity from './2026_11_23_2100_staff_security.js';
import * as backOffice from './2026_11_23_2110_back_office.js';
import * as overdueNotices from './2026_11_23_2120_overdue_notices.js';
import * as verifiedContacts from './2026_11_23_2130_verified_contacts.js';
import * as integrationsApi from './2026_11_23_2260_integrations_api.js';
import * as delivery from './2026_11_23_2270_delivery.js';
import * as open311Client from './2026_11_23_2280_open311_client.js';
import * as responseTemplates from './2026_11_23_2290_response_templates.js';
import * as queueIndexes from './2026_11_23_2300_queue_indexes.js';
import * as contactCentre from './2026_12_05_1200_contact_centre.js';
import * as caseAccess from './2026_12_05_1210_case_access.js';
import * as caseWorkflow from './2026_12_05_1220_case_workflow.js';
import * as open311Server from './2026_12_05_1300_open311_server.js';
import * as caseDuplicates from './2026_12_05_1400_case_duplicates.js';
import * as staffAdmin from './2026_12_05_1500_staff_admin.js';
import * as staffOidcIdentity from './2026_12_05_1600_staff_oidc_identity.js';
import * as queueOrderIndexes from './2026_12_05_1610_queue_order_indexes.js';
import * as outboxOrdering from './2026_12_07_1000_outbox_ordering.js';

export const migrations: Record<string, Migration> = {
  '2026_11_23_1800_foundation': foundation,
  '2026_11_23_1910_area_revision': areaRevision,
  '2026_11_23_1920_gazetteer': gazetteer,
  '2026_11_23_1930_routing': routing,
  '2026_11_23_2000_cases': cases,
  '2026_11_23_2010_photos': photos,
  '2026_11_23_2100_staff_security': staffSecurity,
  '2026_11_23_2110_back_office': backOffice,
  '2026_11_23_2120_overdue_notices': overdueNotices,
  '2026_11_23_2130_verified_contacts': verifiedContacts,
  '2026_11_23_2260_integrations_api': integrationsApi,
  '2026_11_23_2270_delivery': delivery,
  '2026_11_23_2280_open311_client': open311Client,
  '2026_11_23_2290_response_templates': responseTemplates,
  '2026_11_23_2300_queue_indexes': queueIndexes,
  '2026_12_05_1200_contact_centre': contactCentre,
  '2026_12_05_1210_case_access': caseAccess,
  '2026_12_05_1220_case_workflow': caseWorkflow,
  '2026_12_05_1300_open311_server': open311Server,
  '2026_12_05_1400_case_duplicates': caseDuplicates,
  '2026_12_05_1500_staff_admin': staffAdmin,
  '2026_12_05_1600_staff_oidc_identity': staffOidcIdentity,
  '2026_12_05_1610_queue_order_indexes': queueOrderIndexes,
  '2026_12_07_1000_outbox_ordering': outboxOrdering,
};
