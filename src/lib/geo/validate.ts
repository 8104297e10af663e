/**
 * Checks an area geometry before it is stored: the problems come back as sentences an administrator can
 * act on ("ring 0 is not closed: ..."), not as exceptions, so an import can report every bad feature at
 * once. The checks: a Polygon or MultiPolygon object; not empty; every position a pair of finite numbers
 * within longitude/latitude range (with a specific message for British National Grid metres, the usual
 * mistake with UK data); every ring closed with at least four positions; and no ring edges that cross,
 * within a ring or between a polygon's rings.
 *
 * Not checked, because point-in-polygon gives sensible answers regardless: ring orientation (RFC 7946's
 * right-hand rule is widely ignored), a hole lying outside its outer ring, and the separate polygons of a
 * MultiPolygon overlapping each other (a point in either is in the area).
 */
import type { LinearRing } from './types.js';

/** At most this many self-intersections are described per geometry; the rest are counted. */
const MAX_CROSSINGS_DESCRIBED = 3;
/** Counting stops here: a thoroughly tangled ring need not be enumerated to be rejected. */
const MAX_CROSSINGS_COUNTED = 1000;

const OTHER_GEOJSON_TYPES = new Set([
  'Point',
  'MultiPoint',
  'LineString',
  'MultiLineString',
  'GeometryCollection',
  'Feature',
  'FeatureCollection',
]);

/**
 * Names of WGS84 longitude/latitude that GDAL, QGIS and others write into the pre-RFC 7946 `crs` member.
 * EPSG:4326 formally has latitude first, but in GeoJSON it is always written longitude first.
 */
const WGS84_CRS_NAMES = new Set(
  [
    'urn:ogc:def:crs:OGC:1.3:CRS84',
    'urn:ogc:def:crs:OGC::CRS84',
    'urn:ogc:def:crs:OGC:2:84',
    'urn:ogc:def:crs:EPSG::4326',
    'urn:ogc:def:crs:EPSG:6.6:4326',
    'urn:x-ogc:def:crs:EPSG:4326',
    'http://www.opengis.net/def/crs/OGC/1.3/CRS84',
    'https://www.opengis.net/def/crs/OGC/1.3/CRS84',
    'http://www.opengis.net/def/crs/EPSG/0/4326',
    'https://www.opengis.net/def/crs/EPSG/0/4326',
    'EPSG:4326',
    'OGC:CRS84',
    'CRS84',
    'WGS84',
  ].map((name) => name.toLowerCase()),
);

