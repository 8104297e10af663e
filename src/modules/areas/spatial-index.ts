/**
 * Point → every area containing it, in process. A flatbush R-tree over each polygon's bounding box
 * narrows the candidates to the few polygons whose box holds the point; the exact test then runs on
 * prepared rings (flat Float64Arrays with a band index, see lib/geo/prepared.ts).
 *
 * Every app process holds its own index, built from the database, and AreaIndexProvider keeps it fresh:
 * it compares the area_revision row (bumped in the same transaction as any area change) at most every
 * maxAgeMs and rebuilds when it moved, so a boundary imported through one process reaches all of them
 * within seconds, without any process-to-process messaging.
 */
import Flatbush from 'flatbush';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import {
  BOUNDARY_EPSILON,
  prepareGeometry,
  type AreaGeometry,
  type PreparedPolygon,
} from '../../lib/geo/index.js';
import type { AreaKind } from './areas.repository.js';
import { areaRevision, AREA_KINDS, currentAreas, ukToday } from './areas.service.js';

/** An area as the index takes it. */
export interface IndexedArea {
  id: string;
  kind: AreaKind;
  code: string;
  name: string;
  bodyId: string | null;
  geometry: AreaGeometry;
}

/** An area that contains a point; onBoundary when the point is on its edge rather than strictly inside. */
export interface ContainingArea {
  id: string;
  kind: AreaKind;
  code: string;
  name: string;
  bodyId: string | null;
  onBoundary: boolean;
}

const KIND_ORDER = new Map<string, number>(AREA_KINDS.map((kind, i) => [kind, i]));

/**
 * The areas containing one point, in the order AreaIndex.containing gives them, with the questions
 * routing asks of them.
 */
export class AreaLookup {
  constructor(readonly areas: readonly ContainingArea[]) {}

  /**
   * The one area of this kind the point belongs to, when it must be one: the first in order, so strictly
   * inside beats on the edge, and between equals the lower code wins, in every process and on every run.
   */
  primary(kind: AreaKind): ContainingArea | undefined {
    return this.areas.find((area) => area.kind === kind);
  }

  ofKind(kind: AreaKind): ContainingArea[] {
    return this.areas.filter((area) => area.kind === kind);
  }
}

const INSIDE = 2;

export class AreaIndex {
  /**
   * Each area's two possible answers, made once and frozen so lookups allocate nothing per match and
   * callers cannot change what the next caller gets.
   */
  private readonly insideMatch: readonly ContainingArea[];
  private readonly edgeMatch: readonly ContainingArea[];
  /** Position of each area in (kind, code, id) order: the tie-breaker that makes results deterministic. */
  private readonly rank: Uint32Array;
  private readonly kindRank: Uint8Array;
  /** Indexed by flatbush item: each polygon of each area is one item, so a MultiPolygon's parts have tight boxes. */
  private readonly polygons: PreparedPolygon[] = [];
  private readonly polygonArea: Uint32Array;
  private readonly tree: Flatbush | undefined;
  /** Scratch space for one lookup: the best location found so far per area (0 none, 1 boundary, 2 inside). */
  private readonly best: Uint8Array;
  /** minLon, minLat, maxLon, maxLat around every area some body covers: where reports can be made. */
  readonly coverage: readonly [number, number, number, number] | undefined;

  constructor(areas: readonly IndexedArea[]) {
    const match = ({ id, kind, code, name, bodyId }: IndexedArea, onBoundary: boolean): ContainingArea =>
      Object.freeze({ id, kind, code, name, bodyId, onBoundary });
    this.insideMatch = areas.map((area) => match(area, false));
    this.edgeMatch = areas.map((area) => match(area, true));
    this.kindRank = Uint8Array.from(areas, (area) => KIND_ORDER.get(area.kind) ?? 255);
    const order = areas.map((_, i) => i);
    const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    order.sort(
      (a, b) =>
        this.kindRank[a]! - this.kindRank[b]! ||
        text(areas[a]!.code, areas[b]!.code) ||
        text(areas[a]!.id, areas[b]!.id),
    );
    this.rank = new Uint32Array(areas.length);
    order.forEach((area, position) => (this.rank[area] = position));

    const owners: number[] = [];
    areas.forEach((area, i) => {
      for (const polygon of prepareGeometry(area.geometry).polygons) {
        this.polygons.push(polygon);
        owners.push(i);
      }
    });
    this.polygonArea = Uint32Array.from(owners);
    let box: [number, number, number, number] | undefined;
    this.polygons.forEach((polygon, i) => {
      if (areas[owners[i]!]!.bodyId === null) return;
      const [w, s, e, n] = polygon.bbox;
      box = box
        ? [Math.min(box[0], w), Math.min(box[1], s), Math.max(box[2], e), Math.max(box[3], n)]
        : [w, s, e, n];
    });
    this.coverage = box;
    this.best = new Uint8Array(areas.length);
    if (this.polygons.length > 0) {
      const tree = new Flatbush(this.polygons.length);
      for (const polygon of this.polygons) tree.add(...polygon.bbox);
      tree.finish();
      this.tree = tree;
    }
  }

