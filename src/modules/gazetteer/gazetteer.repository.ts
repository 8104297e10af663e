/**
 * The gazetteer's SQL for its imports (upserts, counts) and for looking records up by their keys, with
 * the row-to-record mappings the searches share; the name search and the nearest-to-a-point queries are
 * gazetteer-search.repository.ts. All the gazetteer's SQL is in these two files. Every value reaches the database as a bound parameter (Kysely's builder and
 * `sql` template), never spliced into the text.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import type {
  Database,
  GazetteerAddressTable,
  GazetteerPlaceTable,
  GazetteerPostcodeTable,
} from '../../db/database.js';
import type { Box } from './distance.js';
import type { AddressRow } from './addresses.import.js';
import type { AggregatedPlace } from './named-places.import.js';
import type { PostcodeRow } from './postcodes.import.js';

export type Db = Kysely<Database>;

export interface PostcodeRecord {
  postcode: string;
  lon: number;
  lat: number;
  wardCode: string | null;
  wardName: string | null;
  laCode: string | null;
  parishCode: string | null;
  lsoaCode: string | null;
  terminated: boolean;
}

export type NamedKind = 'street' | 'place';

export interface PlaceRecord {
  id: number;
  kind: NamedKind;
  name: string;
  placeType: string;
  locality: string;
  lon: number;
  lat: number;
  box: Box;
  pointCount: number;
}

export interface AddressRecord {
  uprn: number;
  text: string;
  postcode: string | null;
  lon: number;
  lat: number;
}

/**
 * A name match and how good it is. tier: 0 the whole name, 1 the name starts with the query, 2 a word in
 * it does, 3 only similar (typos). score: pg_trgm similarity, 0 to 1, for ordering within a tier.
 */
export interface Ranked<T> {
  record: T;
  tier: number;
  score: number;
}

/** A record near a point, with the squared equirectangular distance the candidates were ordered by. */
export interface Near<T> {
  record: T;
  /** The point of the record that was nearest (for a street: one of its points, not its middle). */
  lon: number;
  lat: number;
}

export const postcodeColumns = [
  'postcode',
  'lon',
  'lat',
  'ward_code',
  'ward_name',
  'la_code',
  'parish_code',
  'lsoa_code',
  'terminated_on',
] as const;

export function toPostcode(
  row: Pick<Selectable<GazetteerPostcodeTable>, (typeof postcodeColumns)[number]>,
): PostcodeRecord {
  return {
    postcode: row.postcode,
    lon: row.lon,
    lat: row.lat,
    wardCode: row.ward_code,
    wardName: row.ward_name,
    laCode: row.la_code,
    parishCode: row.parish_code,
    lsoaCode: row.lsoa_code,
    terminated: row.terminated_on !== null,
  };
}

export const placeColumns = [
  'id',
  'kind',
  'name',
  'place_type',
  'locality',
  'lon',
  'lat',
  'min_lon',
  'min_lat',
  'max_lon',
  'max_lat',
  'point_count',
] as const;

export function toPlace(
  row: Pick<Selectable<GazetteerPlaceTable>, (typeof placeColumns)[number]>,
): PlaceRecord {
  return {
    id: Number(row.id),
    kind: row.kind,
    name: row.name,
    placeType: row.place_type,
    locality: row.locality,
    lon: row.lon,
    lat: row.lat,
    box: { minLon: row.min_lon, minLat: row.min_lat, maxLon: row.max_lon, maxLat: row.max_lat },
    pointCount: row.point_count,
  };
}

export const addressColumns = ['uprn', 'text', 'postcode', 'lon', 'lat'] as const;

export function toAddress(
  row: Pick<Selectable<GazetteerAddressTable>, (typeof addressColumns)[number]>,
): AddressRecord {
  return { uprn: Number(row.uprn), text: row.text, postcode: row.postcode, lon: row.lon, lat: row.lat };
}

// ---------------------------------------------------------------------------------------------------------
// Writing

/** Inserts or updates postcodes by postcode. Rows must have distinct postcodes. */
export async function upsertPostcodes(db: Db, rows: PostcodeRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('gazetteer_postcode')
    .values(rows)
    .onConflict((oc) =>
      oc.column('postcode').doUpdateSet((eb) => ({
        lon: eb.ref('excluded.lon'),
        lat: eb.ref('excluded.lat'),
        ward_code: eb.ref('excluded.ward_code'),
        ward_name: eb.ref('excluded.ward_name'),
        la_code: eb.ref('excluded.la_code'),
        parish_code: eb.ref('excluded.parish_code'),
        lsoa_code: eb.ref('excluded.lsoa_code'),
        terminated_on: eb.ref('excluded.terminated_on'),
        updated_at: sql`now()`,
      })),
    )
    .execute();
}

/** Inserts or updates addresses by UPRN. Rows must have distinct UPRNs. */
export async function upsertAddresses(db: Db, rows: AddressRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('gazetteer_address')
    .values(rows)
    .onConflict((oc) =>
      oc.column('uprn').doUpdateSet((eb) => ({
        text: eb.ref('excluded.text'),
        postcode: eb.ref('excluded.postcode'),
        search_text: eb.ref('excluded.search_text'),
        lon: eb.ref('excluded.lon'),
        lat: eb.ref('excluded.lat'),
        updated_at: sql`now()`,
      })),
    )
    .execute();
}

/**
 * Inserts or updates streets or places by (kind, name, locality) and replaces their points with the
 * given ones. Call inside a transaction. Returns how many points were written.
 */
