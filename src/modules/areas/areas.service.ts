/**
 * Areas: named polygons (wards, parishes, localities, the council's own boundary) with a kind, a code and
 * the dates they are valid for. The import is all or nothing: every feature is checked first, every
 * problem reported by feature index, and nothing is written unless the whole file is good (or the caller
 * asked to skip the bad features). The writes happen in one transaction, so other processes see the old
 * boundaries or the new ones, never half of each.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { AppError } from '../../lib/errors.js';
import {
  geometryBBox,
  validateCrs,
  validateGeometry,
  type AreaGeometry,
  type BBox,
} from '../../lib/geo/index.js';
import { OrganisationsService } from '../organisations/index.js';
import * as repo from './areas.repository.js';
import type { AreaKind, AreaVersion, Executor } from './areas.repository.js';

export type { AreaKind } from './areas.repository.js';

export const AREA_KINDS: readonly AreaKind[] = ['council', 'ward', 'parish', 'locality', 'custom'];

/** The database's limits on area codes and names (see the foundation migration). */
const MAX_CODE_LENGTH = 64;
const MAX_NAME_LENGTH = 200;

export interface ImportAreasOptions {
  kind: AreaKind;
  /** The feature property holding each area's code, e.g. "area_code". */
  codeField: string;
  /** The feature property holding each area's name, e.g. "area_name". */
  nameField: string;
  /** The body (by code) the areas belong to; without it, new areas have none and replaced ones keep theirs. */
  bodyCode?: string;
  /**
   * YYYY-MM-DD. Given: boundaries that take effect that day, as new versions (the version in force the day
   * before is closed then). Not given: the current version of each area is replaced in place.
   */
  validFrom?: string;
  /** Import the good features and report the bad ones, instead of importing nothing. */
  skipInvalid?: boolean;
  /** Today in the council's terms (YYYY-MM-DD); defaults to today in the UK. */
  today?: string;
  onProgress?: (phase: 'checking' | 'writing', done: number, total: number) => void;
}

/** A feature that cannot be imported: its 0-based index in the file, its code and name if it has them, and why. */
export interface FeatureProblem {
  index: number;
  code?: string;
  name?: string;
  reasons: string[];
}

export interface ImportAreasResult {
  /** Features in the file. */
  total: number;
  /** Areas with a code not seen before. */
  inserted: number;
  /** Existing versions whose shape and name were replaced in place. */
  replaced: number;
  /** New versions of existing areas, starting on validFrom (the version in force before then was closed). */
  versioned: number;
  /** Bad features left out (only with skipInvalid). */
  skipped: FeatureProblem[];
}

/** The file, or some of its features, cannot be imported; nothing was written. */
export class AreaImportError extends AppError {
  constructor(
    readonly fileProblems: string[],
    readonly featureProblems: FeatureProblem[],
  ) {
    const lines = [...fileProblems, ...featureProblems.flatMap(describeFeatureProblem)];
    super(
      'validation_failed',
      `The areas were not imported: ${lines.length === 1 ? lines[0] : `${lines.length} problems`}`,
      [
        ...fileProblems.map((message) => ({ field: '', message })),
        ...featureProblems.flatMap((p) =>
          p.reasons.map((reason) => ({ field: `/features/${p.index}`, message: reason })),
        ),
      ],
    );
    this.name = 'AreaImportError';
  }
}

/** "feature 3 (E05015239 Altrincham): ring 0 (outer) is not closed ...", one line per reason. */
export function describeFeatureProblem(problem: FeatureProblem): string[] {
  const label = [problem.code, problem.name].filter(Boolean).join(' ');
  return problem.reasons.map((reason) => `feature ${problem.index}${label ? ` (${label})` : ''}: ${reason}`);
}

/** A feature that passed every check that needs no database. */
export interface CheckedFeature {
  index: number;
  code: string;
  name: string;
  geometry: AreaGeometry;
  bbox: BBox;
}

