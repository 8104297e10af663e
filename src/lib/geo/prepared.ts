/**
 * Geometry prepared for many point lookups: each ring's coordinates copied into one flat Float64Array
 * (no per-position arrays to chase), and an index of horizontal bands so a lookup only tests the edges
 * whose latitude range reaches the point's latitude, instead of every edge of the ring.
 *
 * A full-resolution ward ring has around a thousand edges; a band holds a handful, so the exact test
 * costs a few edges rather than a thousand. The answers are the same as pointInGeometry's: the same
 * crossing rule and the same on-the-edge test (isOnSegment), just over fewer edges.
 */
import { polygonsOf, ringsBBox } from './bbox.js';
import { isOnSegment } from './point-in-polygon.js';
import {
  BOUNDARY_EPSILON,
  type AreaGeometry,
  type BBox,
  type LinearRing,
  type PointLocation,
} from './types.js';

const OUTSIDE = 0;
const BOUNDARY = 1;
const INSIDE = 2;
type Location = typeof OUTSIDE | typeof BOUNDARY | typeof INSIDE;
const LOCATION_NAMES: readonly PointLocation[] = ['outside', 'boundary', 'inside'];

/** Rings this small are scanned whole: a band index would cost more than it saves. */
const MIN_EDGES_FOR_BANDS = 16;
/** Aim for about this many edges starting in each band; with the edges that cross into it, ~4–8 per band. */
const EDGES_PER_BAND = 4;
const MAX_BANDS = 1 << 16;

export class PreparedRing {
  /** x0, y0, x1, y1, ... without the closing repeat of the first position: edge i runs from i to i+1 (mod n). */
  readonly coords: Float64Array;
  readonly vertexCount: number;
  readonly minX: number;
  readonly minY: number;
  readonly maxX: number;
  readonly maxY: number;
  private readonly bandCount: number;
  private readonly bandHeight: number;
  /** Band b's edges are bandEdges[bandStart[b] .. bandStart[b + 1]). */
  private readonly bandStart: Uint32Array;
  private readonly bandEdges: Uint32Array;

  constructor(
    ring: LinearRing,
    private readonly epsilon: number = BOUNDARY_EPSILON,
  ) {
    let n = ring.length;
    if (n > 1) {
      const first = ring[0]!;
      const last = ring[n - 1]!;
      if (first[0] === last[0] && first[1] === last[1]) n -= 1;
    }
    this.vertexCount = n;
    const coords = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      coords[2 * i] = ring[i]![0]!;
      coords[2 * i + 1] = ring[i]![1]!;
    }
    this.coords = coords;
    const [minX, minY, maxX, maxY] = n > 0 ? ringsBBox([ring]) : [Infinity, Infinity, -Infinity, -Infinity];
    this.minX = minX;
    this.minY = minY;
    this.maxX = maxX;
    this.maxY = maxY;

    const height = maxY - minY;
    const bandCount =
      n < MIN_EDGES_FOR_BANDS || !(height > 0)
        ? 1
        : Math.min(MAX_BANDS, Math.max(1, Math.ceil(n / EDGES_PER_BAND)));
    this.bandCount = bandCount;
    this.bandHeight = bandCount === 1 ? Infinity : height / bandCount;