export async function upsertPlaces(db: Db, kind: NamedKind, places: AggregatedPlace[]): Promise<number> {
  if (places.length === 0) return 0;
  const saved = await db
    .insertInto('gazetteer_place')
    .values(
      places.map((p) => ({
        kind,
        name: p.name,
        place_type: p.placeType,
        locality: p.locality,
        name_key: p.nameKey,
        locality_key: p.localityKey,
        search_text: p.localityKey ? `${p.nameKey} ${p.localityKey}` : p.nameKey,
        lon: p.lon,
        lat: p.lat,
        min_lon: p.minLon,
        min_lat: p.minLat,
        max_lon: p.maxLon,
        max_lat: p.maxLat,
        point_count: p.points.length,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['kind', 'name_key', 'locality_key']).doUpdateSet((eb) => ({
        name: eb.ref('excluded.name'),
        place_type: eb.ref('excluded.place_type'),
        locality: eb.ref('excluded.locality'),
        search_text: eb.ref('excluded.search_text'),
        lon: eb.ref('excluded.lon'),
        lat: eb.ref('excluded.lat'),
        min_lon: eb.ref('excluded.min_lon'),
        min_lat: eb.ref('excluded.min_lat'),
        max_lon: eb.ref('excluded.max_lon'),
        max_lat: eb.ref('excluded.max_lat'),
        point_count: eb.ref('excluded.point_count'),
        updated_at: sql`now()`,
      })),
    )
    .returning(['id', 'name_key', 'locality_key'])
    .execute();

  const ids = new Map(saved.map((row) => [`${row.name_key}\u0000${row.locality_key}`, Number(row.id)]));
  await db
    .deleteFrom('gazetteer_place_point')
    .where(
      'place_id',
      'in',
      saved.map((row) => Number(row.id)),
    )
    .execute();
  const points = places.flatMap((p) => {
    const placeId = ids.get(`${p.nameKey}\u0000${p.localityKey}`)!;
    return p.points.map((point) => ({ place_id: placeId, lon: point.lon, lat: point.lat }));
  });
  for (let start = 0; start < points.length; start += 2000) {
    await db
      .insertInto('gazetteer_place_point')
      .values(points.slice(start, start + 2000))
      .execute();
  }
  return points.length;
}

/**
 * Refreshes the planner's statistics after a bulk load. Without them the planner guesses, and guesses
 * badly for the box queries (four times slower on PGlite, which has no autovacuum to do this later).
 */
export async function analyzeTables(db: Db, what: 'postcodes' | 'places' | 'addresses'): Promise<void> {
  if (what === 'postcodes') await sql`analyze gazetteer_postcode`.execute(db);
  else if (what === 'places') await sql`analyze gazetteer_place, gazetteer_place_point`.execute(db);
  else await sql`analyze gazetteer_address`.execute(db);
}

export async function countRows(db: Db): Promise<{
  postcodes: number;
  streets: number;
  places: number;
  addresses: number;
  placePoints: number;
}> {
  const count = async (query: Promise<{ n: number | string | bigint } | undefined>) =>
    Number((await query)?.n ?? 0);
  const n = sql<number>`count(*)`.as('n');
  return {
    postcodes: await count(db.selectFrom('gazetteer_postcode').select(n).executeTakeFirst()),
    streets: await count(
      db.selectFrom('gazetteer_place').select(n).where('kind', '=', 'street').executeTakeFirst(),
    ),
    places: await count(
      db.selectFrom('gazetteer_place').select(n).where('kind', '=', 'place').executeTakeFirst(),
    ),
    addresses: await count(db.selectFrom('gazetteer_address').select(n).executeTakeFirst()),
    placePoints: await count(db.selectFrom('gazetteer_place_point').select(n).executeTakeFirst()),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Finding by key

export async function findPostcode(db: Db, postcode: string): Promise<PostcodeRecord | undefined> {
  const row = await db
    .selectFrom('gazetteer_postcode')
    .select(postcodeColumns)
    .where('postcode', '=', postcode)
    .executeTakeFirst();
  return row && toPostcode(row);
}

export async function findPlace(db: Db, id: number): Promise<PlaceRecord | undefined> {
  const row = await db
    .selectFrom('gazetteer_place')
    .select(placeColumns)
    .where('id', '=', id)
    .executeTakeFirst();
  return row && toPlace(row);
}

export async function findAddress(db: Db, uprn: number): Promise<AddressRecord | undefined> {
  const row = await db
    .selectFrom('gazetteer_address')
    .select(addressColumns)
    .where('uprn', '=', uprn)
    .executeTakeFirst();
  return row && toAddress(row);
}

/** The string just after every string that starts with `prefix` (in byte order: the columns are "C"). */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/**
 * Postcodes that start with `prefix`, in order, leaving out terminated ones. `column` 'postcode' matches
 * the normal form ("M33 7"), 'compact' the form without a space ("M3" → M3 .., M30 .., M31 ..). Both are
 * range scans on a "C"-collated btree.
 */
export async function postcodesWithPrefix(
  db: Db,
  column: 'postcode' | 'compact',
  prefix: string,
  limit: number,
  excluding: string[] = [],
): Promise<PostcodeRecord[]> {
  let query = db
    .selectFrom('gazetteer_postcode')
    .select(postcodeColumns)
    .where(column, '>=', prefix)
    .where(column, '<', prefixEnd(prefix))
    .where('terminated_on', 'is', null);
  if (excluding.length > 0) query = query.where('postcode', 'not in', excluding);
  const rows = await query.orderBy('postcode').limit(limit).execute();
  return rows.map(toPostcode);
}

export async function addressesInPostcode(db: Db, postcode: string, limit: number): Promise<AddressRecord[]> {
  const rows = await db
    .selectFrom('gazetteer_address')
    .select(addressColumns)
    .where('postcode', '=', postcode)
    .limit(limit)
    .execute();
  return rows.map(toAddress);
}