  /** How many areas the index holds. */
  get size(): number {
    return this.insideMatch.length;
  }

  /**
   * Every area containing (lon, lat), strictly inside or on the boundary, in a fixed order: by kind
   * (council, ward, parish, locality, custom), then those strictly inside before those on the edge, then
   * by code. A point on the edge between two wards is in both; the order makes the choice between them
   * the same everywhere (see AreaLookup.primary).
   */
  containing(lon: number, lat: number): ContainingArea[] {
    const matches: ContainingArea[] = [];
    if (!this.tree || !Number.isFinite(lon) || !Number.isFinite(lat)) return matches;
    // The search box is grown by the boundary tolerance so a point on a box's edge finds it.
    const hits = this.tree.search(
      lon - BOUNDARY_EPSILON,
      lat - BOUNDARY_EPSILON,
      lon + BOUNDARY_EPSILON,
      lat + BOUNDARY_EPSILON,
    );
    const best = this.best;
    const touched: number[] = [];
    for (const hit of hits) {
      const location = this.polygons[hit]!.locate(lon, lat);
      if (location === 0) continue;
      const area = this.polygonArea[hit]!;
      if (best[area] === 0) touched.push(area);
      if (location > best[area]!) best[area] = location;
    }
    if (touched.length > 1) {
      touched.sort(
        (a, b) =>
          this.kindRank[a]! - this.kindRank[b]! ||
          Number(best[a] !== INSIDE) - Number(best[b] !== INSIDE) ||
          this.rank[a]! - this.rank[b]!,
      );
    }
    for (const area of touched) {
      matches.push(best[area] === INSIDE ? this.insideMatch[area]! : this.edgeMatch[area]!);
      best[area] = 0;
    }
    return matches;
  }

  /** containing(), wrapped with primary(kind) and ofKind(kind). */
  lookup(lon: number, lat: number): AreaLookup {
    return new AreaLookup(this.containing(lon, lat));
  }
}

export interface AreaIndexProviderOptions {
  /** How long an index is trusted before the revision is checked again. Default 5000 ms. */
  maxAgeMs?: number;
  /** Clock, for tests. */
  now?: () => number;
  /** Today's date (YYYY-MM-DD), for tests; default today in the UK. */
  today?: () => string;
}

/**
 * Holds the AreaIndex for one process and keeps it fresh. get() returns the held index while it is
 * younger than maxAgeMs; after that, the next get() reads the revision (one tiny row) and rebuilds only
 * if it changed, or if the date did (versions start and end at midnight without any write). Concurrent
 * callers during a check or rebuild all wait on the same one.
 */
export class AreaIndexProvider {
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly today: () => string;
  private index: AreaIndex | undefined;
  private builtRevision = -1;
  private builtDay = '';
  private checkedAt = -Infinity;
  private pending: Promise<AreaIndex> | undefined;
  private builds = 0;

  constructor(
    private readonly db: Kysely<Database>,
    options: AreaIndexProviderOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 5000;
    this.now = options.now ?? Date.now;
    this.today = options.today ?? (() => ukToday());
  }

  /** The current index, checked against the database at most every maxAgeMs. */
  get(): Promise<AreaIndex> {
    if (this.index && this.now() - this.checkedAt < this.maxAgeMs) return Promise.resolve(this.index);
    this.pending ??= this.refresh().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Makes the next get() check the revision, whatever the age (e.g. right after this process imported areas). */
  invalidate(): void {
    this.checkedAt = -Infinity;
  }

  /** How many times the index has been built, and from which revision: for health pages and tests. */
  get stats(): { builds: number; revision: number; day: string } {
    return { builds: this.builds, revision: this.builtRevision, day: this.builtDay };
  }

  private async refresh(): Promise<AreaIndex> {
    const checkedAt = this.now();
    const day = this.today();
    // The revision is read before the areas: if an import commits in between, the areas read are at
    // least as new as the revision recorded, so the worst case is one needless rebuild next time,
    // never a stale index that believes itself current.
    const revision = await areaRevision(this.db);
    if (!this.index || revision !== this.builtRevision || day !== this.builtDay) {
      this.index = new AreaIndex(await currentAreas(this.db, day));
      this.builtRevision = revision;
      this.builtDay = day;
      this.builds++;
    }
    this.checkedAt = checkedAt;
    return this.index;
  }
}