    // Two passes (count, then fill) build a compact CSR layout: one array of offsets, one of edges.
    const bandStart = new Uint32Array(bandCount + 1);
    for (let i = 0; i < n; i++) {
      const [from, to] = this.edgeBands(i);
      for (let b = from; b <= to; b++) bandStart[b + 1]! += 1;
    }
    for (let b = 0; b < bandCount; b++) bandStart[b + 1]! += bandStart[b]!;
    const bandEdges = new Uint32Array(bandStart[bandCount]!);
    const fill = bandStart.slice(0, bandCount);
    for (let i = 0; i < n; i++) {
      const [from, to] = this.edgeBands(i);
      for (let b = from; b <= to; b++) bandEdges[fill[b]!++] = i;
    }
    this.bandStart = bandStart;
    this.bandEdges = bandEdges;
  }

  private band(y: number): number {
    if (this.bandCount === 1) return 0;
    const b = Math.floor((y - this.minY) / this.bandHeight);
    return b < 0 ? 0 : b >= this.bandCount ? this.bandCount - 1 : b;
  }

  /**
   * The bands edge i must be listed in: every band its latitude range reaches, grown by epsilon so an
   * edge within epsilon of a point is always found in the point's band. Floor is monotonic, so a point
   * whose latitude lies within the edge's range always maps to a band inside [from, to].
   */
  private edgeBands(i: number): [number, number] {
    const j = i + 1 === this.vertexCount ? 0 : i + 1;
    const y1 = this.coords[2 * i + 1]!;
    const y2 = this.coords[2 * j + 1]!;
    return [this.band(Math.min(y1, y2) - this.epsilon), this.band(Math.max(y1, y2) + this.epsilon)];
  }

  /** 0 outside, 1 boundary, 2 inside. */
  locate(x: number, y: number): Location {
    const epsilon = this.epsilon;
    if (
      x < this.minX - epsilon ||
      x > this.maxX + epsilon ||
      y < this.minY - epsilon ||
      y > this.maxY + epsilon
    )
      return OUTSIDE;
    const coords = this.coords;
    const n = this.vertexCount;
    const b = this.band(y);
    const end = this.bandStart[b + 1]!;
    let inside = false;
    for (let k = this.bandStart[b]!; k < end; k++) {
      const i = this.bandEdges[k]!;
      const j = i + 1 === n ? 0 : i + 1;
      const x1 = coords[2 * i]!;
      const y1 = coords[2 * i + 1]!;
      const x2 = coords[2 * j]!;
      const y2 = coords[2 * j + 1]!;
      if (isOnSegment(x, y, x1, y1, x2, y2, epsilon)) return BOUNDARY;
      if (y1 > y !== y2 > y && x < x1 + ((y - y1) * (x2 - x1)) / (y2 - y1)) inside = !inside;
    }
    return inside ? INSIDE : OUTSIDE;
  }
}

export class PreparedPolygon {
  readonly bbox: BBox;
  constructor(
    readonly outer: PreparedRing,
    readonly holes: readonly PreparedRing[],
  ) {
    this.bbox = [outer.minX, outer.minY, outer.maxX, outer.maxY];
  }

  locate(x: number, y: number): Location {
    const location = this.outer.locate(x, y);
    if (location !== INSIDE) return location;
    for (const hole of this.holes) {
      const inHole = hole.locate(x, y);
      if (inHole === INSIDE) return OUTSIDE;
      if (inHole === BOUNDARY) return BOUNDARY;
    }
    return INSIDE;
  }

  /** The same answer as pointInPolygon on the rings this was prepared from. */
  locatePoint(lon: number, lat: number): PointLocation {
    return LOCATION_NAMES[this.locate(lon, lat)]!;
  }
}

export class PreparedGeometry {
  constructor(readonly polygons: readonly PreparedPolygon[]) {}

  /** The same answer as pointInGeometry on the geometry this was prepared from. */
  locatePoint(lon: number, lat: number): PointLocation {
    let best: Location = OUTSIDE;
    for (const polygon of this.polygons) {
      const location = polygon.locate(lon, lat);
      if (location === INSIDE) return 'inside';
      if (location > best) best = location;
    }
    return LOCATION_NAMES[best]!;
  }
}

/** Prepares a (validated) geometry for fast repeated lookups. */
export function prepareGeometry(geometry: AreaGeometry, epsilon = BOUNDARY_EPSILON): PreparedGeometry {
  return new PreparedGeometry(
    polygonsOf(geometry)
      .filter((rings) => rings.length > 0)
      .map(
        (rings) =>
          new PreparedPolygon(
            new PreparedRing(rings[0]!, epsilon),
            rings.slice(1).map((ring) => new PreparedRing(ring, epsilon)),
          ),
      ),
  );
}
