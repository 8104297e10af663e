/**
 * The gazetteer behind the resident's "where is it?" search and the words that describe a pin.
 * Frozen in time: never import app code here, and never edit after release.
 *
 * Design: one table per kind of thing, because each has its own natural key, columns and search:
 * - gazetteer_postcode: one row per postcode (key: the normal form "M33 7AA"), its centroid and the ONS
 *   Postcode Directory codes worth keeping (ward, local authority, parish, LSOA, termination). Searched by
 *   btree only: exact, and prefix ranges for "M33 7" and "M33". The column uses the "C" collation so the
 *   btree order is plain byte order on both engines: a prefix is a range ("M33 7" ≤ p < "M33 8") the
 *   index answers, and results come out in the order a person expects (M3 1.., M30 .., M33 7AA, M33 7AB).
 * - gazetteer_place: named things found by name with typo tolerance: streets (kind 'street') and named
 *   places (kind 'place': parks, villages, landmarks). Same shape and one trigram index, so one ranked
 *   query covers both. Key: the name and locality in search form, so "Bradgate Rd" and "Bradgate Road"
 *   in the same locality are one street and re-imports update it.
 * - gazetteer_place_point: the points a street or place was built from (e.g. every street tree on it).
 *   The nearest street to a pin is the street with the nearest point; a single representative point
 *   cannot say that for a long street.
 * - gazetteer_address: one row per UPRN, with the single-line address, postcode and point. Many rows
 *   (a council has 100,000+), so it has its own trigram index and is listed by postcode.
 *
 * Nearest-point queries without PostGIS: every point has a generated lat_band (hundredths of a degree of
 * latitude, about 1.1 km) and a btree on (lat_band, lon). A search box of a few hundred metres touches one
 * or two bands, and within each band the index reads only the longitude range: the cost follows the box,
 * not the width of the country. The query then orders the few candidates by exact distance.
 *
 * Typo-tolerant search uses pg_trgm (GIN over each search_text, built with the same normalisation as the
 * queries: lower case, abbreviations written out). pg_trgm is in PostgreSQL's contrib and PGlite ships it.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create extension if not exists pg_trgm;

    create table gazetteer_postcode (
      postcode text collate "C" primary key
        check (postcode ~ '^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$' or postcode = 'GIR 0AA'),
      -- Without the space, for prefixes typed without one ("M3" also means M30 ..., "M11" also M1 1..).
      compact text collate "C" generated always as (replace(postcode, ' ', '')) stored,
      lon double precision not null check (lon between -180 and 180),
      lat double precision not null check (lat between -90 and 90),
      lat_band smallint generated always as (floor(lat * 100)::smallint) stored,
      ward_code text check (length(ward_code) <= 20),
      ward_name text check (length(ward_name) <= 200),
      la_code text check (length(la_code) <= 20),
      parish_code text check (length(parish_code) <= 20),
      lsoa_code text check (length(lsoa_code) <= 20),
      -- A postcode Royal Mail no longer uses: still found exactly, left out of prefix lists.
      terminated_on date,
      updated_at timestamptz not null default now()
    );
    create index gazetteer_postcode_compact_idx on gazetteer_postcode (compact);
    create index gazetteer_postcode_point_idx on gazetteer_postcode (lat_band, lon);

    create table gazetteer_place (
      id bigint generated always as identity primary key,
      kind text not null check (kind in ('street', 'place')),
      name text not null check (length(name) between 1 and 200),
      -- What sort of place ('park', 'village', ...); '' for streets and when unknown.
      place_type text not null default '' check (length(place_type) <= 50),
      locality text not null default '' check (length(locality) <= 200),
      -- Name and locality in search form (see the gazetteer module's place-name.ts): the natural key.
      name_key text not null check (length(name_key) between 1 and 200),
      locality_key text not null default '' check (length(locality_key) <= 200),
      -- name_key and locality_key together: what the trigram index holds.
      search_text text not null check (length(search_text) between 1 and 401),
      -- The representative point: of the source points, the one nearest their mean (always on the street).
      lon double precision not null check (lon between -180 and 180),
      lat double precision not null check (lat between -90 and 90),
      lat_band smallint generated always as (floor(lat * 100)::smallint) stored,
      min_lon double precision not null,
      min_lat double precision not null,
      max_lon double precision not null,
      max_lat double precision not null,
      point_count integer not null check (point_count > 0),
      updated_at timestamptz not null default now(),
      unique (kind, name_key, locality_key),
      check (min_lon <= lon and lon <= max_lon and min_lat <= lat and lat <= max_lat)
    );
    create index gazetteer_place_search_idx on gazetteer_place using gin (search_text gin_trgm_ops);
    create index gazetteer_place_point_idx on gazetteer_place (lat_band, lon);

    create table gazetteer_place_point (
      place_id bigint not null references gazetteer_place (id) on delete cascade,
      lon double precision not null check (lon between -180 and 180),
      lat double precision not null check (lat between -90 and 90),
      lat_band smallint generated always as (floor(lat * 100)::smallint) stored
    );
    create index gazetteer_place_point_place_idx on gazetteer_place_point (place_id);
    create index gazetteer_place_point_point_idx on gazetteer_place_point (lat_band, lon);

    create table gazetteer_address (
      -- Unique Property Reference Number: up to 12 digits.
      uprn bigint primary key check (uprn between 1 and 999999999999),
      text text not null check (length(text) between 1 and 500),
      postcode text collate "C"
        check (postcode ~ '^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$' or postcode = 'GIR 0AA'),
      search_text text not null check (length(search_text) between 1 and 500),
      lon double precision not null check (lon between -180 and 180),
      lat double precision not null check (lat between -90 and 90),
      lat_band smallint generated always as (floor(lat * 100)::smallint) stored,
      updated_at timestamptz not null default now()
    );
    create index gazetteer_address_postcode_idx on gazetteer_address (postcode);
    create index gazetteer_address_search_idx on gazetteer_address using gin (search_text gin_trgm_ops);
    create index gazetteer_address_point_idx on gazetteer_address (lat_band, lon);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // pg_trgm stays: other schema may come to rely on it, and keeping it is harmless.
  await sql`
    drop table gazetteer_address;
    drop table gazetteer_place_point;
    drop table gazetteer_place;
    drop table gazetteer_postcode;
  `.execute(db);
}