/** British National Grid (EPSG:27700) false origin and extent, in metres, with some room for offshore islands. */
const BNG_EASTING_MAX = 800_000;
const BNG_NORTHING_MAX = 1_400_000;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function formatPosition(position: readonly unknown[]): string {
  return `[${position.map((n) => (typeof n === 'number' ? String(n) : JSON.stringify(n))).join(', ')}]`;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * Checks the legacy `crs` member of a FeatureCollection (RFC 7946 removed it; when present it must name
 * WGS84 longitude/latitude). Returns the problems, or an empty list.
 */
export function validateCrs(collection: unknown): string[] {
  if (!isObject(collection) || !('crs' in collection) || collection.crs === undefined) return [];
  const crs = collection.crs;
  if (crs === null) return [];
  const name = isObject(crs) && isObject(crs.properties) ? crs.properties.name : undefined;
  if (!isObject(crs) || crs.type !== 'name' || typeof name !== 'string') {
    return [
      'the "crs" member is not a named coordinate reference system; remove it, or name WGS84 ("urn:ogc:def:crs:OGC:1.3:CRS84") and give coordinates as longitude/latitude',
    ];
  }
  if (WGS84_CRS_NAMES.has(name.trim().toLowerCase())) return [];
  const epsg = /(?:EPSG)\D*(?:\d+(?:\.\d+)*\D+)?(\d{4,5})\s*$/i.exec(name)?.[1];
  const hint =
    epsg === '27700' ? ' (British National Grid, OSGB36 / EPSG:27700 metres)' : epsg ? ` (EPSG:${epsg})` : '';
  return [
    `the file's coordinate reference system is "${name}"${hint}, not WGS84 longitude/latitude; reproject it to EPSG:4326, e.g. ogr2ogr -f GeoJSON -t_srs EPSG:4326 out.geojson in.geojson`,
  ];
}

/** "ring 0 (outer)", or "polygon 2 ring 1 (hole)" in a MultiPolygon. */
function ringLabel(polygon: number, ring: number, multi: boolean): string {
  return `${multi ? `polygon ${polygon} ` : ''}ring ${ring} (${ring === 0 ? 'outer' : 'hole'})`;
}

interface Segment {
  ring: number;
  edge: number;
}

/**
 * Sign of the turn a→b→c: positive left, negative right, 0 when collinear or too close to call in double
 * precision (Shewchuk's first error bound). "Too close to call" counts as touching, so rounding noise on
 * nearly collinear edges of a real boundary is never reported as a crossing.
 */
function orientation(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  const left = (bx - ax) * (cy - ay);
  const right = (by - ay) * (cx - ax);
  const det = left - right;
  const bound = 3.3306690738754716e-16 * (Math.abs(left) + Math.abs(right));
  return det > bound ? 1 : det < -bound ? -1 : 0;
}

export interface RingCrossing {
  /** Index of each ring in the polygon (0 = outer), and of the edge (from position `edge` to `edge + 1`). */
  a: Segment;
  b: Segment;
  /** Roughly where they cross, for the message. */
  at: [number, number];
}

/**
 * Edges of a polygon's rings that properly cross: each passes through the interior of the other. Edges
 * that only meet at a vertex (neighbours along a ring, or a ring touching itself at one point) do not
 * count, nor do collinear overlaps.
 *
 * A sweep along longitude: segments sorted by their west end, each compared only with the segments that
 * start before it ends. Boundaries are made of short edges, so each edge meets a handful of others and
 * thousands of vertices take milliseconds, not the seconds an all-pairs check would.
 */
export function findRingCrossings(
  rings: readonly LinearRing[],
  limit = MAX_CROSSINGS_COUNTED,
): RingCrossing[] {
  let count = 0;
  for (const ring of rings) count += Math.max(0, ring.length - 1);
  const x1 = new Float64Array(count);
  const y1 = new Float64Array(count);
  const x2 = new Float64Array(count);
  const y2 = new Float64Array(count);
  const minX = new Float64Array(count);
  const maxX = new Float64Array(count);
  const ringOf = new Uint32Array(count);
  const edgeOf = new Uint32Array(count);
  let s = 0;
  rings.forEach((ring, r) => {
    for (let i = 0; i + 1 < ring.length; i++) {
      x1[s] = ring[i]![0]!;
      y1[s] = ring[i]![1]!;
      x2[s] = ring[i + 1]![0]!;
      y2[s] = ring[i + 1]![1]!;
      minX[s] = Math.min(x1[s]!, x2[s]!);
      maxX[s] = Math.max(x1[s]!, x2[s]!);
      ringOf[s] = r;
      edgeOf[s] = i;
      s++;
    }
  });
  const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => minX[a]! - minX[b]!);

  const crossings: RingCrossing[] = [];
  for (let oi = 0; oi < count; oi++) {
    const a = order[oi]!;
    const ax1 = x1[a]!;
    const ay1 = y1[a]!;
    const ax2 = x2[a]!;
    const ay2 = y2[a]!;
    const aMaxX = maxX[a]!;
    const aMinY = Math.min(ay1, ay2);
    const aMaxY = Math.max(ay1, ay2);
    for (let oj = oi + 1; oj < count; oj++) {
      const b = order[oj]!;
      if (minX[b]! > aMaxX) break; // sorted by west end: nothing further along can overlap a
      const bx1 = x1[b]!;
      const by1 = y1[b]!;
      const bx2 = x2[b]!;
      const by2 = y2[b]!;
      if (Math.max(by1, by2) < aMinY || Math.min(by1, by2) > aMaxY) continue;
      const o1 = orientation(ax1, ay1, ax2, ay2, bx1, by1);
      const o2 = orientation(ax1, ay1, ax2, ay2, bx2, by2);
      if (o1 === 0 || o2 === 0 || o1 === o2) continue;
      const o3 = orientation(bx1, by1, bx2, by2, ax1, ay1);
      const o4 = orientation(bx1, by1, bx2, by2, ax2, ay2);
      if (o3 === 0 || o4 === 0 || o3 === o4) continue;
      // Proper crossing. Where: solve along a (for the message only, so plain arithmetic is fine).
      const denominator = (ax2 - ax1) * (by2 - by1) - (ay2 - ay1) * (bx2 - bx1);
      const t =
        denominator === 0 ? 0.5 : ((bx1 - ax1) * (by2 - by1) - (by1 - ay1) * (bx2 - bx1)) / denominator;
      const first = ringOf[a]! < ringOf[b]! || (ringOf[a] === ringOf[b] && edgeOf[a]! < edgeOf[b]!);
      const [p, q] = first ? [a, b] : [b, a];
      crossings.push({
        a: { ring: ringOf[p]!, edge: edgeOf[p]! },
        b: { ring: ringOf[q]!, edge: edgeOf[q]! },
        at: [ax1 + t * (ax2 - ax1), ay1 + t * (ay2 - ay1)],
      });
      if (crossings.length >= limit) return crossings;
    }
  }
  return crossings;
}

