/**
 * Bounding boxes: the cheap first test before any exact geometry, and the columns (min/max lon/lat)
 * stored beside each area so bounding-box queries need no JSON work.
 */
import type { AreaGeometry, BBox, PolygonRings } from './types.js';

/** The polygons of a geometry, whichever of the two types it is. */
export function polygonsOf(geometry: AreaGeometry): readonly PolygonRings[] {
  return geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
}

/** The box around some rings (only the outer ring matters for a valid polygon, but holes cost little). */
export function ringsBBox(rings: PolygonRings): BBox {
  let minLon = Infinity;
  let minLat = Infinity;
  let maxLon = -Infinity;
  let maxLat = -Infinity;
  for (const ring of rings) {
    for (const position of ring) {
      const lon = position[0]!;
      const lat = position[1]!;
      if (lon < minLon) minLon = lon;
      if (lon > maxLon) maxLon = lon;
      if (lat < minLat) minLat = lat;
      if (lat > maxLat) maxLat = lat;
    }
  }
  return [minLon, minLat, maxLon, maxLat];
}

/** The box around a whole geometry. Throws for a geometry without any position (validate first). */
export function geometryBBox(geometry: AreaGeometry): BBox {
  let box: BBox | undefined;
  for (const polygon of polygonsOf(geometry)) {
    const next = ringsBBox(polygon);
    if (next[0] > next[2]) continue; // no positions
    box = box ? unionBBox(box, next) : next;
  }
  if (!box) throw new Error('geometry has no positions');
  return box;
}

export function unionBBox(a: BBox, b: BBox): BBox {
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];
}

/** Whether the box holds the point, edges included, optionally grown by `margin` degrees on every side. */
export function bboxContainsPoint(box: BBox, lon: number, lat: number, margin = 0): boolean {
  return lon >= box[0] - margin && lon <= box[2] + margin && lat >= box[1] - margin && lat <= box[3] + margin;
}

/** Whether two boxes overlap or touch. */
export function bboxesIntersect(a: BBox, b: BBox): boolean {
  return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}
