/**
 * Row types for the council's set-up, owned by the organisations, areas, services, calendars and routing
 * modules: the tables the catalogue exports and imports as a whole.
 */
import type { ColumnType, Generated } from 'kysely';
import type { Json } from './column-types.js';

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

export interface BodyCaseAccessTable {
  body_id: string;
  case_body_id: string;
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

/** One row: bumped by a trigger whenever the area table changes (see the area_revision migration). */
export interface AreaRevisionTable {
  id: ColumnType<boolean, never, never>;
  revision: ColumnType<number, never, never>;
  changed_at: ColumnType<Date, never, never>;
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