function describeCrossing(crossing: RingCrossing, polygon: number, multi: boolean): string {
  const { a, b, at } = crossing;
  const where = `near [${at[0].toFixed(7)}, ${at[1].toFixed(7)}]`;
  const edge = (s: Segment) => `the edge from position ${s.edge} to ${s.edge + 1}`;
  if (a.ring === b.ring)
    return `${ringLabel(polygon, a.ring, multi)} crosses itself ${where}: ${edge(a)} crosses ${edge(b)}`;
  return `${ringLabel(polygon, a.ring, multi)} and ${ringLabel(polygon, b.ring, multi)} cross ${where}: ${edge(a)} of ring ${a.ring} crosses ${edge(b)} of ring ${b.ring}`;
}

/**
 * Every problem with a would-be area geometry (GeoJSON Polygon or MultiPolygon, WGS84 longitude/latitude),
 * as sentences; an empty list means it is fine to store and index.
 */
export function validateGeometry(geometry: unknown): string[] {
  if (geometry === null || geometry === undefined) return ['it has no geometry'];
  if (!isObject(geometry))
    return [
      `the geometry is not an object (it is ${Array.isArray(geometry) ? 'an array' : typeof geometry})`,
    ];
  const type = geometry.type;
  if (type !== 'Polygon' && type !== 'MultiPolygon') {
    if (typeof type !== 'string')
      return ['the geometry has no "type"; an area must be a Polygon or MultiPolygon'];
    if (OTHER_GEOJSON_TYPES.has(type))
      return [`the geometry is a ${type}; an area must be a Polygon or MultiPolygon`];
    return [`unknown geometry type "${type}"; an area must be a Polygon or MultiPolygon`];
  }
  const coordinates = geometry.coordinates;
  if (!Array.isArray(coordinates)) return [`the ${type} has no "coordinates" array`];
  if (coordinates.length === 0) return [`the ${type} is empty: it has no coordinates`];

  const multi = type === 'MultiPolygon';
  const polygons: unknown[] = multi ? coordinates : [coordinates];
  const problems: string[] = [];
  let structural = false; // a problem that makes the geometric checks meaningless

  // Range problems are summarised over the whole geometry rather than listed per position.
  let positions = 0;
  let outOfRange = 0;
  let bngLike = 0;
  let firstOutOfRange: string | undefined;

  polygons.forEach((polygon, p) => {
    if (!Array.isArray(polygon)) {
      problems.push(`polygon ${p} is not an array of rings`);
      structural = true;
      return;
    }
    if (polygon.length === 0) {
      problems.push(
        multi ? `polygon ${p} is empty: it has no rings` : `the Polygon is empty: it has no rings`,
      );
      structural = true;
      return;
    }
    polygon.forEach((ring: unknown, r) => {
      const label = ringLabel(p, r, multi);
      if (!Array.isArray(ring)) {
        problems.push(`${label} is not an array of positions`);
        structural = true;
        return;
      }
      let badPositions = 0;
      let firstBad: string | undefined;
      ring.forEach((position: unknown, i) => {
        const ok =
          Array.isArray(position) &&
          position.length >= 2 &&
          position.every((n) => typeof n === 'number' && Number.isFinite(n));
        if (!ok) {
          badPositions++;
          if (firstBad === undefined) {
            const shown = Array.isArray(position)
              ? formatPosition(position)
              : (JSON.stringify(position) ?? String(position));
            firstBad =
              Array.isArray(position) && position.length >= 2 && position.every((n) => typeof n === 'number')
                ? `position ${i} ${shown} has a number that is not finite`
                : `position ${i} ${shown} is not a [longitude, latitude] pair of numbers`;
          }
          return;
        }
        const [lon, lat] = position as number[];
        positions++;
        if (lon! < -180 || lon! > 180 || lat! < -90 || lat! > 90) {
          outOfRange++;
          firstOutOfRange ??= `${label} position ${i} ${formatPosition(position)}`;
        }
        if (lon! >= 0 && lon! <= BNG_EASTING_MAX && lat! >= 0 && lat! <= BNG_NORTHING_MAX) bngLike++;
      });
      if (badPositions > 0) {
        problems.push(
          `${label}: ${firstBad}${badPositions > 1 ? ` (and ${plural(badPositions - 1, 'more bad position')})` : ''}`,
        );
        structural = true;
        return;
      }
      if (ring.length < 4) {
        problems.push(
          `${label} has ${plural(ring.length, 'position')}; a ring needs at least 4 (three corners and the first repeated at the end)`,
        );
        structural = true;
        return;
      }
      const first = ring[0] as number[];
      const last = ring[ring.length - 1] as number[];
      if (first[0] !== last[0] || first[1] !== last[1]) {
        problems.push(
          `${label} is not closed: its last position ${formatPosition(last)} should repeat its first ${formatPosition(first)}`,
        );
        structural = true;
      }
    });
  });

  if (outOfRange > 0) {
    structural = true;
    // Grid references are all positive metres, and nearly all too large to be degrees; a single stray
    // number in a longitude/latitude file gets the general message instead.
    if (bngLike === positions && outOfRange * 2 > positions) {
      problems.push(
        `the coordinates look like OSGB36 / EPSG:27700 metres (British National Grid eastings and northings, e.g. ${firstOutOfRange}), not WGS84 longitude/latitude; reproject to EPSG:4326`,
      );
    } else {
      problems.push(
        `${plural(outOfRange, 'position')} ${outOfRange === 1 ? 'is' : 'are'} outside longitude -180..180 / latitude -90..90 (the first: ${firstOutOfRange}); coordinates must be WGS84 [longitude, latitude]`,
      );
    }
  }
  if (structural) return problems;

  (polygons as LinearRing[][]).forEach((rings, p) => {
    const crossings = findRingCrossings(rings);
    for (const crossing of crossings.slice(0, MAX_CROSSINGS_DESCRIBED))
      problems.push(describeCrossing(crossing, p, multi));
    if (crossings.length > MAX_CROSSINGS_DESCRIBED) {
      const more = crossings.length - MAX_CROSSINGS_DESCRIBED;
      const atLeast = crossings.length >= MAX_CROSSINGS_COUNTED ? 'at least ' : '';
      problems.push(
        `${multi ? `polygon ${p}: ` : ''}${atLeast}${plural(more, 'more crossing')} of ring edges`,
      );
    }
  });
  return problems;
}
