/**
 * Exact point-in-polygon on GeoJSON coordinates as they are: the reference implementation. The spatial
 * index uses the faster prepared form in prepared.ts, which must agree with this one (tests compare
 * them on real boundaries).
 *
 * Method: crossing number (a ray towards +longitude flips inside/outside at every edge it crosses, with
 * the half-open rule on latitude so a ray through a vertex counts once), preceded on each edge by an
 * on-the-edge test within `epsilon` degrees, which is what makes 'boundary' an answer of its own.
 * Ring orientation does not matter, so files that ignore RFC 7946's right-hand rule work too.
 */
import { polygonsOf } from './bbox.js';
import {
  BOUNDARY_EPSILON,
  type AreaGeometry,
  type LinearRing,
  type PointLocation,
  type PolygonRings,
} from './types.js';

/**
 * Whether (px, py) is within `epsilon` of the segment (x1, y1)–(x2, y2). Shared with prepared.ts so
 * both implementations draw the boundary in exactly the same place.
 */
export function isOnSegment(
  px: number,
  py: number,
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  epsilon: number,
): boolean {
  // Cheap rejection by the segment's box first: nearly every edge fails here.
  if (px < (x1 < x2 ? x1 : x2) - epsilon || px > (x1 > x2 ? x1 : x2) + epsilon) return false;
  if (py < (y1 < y2 ? y1 : y2) - epsilon || py > (y1 > y2 ? y1 : y2) + epsilon) return false;
  const dx = x2 - x1;
  const dy = y2 - y1;
  const lengthSquared = dx * dx + dy * dy;
  let t = lengthSquared === 0 ? 0 : ((px - x1) * dx + (py - y1) * dy) / lengthSquared;
  if (t < 0) t = 0;
  else if (t > 1) t = 1;
  const ex = px - (x1 + t * dx);
  const ey = py - (y1 + t * dy);
  return ex * ex + ey * ey <= epsilon * epsilon;
}

/** Where a point lies relative to one ring, treating the ring as closed whether or not it repeats its start. */
export function pointInRing(
  lon: number,
  lat: number,
  ring: LinearRing,
  epsilon = BOUNDARY_EPSILON,
): PointLocation {
  const n = ring.length;
  if (n === 0) return 'outside';
  let inside = false;
  let previous = ring[n - 1]!;
  for (let i = 0; i < n; i++) {
    const current = ring[i]!;
    const x1 = previous[0]!;
    const y1 = previous[1]!;
    const x2 = current[0]!;
    const y2 = current[1]!;
    if (isOnSegment(lon, lat, x1, y1, x2, y2, epsilon)) return 'boundary';
    if (y1 > lat !== y2 > lat && lon < x1 + ((lat - y1) * (x2 - x1)) / (y2 - y1)) inside = !inside;
    previous = current;
  }
  return inside ? 'inside' : 'outside';
}

/** One polygon: inside the outer ring and not inside any hole. A point on a hole's edge is on the boundary. */
export function pointInPolygon(
  lon: number,
  lat: number,
  rings: PolygonRings,
  epsilon = BOUNDARY_EPSILON,
): PointLocation {
  const outer = rings[0];
  if (!outer) return 'outside';
  const location = pointInRing(lon, lat, outer, epsilon);
  if (location !== 'inside') return location;
  for (let h = 1; h < rings.length; h++) {
    const hole = pointInRing(lon, lat, rings[h]!, epsilon);
    if (hole === 'inside') return 'outside';
    if (hole === 'boundary') return 'boundary';
  }
  return 'inside';
}

/**
 * Where a point lies relative to a Polygon or MultiPolygon. For a MultiPolygon the best answer over its
 * parts wins: inside any part is inside, otherwise on the edge of any part is boundary.
 */
export function pointInGeometry(
  lon: number,
  lat: number,
  geometry: AreaGeometry,
  epsilon = BOUNDARY_EPSILON,
): PointLocation {
  let onBoundary = false;
  for (const polygon of polygonsOf(geometry)) {
    const location = pointInPolygon(lon, lat, polygon, epsilon);
    if (location === 'inside') return 'inside';
    if (location === 'boundary') onBoundary = true;
  }
  return onBoundary ? 'boundary' : 'outside';
}
