/**
 * The gazetteer's search SQL: street, place and address names ranked by trigram similarity, and the
 * records nearest a point (for describing a pin). Every value reaches the database as a bound parameter
 * (Kysely's builder and `sql` template), never spliced into the text.
 */
import { sql } from 'kysely';
import { latBands, lonScale, type Box } from './distance.js';
import {
  postcodeColumns,
  placeColumns,
  addressColumns,
  toPostcode,
  toPlace,
  toAddress,
  type Db,
  type Ranked,
  type Near,
  type PostcodeRecord,
  type PlaceRecord,
  type AddressRecord,
  type NamedKind,
} from './gazetteer.repository.js';

// ---------------------------------------------------------------------------------------------------------
// Searching names

/**
 * The ranking expressions for a search_text column against query `q` (already in search form). Rows are
 * found through the GIN trigram index by `%` (similarity above pg_trgm.similarity_threshold, 0.3 by
 * default) or `%>` (a word-sized stretch of the name similar to the whole query, above
 * pg_trgm.word_similarity_threshold, 0.6 by default: what finds "bradgate" in "bradgate road").
 *
 * Within a tier, whole-string similarity leads and word similarity (the query as part of a longer name)
 * counts half. Word similarity alone ranks typos badly: the street type ("road") matches so well that
 * "abeby road" scored Derby Road as high as Abbey Road. Measured on Trafford's 880 streets with one letter
 * dropped or swapped: 97% right first and 99.9% in the top three this way, against 88% and 95% for word
 * similarity alone.
 */
function nameMatch(q: string) {
  return {
    where: sql<boolean>`(search_text % ${q} or search_text %> ${q})`,
    tier: sql<number>`case
      when search_text = ${q} then 0
      when starts_with(search_text, ${q}) then 1
      when strpos(' ' || search_text, ' ' || ${q}) > 0 then 2
      else 3 end`,
    score: sql<number>`similarity(search_text, ${q}) + 0.5 * word_similarity(${q}, search_text)`,
  };
}

export async function searchPlaces(
  db: Db,
  q: string,
  kinds: NamedKind[],
  limit: number,
): Promise<Ranked<PlaceRecord>[]> {
  if (kinds.length === 0) return [];
  const match = nameMatch(q);
  const rows = await db
    .selectFrom('gazetteer_place')
    .select(placeColumns)
    .select([
      // The name alone (without the locality) counts as a whole-name match too.
      sql<number>`case when name_key = ${q} then 0 else ${match.tier} end`.as('tier'),
      match.score.as('score'),
    ])
    .where('kind', 'in', kinds)
    .where(match.where)
    .orderBy('tier')
    .orderBy('score', 'desc')
    .orderBy('name')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ record: toPlace(row), tier: Number(row.tier), score: Number(row.score) }));
}

export async function searchAddresses(db: Db, q: string, limit: number): Promise<Ranked<AddressRecord>[]> {
  const match = nameMatch(q);
  const rows = await db
    .selectFrom('gazetteer_address')
    .select(addressColumns)
    .select([match.tier.as('tier'), match.score.as('score')])
    .where(match.where)
    .orderBy('tier')
    .orderBy('score', 'desc')
    .orderBy('text')
    .orderBy('uprn')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ record: toAddress(row), tier: Number(row.tier), score: Number(row.score) }));
}

// ---------------------------------------------------------------------------------------------------------
// Nearest to a point

/**
 * Squared equirectangular distance from (lon, lat), in degrees of latitude: orders candidates as the true
 * distance does over a few kilometres. Qualified by `table` so it reads the right columns in a join.
 */
function squaredDistance(table: string, lon: number, lat: number) {
  const k = lonScale(lat);
  const dLat = sql`(${sql.ref(`${table}.lat`)} - ${lat})`;
  const dLon = sql`((${sql.ref(`${table}.lon`)} - ${lon}) * ${k})`;
  return sql<number>`(${dLat} * ${dLat} + ${dLon} * ${dLon})`;
}

export async function nearestPostcodes(
  db: Db,
  lon: number,
  lat: number,
  box: Box,
  limit: number,
): Promise<Near<PostcodeRecord>[]> {
  const rows = await db
    .selectFrom('gazetteer_postcode')
    .select(postcodeColumns)
    .where('lat_band', 'in', latBands(box))
    .where('lon', '>=', box.minLon)
    .where('lon', '<=', box.maxLon)
    .where('lat', '>=', box.minLat)
    .where('lat', '<=', box.maxLat)
    .where('terminated_on', 'is', null)
    .orderBy(squaredDistance('gazetteer_postcode', lon, lat))
    .orderBy('postcode')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ record: toPostcode(row), lon: row.lon, lat: row.lat }));
}

export async function nearestAddresses(
  db: Db,
  lon: number,
  lat: number,
  box: Box,
  limit: number,
): Promise<Near<AddressRecord>[]> {
  const rows = await db
    .selectFrom('gazetteer_address')
    .select(addressColumns)
    .where('lat_band', 'in', latBands(box))
    .where('lon', '>=', box.minLon)
    .where('lon', '<=', box.maxLon)
    .where('lat', '>=', box.minLat)
    .where('lat', '<=', box.maxLat)
    .orderBy(squaredDistance('gazetteer_address', lon, lat))
    .orderBy('uprn')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ record: toAddress(row), lon: row.lon, lat: row.lat }));
}

/**
 * Streets (or places) with a point near (lon, lat), nearest first, each once. Reads candidate points in
 * the box through the (lat_band, lon) index and keeps the nearest point of each street.
 */
export async function nearestPlaces(
  db: Db,
  kind: NamedKind,
  lon: number,
  lat: number,
  box: Box,
  limit: number,
): Promise<Near<PlaceRecord>[]> {
  const rows = await db
    .selectFrom('gazetteer_place_point as pt')
    .innerJoin('gazetteer_place as p', 'p.id', 'pt.place_id')
    .select([
      'p.id',
      'p.kind',
      'p.name',
      'p.place_type',
      'p.locality',
      'p.lon',
      'p.lat',
      'p.min_lon',
      'p.min_lat',
      'p.max_lon',
      'p.max_lat',
      'p.point_count',
      'pt.lon as point_lon',
      'pt.lat as point_lat',
    ])
    .where('pt.lat_band', 'in', latBands(box))
    .where('pt.lon', '>=', box.minLon)
    .where('pt.lon', '<=', box.maxLon)
    .where('pt.lat', '>=', box.minLat)
    .where('pt.lat', '<=', box.maxLat)
    .where('p.kind', '=', kind)
    .orderBy(squaredDistance('pt', lon, lat))
    .orderBy('p.id')
    // Several points may belong to one street: read enough to find `limit` different ones.
    .limit(limit * 20)
    .execute();
  const seen = new Set<number>();
  const nearest: Near<PlaceRecord>[] = [];
  for (const row of rows) {
    const id = Number(row.id);
    if (seen.has(id)) continue;
    seen.add(id);
    nearest.push({ record: toPlace(row), lon: row.point_lon, lat: row.point_lat });
    if (nearest.length === limit) break;
  }
  return nearest;
}
