/**
 * Row types for the gazetteer (src/modules/gazetteer): postcodes, streets and named places with their
 * points, and addresses.
 */
import type { ColumnType, Generated } from 'kysely';

export interface GazetteerPostcodeTable {
  /** Normal form, "M33 7AA". */
  postcode: string;
  compact: ColumnType<string, never, never>;
  lon: number;
  lat: number;
  lat_band: ColumnType<number, never, never>;
  ward_code: string | null;
  ward_name: string | null;
  la_code: string | null;
  parish_code: string | null;
  lsoa_code: string | null;
  terminated_on: ColumnType<Date | null, string | null | undefined, string | null>;
  updated_at: Generated<Date>;
}

export interface GazetteerPlaceTable {
  id: ColumnType<number, never, never>;
  kind: 'street' | 'place';
  name: string;
  place_type: Generated<string>;
  locality: Generated<string>;
  name_key: string;
  locality_key: Generated<string>;
  search_text: string;
  lon: number;
  lat: number;
  lat_band: ColumnType<number, never, never>;
  min_lon: number;
  min_lat: number;
  max_lon: number;
  max_lat: number;
  point_count: number;
  updated_at: Generated<Date>;
}

export interface GazetteerPlacePointTable {
  place_id: number;
  lon: number;
  lat: number;
  lat_band: ColumnType<number, never, never>;
}

export interface GazetteerAddressTable {
  uprn: number;
  text: string;
  postcode: string | null;
  search_text: string;
  lon: number;
  lat: number;
  lat_band: ColumnType<number, never, never>;
  updated_at: Generated<Date>;
}