export interface CheckedFile {
  total: number;
  fileProblems: string[];
  problems: FeatureProblem[];
  features: CheckedFeature[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isValidDate(text: string): boolean {
  if (!DATE.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/** The day before a YYYY-MM-DD date. */
export function dayBefore(text: string): string {
  return new Date(Date.parse(`${text}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

/** Today's date in the UK (boundaries change at local midnight), as YYYY-MM-DD. */
export function ukToday(now: Date = new Date()): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(now);
}

function propertyText(
  properties: Record<string, unknown>,
  field: string,
  what: string,
  maxLength: number,
  reasons: string[],
): string | undefined {
  const value = properties[field];
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    reasons.push(`it has no "${field}" property for the ${what}`);
    return undefined;
  }
  if (typeof value !== 'string' && typeof value !== 'number') {
    reasons.push(`its "${field}" property (the ${what}) is not text`);
    return undefined;
  }
  const text = String(value).trim();
  if (text.length > maxLength) {
    reasons.push(`its ${what} "${text.slice(0, 40)}…" is longer than ${maxLength} characters`);
    return text.slice(0, 40);
  }
  return text;
}

/**
 * Every check that needs no database: the options, the FeatureCollection and its CRS, each feature's
 * code, name and geometry, and codes repeated within the file. Cheap enough to run before opening the
 * database, so a broken file is reported at once.
 */
export function checkAreaFile(
  collection: unknown,
  options: Pick<ImportAreasOptions, 'kind' | 'codeField' | 'nameField' | 'validFrom' | 'onProgress'>,
): CheckedFile {
  const fileProblems: string[] = [];
  if (!AREA_KINDS.includes(options.kind))
    fileProblems.push(`"${options.kind}" is not a kind of area; use one of ${AREA_KINDS.join(', ')}`);
  if (options.validFrom !== undefined && !isValidDate(options.validFrom))
    fileProblems.push(`the valid-from date "${options.validFrom}" is not a date in the form YYYY-MM-DD`);
  if (!options.codeField) fileProblems.push('no code field was given');
  if (!options.nameField) fileProblems.push('no name field was given');

  if (
    !isObject(collection) ||
    collection.type !== 'FeatureCollection' ||
    !Array.isArray(collection.features)
  ) {
    const type =
      isObject(collection) && typeof collection.type === 'string' ? `a ${collection.type}` : undefined;
    fileProblems.push(
      `the file is not a GeoJSON FeatureCollection${type ? ` (it is ${type})` : ''}: it must be an object with "type": "FeatureCollection" and a "features" array`,
    );
    return { total: 0, fileProblems, problems: [], features: [] };
  }
  fileProblems.push(...validateCrs(collection));
  const total = collection.features.length;
  if (total === 0) fileProblems.push('the FeatureCollection has no features');

  const problems: FeatureProblem[] = [];
  const features: CheckedFeature[] = [];
  const firstIndexOfCode = new Map<string, number>();
  collection.features.forEach((feature: unknown, index) => {
    options.onProgress?.('checking', index, total);
    const reasons: string[] = [];
    if (!isObject(feature) || feature.type !== 'Feature') {
      problems.push({ index, reasons: ['it is not a GeoJSON Feature (an object with "type": "Feature")'] });
      return;
    }
    const properties = isObject(feature.properties) ? feature.properties : undefined;
    let code: string | undefined;
    let name: string | undefined;
    if (!properties) {
      reasons.push('it has no properties, so no code or name');
    } else {
      code = propertyText(properties, options.codeField, 'code', MAX_CODE_LENGTH, reasons);
      name = propertyText(properties, options.nameField, 'name', MAX_NAME_LENGTH, reasons);
    }
    if (code !== undefined) {
      const earlier = firstIndexOfCode.get(code);
      if (earlier !== undefined) reasons.push(`its code ${code} is also the code of feature ${earlier}`);
      else firstIndexOfCode.set(code, index);
    }
    reasons.push(...validateGeometry(feature.geometry));
    if (reasons.length > 0) {
      problems.push({ index, ...(code ? { code } : {}), ...(name ? { name } : {}), reasons });
      return;
    }
    const geometry = feature.geometry as AreaGeometry;
    // Only type and coordinates are kept: foreign members (bbox, properties on the geometry) are dropped.
    const stored: AreaGeometry =
      geometry.type === 'Polygon'
        ? { type: 'Polygon', coordinates: geometry.coordinates }
        : { type: 'MultiPolygon', coordinates: geometry.coordinates };
    features.push({ index, code: code!, name: name!, geometry: stored, bbox: geometryBBox(stored) });
  });
  options.onProgress?.('checking', total, total);
  return { total, fileProblems, problems, features };
}

type Plan =
  | { action: 'insert'; feature: CheckedFeature; validFrom?: string; validTo?: string | null }
  | { action: 'replace'; feature: CheckedFeature; version: AreaVersion }
  | {
      action: 'version';
      feature: CheckedFeature;
      close?: AreaVersion;
      validFrom: string;
      validTo: string | null;
    };

function isInForce(version: AreaVersion, day: string): boolean {
  return version.validFrom <= day && (version.validTo === null || version.validTo >= day);
}

function describeVersions(versions: AreaVersion[]): string {
  return versions.map((v) => `${v.validFrom} to ${v.validTo ?? 'now'}`).join(', ');
}

/** What to do with one feature, given the versions already stored for its code (oldest first). */
function plan(
  feature: CheckedFeature,
  versions: AreaVersion[],
  validFrom: string | undefined,
  today: string,
): Plan | string {
  if (validFrom === undefined) {
    if (versions.length === 0) return { action: 'insert', feature };
    const current = versions.find((v) => isInForce(v, today));
    if (current) return { action: 'replace', feature, version: current };
    return `an area with code ${feature.code} exists (valid ${describeVersions(versions)}) but none of its versions is in force today; give a valid-from date to add a new version`;
  }
  const same = versions.find((v) => v.validFrom === validFrom);
  if (same) return { action: 'replace', feature, version: same };
  if (versions.length === 0) return { action: 'insert', feature, validFrom };
  // The version in force the day the new one starts ends the day before; a later version, if any,
  // bounds the new one from above so that versions never overlap.
  const covering = versions.find((v) => isInForce(v, validFrom));
  const next = versions.find((v) => v.validFrom > validFrom);
  const validTo = covering ? covering.validTo : next ? dayBefore(next.validFrom) : null;
  return { action: 'version', feature, ...(covering ? { close: covering } : {}), validFrom, validTo };
}

/** The id of the body with this code, or undefined. Through the organisations service: bodies are theirs. */
async function bodyIdByCode(
  db: Kysely<Database>,
  executor: Executor,
  code: string,
): Promise<string | undefined> {
  const bodies = await new OrganisationsService(db).bodies(executor);
  return bodies.find((body) => body.code === code)?.id;
}

/**
 * Imports a GeoJSON FeatureCollection of areas of one kind. Throws AreaImportError, having written
 * nothing, when the file or any feature is bad (unless skipInvalid, which leaves the bad features out).
 */
export async function importAreas(
  db: Kysely<Database>,
  collection: unknown,
  options: ImportAreasOptions,
): Promise<ImportAreasResult> {
  const checked = checkAreaFile(collection, options);
  if (checked.fileProblems.length > 0) throw new AreaImportError(checked.fileProblems, checked.problems);
  if (checked.problems.length > 0 && !options.skipInvalid) throw new AreaImportError([], checked.problems);
  const today = options.today ?? ukToday();

  return db.transaction().execute(async (trx) => {
    let bodyId: string | null = null;
    if (options.bodyCode !== undefined) {
      const id = await bodyIdByCode(db, trx, options.bodyCode);
      if (!id) throw new AreaImportError([`there is no body with the code "${options.bodyCode}"`], []);
      bodyId = id;
    }

    const byCode = new Map<string, AreaVersion[]>();
    for (const version of await repo.listVersions(trx, options.kind)) {
      const list = byCode.get(version.code) ?? [];
      list.push(version);
      byCode.set(version.code, list);
    }
    const plans: Plan[] = [];
    const problems = [...checked.problems];
    for (const feature of checked.features) {
      const decided = plan(feature, byCode.get(feature.code) ?? [], options.validFrom, today);
      if (typeof decided === 'string')
        problems.push({ index: feature.index, code: feature.code, name: feature.name, reasons: [decided] });
      else plans.push(decided);
    }
    problems.sort((a, b) => a.index - b.index);
    if (problems.length > checked.problems.length && !options.skipInvalid)
      throw new AreaImportError([], problems);

    const result: ImportAreasResult = {
      total: checked.total,
      inserted: 0,
      replaced: 0,
      versioned: 0,
      skipped: problems,
    };
    let done = 0;
    for (const step of plans) {
      options.onProgress?.('writing', done++, plans.length);
      const { feature } = step;
      const shape = { name: feature.name, geometry: feature.geometry, bbox: feature.bbox };
      if (step.action === 'insert') {
        await repo.insertArea(trx, {
          kind: options.kind,
          code: feature.code,
          bodyId,
          ...shape,
          ...(step.validFrom !== undefined ? { validFrom: step.validFrom } : {}),
        });
        result.inserted++;
      } else if (step.action === 'replace') {
        // Without --body, a replaced area keeps the body an administrator may have linked it to.
        await repo.replaceArea(trx, step.version.id, { ...shape, bodyId: bodyId ?? step.version.bodyId });
        result.replaced++;
      } else {
        if (step.close) await repo.closeArea(trx, step.close.id, dayBefore(step.validFrom));
        await repo.insertArea(trx, {
          kind: options.kind,
          code: feature.code,
          bodyId: bodyId ?? step.close?.bodyId ?? null,
          ...shape,
          validFrom: step.validFrom,
          validTo: step.validTo,
        });
        result.versioned++;
      }
    }
    options.onProgress?.('writing', plans.length, plans.length);
    return result;
  });
}

/** The areas in force on a day (default today in the UK), for the spatial index. */
export function currentAreas(db: Executor, day: string = ukToday()): Promise<repo.StoredArea[]> {
  return repo.listCurrentAreas(db, day);
}

/** The area table's revision number: it changes whenever any area does. */
export function areaRevision(db: Executor): Promise<number> {
  return repo.readAreaRevision(db);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One area version with its geometry, by id (any version, in force or not); undefined if there is none. */
export async function areaById(db: Executor, id: string): Promise<repo.AreaDetail | undefined> {
  // Not a UUID: no such area (PostgreSQL would refuse to compare it with a uuid column).
  if (!UUID.test(id)) return undefined;
  return repo.findArea(db, id);
}

export type { AreaDetail } from './areas.repository.js';
