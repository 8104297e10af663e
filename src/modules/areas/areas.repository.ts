/**
 * All the SQL for areas. Dates travel as 'YYYY-MM-DD' text both ways: a `date` read into a JavaScript
 * Date lands on local midnight, which shifts a day in any time zone west of UTC; text cannot.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { AreaTable, Database } from '../../db/database.js';
import type { AreaGeometry, BBox } from '../../lib/geo/index.js';

export type Executor = Kysely<Database> | Transaction<Database>;
export type AreaKind = AreaTable['kind'];

/** One stored version of an area, without its geometry (for deciding what an import does). */
export interface AreaVersion {
  id: string;
  code: string;
  name: string;
  bodyId: string | null;
  validFrom: string;
  validTo: string | null;
}

/** An area as the spatial index needs it. */
export interface StoredArea {
  id: string;
  kind: AreaKind;
  code: string;
  name: string;
  bodyId: string | null;
  geometry: AreaGeometry;
}

export interface AreaWrite {
  kind: AreaKind;
  code: string;
  name: string;
  bodyId: string | null;
  geometry: AreaGeometry;
  bbox: BBox;
  /** Omitted: the column default, 1900-01-01, meaning "for as long as anyone knows". */
  validFrom?: string;
  validTo?: string | null;
}

const validFromText = sql<string>`to_char(valid_from, 'YYYY-MM-DD')`.as('valid_from');
const validToText = sql<string | null>`to_char(valid_to, 'YYYY-MM-DD')`.as('valid_to');

/** Every version of every area of a kind, oldest first per code. */
export async function listVersions(db: Executor, kind: AreaKind): Promise<AreaVersion[]> {
  const rows = await db
    .selectFrom('area')
    .select(['id', 'code', 'name', 'body_id', validFromText, validToText])
    .where('kind', '=', kind)
    .orderBy('code')
    .orderBy('valid_from')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    code: row.code,
    name: row.name,
    bodyId: row.body_id,
    validFrom: row.valid_from,
    validTo: row.valid_to,
  }));
}

export async function insertArea(db: Executor, area: AreaWrite): Promise<string> {
  const row = await db
    .insertInto('area')
    .values({
      kind: area.kind,
      code: area.code,
      name: area.name,
      body_id: area.bodyId,
      geometry: JSON.stringify(area.geometry),
      min_lon: area.bbox[0],
      min_lat: area.bbox[1],
      max_lon: area.bbox[2],
      max_lat: area.bbox[3],
      ...(area.validFrom !== undefined ? { valid_from: area.validFrom } : {}),
      ...(area.validTo !== undefined ? { valid_to: area.validTo } : {}),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Replaces an existing version's name, shape and body, keeping its id and dates. */
export async function replaceArea(
  db: Executor,
  id: string,
  area: Pick<AreaWrite, 'name' | 'bodyId' | 'geometry' | 'bbox'>,
): Promise<void> {
  await db
    .updateTable('area')
    .set({
      name: area.name,
      body_id: area.bodyId,
      geometry: JSON.stringify(area.geometry),
      min_lon: area.bbox[0],
      min_lat: area.bbox[1],
      max_lon: area.bbox[2],
      max_lat: area.bbox[3],
    })
    .where('id', '=', id)
    .execute();
}

/** Ends a version: `validTo` is its last day. */
export async function closeArea(db: Executor, id: string, validTo: string): Promise<void> {
  await db.updateTable('area').set({ valid_to: validTo }).where('id', '=', id).execute();
}

/** The areas in force on `day` (YYYY-MM-DD): started on or before it, and not ended before it. */
export async function listCurrentAreas(db: Executor, day: string): Promise<StoredArea[]> {
  const rows = await db
    .selectFrom('area')
    .select(['id', 'kind', 'code', 'name', 'body_id', 'geometry'])
    .where('valid_from', '<=', sql<Date>`${day}::date`)
    .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', sql<Date>`${day}::date`)]))
    .orderBy('kind')
    .orderBy('code')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    code: row.code,
    name: row.name,
    bodyId: row.body_id,
    // jsonb comes back parsed on both engines; written only after validation, so it is an AreaGeometry.
    geometry: (typeof row.geometry === 'string' ? JSON.parse(row.geometry) : row.geometry) as AreaGeometry,
  }));
}

/** The area revision: bumped by a trigger in the same transaction as any change to the area table. */
export async function readAreaRevision(db: Executor): Promise<number> {
  const row = await db.selectFrom('area_revision').select('revision').executeTakeFirst();
  return row?.revision ?? 0;
}

/** One version of an area with its shape, for showing it (the admin area page). */
export interface AreaDetail extends StoredArea {
  validFrom: string;
  validTo: string | null;
  bbox: BBox;
}

/** The area version with this id, or undefined. The caller checks the id is a UUID. */
export async function findArea(db: Executor, id: string): Promise<AreaDetail | undefined> {
  const row = await db
    .selectFrom('area')
    .select([
      'id',
      'kind',
      'code',
      'name',
      'body_id',
      'geometry',
      'min_lon',
      'min_lat',
      'max_lon',
      'max_lat',
      validFromText,
      validToText,
    ])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    kind: row.kind,
    code: row.code,
    name: row.name,
    bodyId: row.body_id,
    geometry: (typeof row.geometry === 'string' ? JSON.parse(row.geometry) : row.geometry) as AreaGeometry,
    validFrom: row.valid_from,
    validTo: row.valid_to,
    bbox: [row.min_lon, row.min_lat, row.max_lon, row.max_lat],
  };
}
