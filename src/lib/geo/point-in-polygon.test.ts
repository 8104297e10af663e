import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pointInGeometry, pointInRing } from './point-in-polygon.js';
import { PreparedRing, prepareGeometry } from './prepared.js';
import type { AreaGeometry, LinearRing, PointLocation, Position } from './types.js';

const square = (x0: number, y0: number, x1: number, y1: number): Position[] => [
  [x0, y0],
  [x1, y0],
  [x1, y1],
  [x0, y1],
  [x0, y0],
];

const polygon = (...rings: LinearRing[]): AreaGeometry => ({ type: 'Polygon', coordinates: rings });

/** Checks both implementations, which must always agree. */
function locate(lon: number, lat: number, geometry: AreaGeometry): PointLocation {
  const reference = pointInGeometry(lon, lat, geometry);
  const prepared = prepareGeometry(geometry).locatePoint(lon, lat);
  assert.equal(prepared, reference, `prepared and reference disagree at (${lon}, ${lat})`);
  return reference;
}

describe('pointInGeometry', () => {
  const unit = polygon(square(0, 0, 1, 1));

  it('tells inside from outside for a square', () => {
    assert.equal(locate(0.5, 0.5, unit), 'inside');
    assert.equal(locate(0.001, 0.999, unit), 'inside');
    assert.equal(locate(1.5, 0.5, unit), 'outside');
    assert.equal(locate(-0.5, 0.5, unit), 'outside');
    assert.equal(locate(0.5, 1.0000001, unit), 'outside');
    assert.equal(locate(0.5, -3, unit), 'outside');
  });

  it('puts points on an edge or a vertex on the boundary', () => {
    for (const [lon, lat] of [
      [0.5, 0],
      [1, 0.5],
      [0.5, 1],
      [0, 0.25],
    ] as const)
      assert.equal(locate(lon, lat, unit), 'boundary', `edge point (${lon}, ${lat})`);
    for (const [lon, lat] of [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
    ] as const)
      assert.equal(locate(lon, lat, unit), 'boundary', `vertex (${lon}, ${lat})`);
  });

  it('counts a point within 1e-12 degrees of an edge as on it, and one 1e-9 away as not', () => {
    assert.equal(locate(0.5, 1e-13, unit), 'boundary');
    assert.equal(locate(0.5, -1e-13, unit), 'boundary');
    assert.equal(locate(0.5, 1e-9, unit), 'inside');
    assert.equal(locate(0.5, -1e-9, unit), 'outside');
  });

  it('handles a diagonal edge exactly', () => {
    const triangle = polygon([
      [0, 0],
      [4, 0],
      [0, 4],
      [0, 0],
    ]);
    assert.equal(locate(2, 2, triangle), 'boundary');
    assert.equal(locate(1.9, 2, triangle), 'inside');
    assert.equal(locate(2.1, 2, triangle), 'outside');
  });

  it('treats a point in a hole as outside and on the hole edge as boundary', () => {
    const withHole = polygon(square(0, 0, 10, 10), square(4, 4, 6, 6));
    assert.equal(locate(5, 5, withHole), 'outside');
    assert.equal(locate(2, 5, withHole), 'inside');
    assert.equal(locate(4, 5, withHole), 'boundary');
    assert.equal(locate(6, 6, withHole), 'boundary');
    assert.equal(locate(11, 5, withHole), 'outside');
  });

  it('finds a point in any part of a MultiPolygon, and in an island inside another part’s hole', () => {
    const multi: AreaGeometry = {
      type: 'MultiPolygon',
      coordinates: [[square(0, 0, 10, 10), square(2, 2, 8, 8)], [square(4, 4, 6, 6)], [square(20, 0, 21, 1)]],
    };
    assert.equal(locate(1, 1, multi), 'inside');
    assert.equal(locate(3, 3, multi), 'outside', 'in the hole, not on the island');
    assert.equal(locate(5, 5, multi), 'inside', 'on the island within the hole');
    assert.equal(locate(20.5, 0.5, multi), 'inside');
    assert.equal(locate(15, 0.5, multi), 'outside');
    assert.equal(locate(21, 0.5, multi), 'boundary');
    assert.equal(locate(2, 5, multi), 'boundary', 'on the hole edge');
  });

  it('prefers inside over boundary when a MultiPolygon’s parts share an edge', () => {
    const halves: AreaGeometry = {
      type: 'MultiPolygon',
      coordinates: [[square(0, 0, 1, 1)], [square(1, 0, 2, 1)]],
    };
    assert.equal(locate(1, 0.5, halves), 'boundary');
    assert.equal(locate(0.5, 0.5, halves), 'inside');
  });

  it('handles a concave (U-shaped) polygon, including rays through its vertices', () => {
    // A "U": the notch between x=1..2 for y>1 is outside.
    const u = polygon([
      [0, 0],
      [3, 0],
      [3, 3],
      [2, 3],
      [2, 1],
      [1, 1],
      [1, 3],
      [0, 3],
      [0, 0],
    ]);
    assert.equal(locate(1.5, 2, u), 'outside');
    assert.equal(locate(0.5, 2, u), 'inside');
    assert.equal(locate(2.5, 2, u), 'inside');
    assert.equal(locate(1.5, 0.5, u), 'inside');
    // y = 1 and y = 3 pass exactly through vertices: the half-open rule must count them once.
    assert.equal(locate(0.5, 1, u), 'inside');
    assert.equal(locate(-1, 1, u), 'outside');
    assert.equal(locate(1.5, 1, u), 'boundary');
    assert.equal(locate(-1, 3, u), 'outside');
    assert.equal(locate(4, 3, u), 'outside');
    assert.equal(locate(1.5, 3, u), 'outside', 'between the two arms, level with their tops');
  });

  it('gives the same answer whichever way a ring winds', () => {
    const clockwise = polygon([...square(0, 0, 1, 1)].reverse());
    assert.equal(locate(0.5, 0.5, clockwise), 'inside');
    assert.equal(locate(1, 0.5, clockwise), 'boundary');
    assert.equal(locate(2, 0.5, clockwise), 'outside');
  });

  it('works on an unclosed ring as if it were closed', () => {
    const open = [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
    ];
    assert.equal(pointInRing(0.5, 0.5, open), 'inside');
    assert.equal(pointInRing(0, 0.5, open), 'boundary', 'on the implied closing edge');
    assert.equal(new PreparedRing(open).locate(0, 0.5), 1);
  });

  it('uses even-odd on a bow-tie ring (which validation rejects anyway)', () => {
    const bowTie = polygon([
      [0, 0],
      [2, 2],
      [2, 0],
      [0, 2],
      [0, 0],
    ]);
    assert.equal(locate(1.8, 1, bowTie), 'inside');
    assert.equal(locate(0.2, 1, bowTie), 'inside');
    assert.equal(locate(1, 1.8, bowTie), 'outside');
    assert.equal(locate(1, 1, bowTie), 'boundary', 'the crossing point is on both edges');
  });

  it('works at real UK coordinates (west of Greenwich, negative longitudes)', () => {
    const ward = polygon(square(-2.35, 53.38, -2.33, 53.4));
    assert.equal(locate(-2.34, 53.39, ward), 'inside');
    assert.equal(locate(-2.35, 53.39, ward), 'boundary');
    assert.equal(locate(-2.36, 53.39, ward), 'outside');
  });
});

describe('prepareGeometry (banded rings)', () => {
  /** A jagged star with many vertices, so the band index is used, and a seeded generator for points. */
  function star(cx: number, cy: number, points: number, seed: number): Position[] {
    let state = seed;
    const random = () => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    const ring: Position[] = [];
    for (let i = 0; i < points; i++) {
      const angle = (i / points) * Math.PI * 2;
      const radius = 0.3 + random() * 0.7;
      ring.push([cx + Math.cos(angle) * radius, cy + Math.sin(angle) * radius]);
    }
    ring.push(ring[0]!);
    return ring;
  }

  it('agrees with the reference implementation on thousands of points, including every vertex', () => {
    const geometry: AreaGeometry = {
      type: 'MultiPolygon',
      coordinates: [
        [star(0, 0, 500, 7), star(0, 0, 40, 9).map(([x, y]) => [x! * 0.2, y! * 0.2])],
        [star(3, 0, 64, 11)],
      ],
    };
    const prepared = prepareGeometry(geometry);
    let state = 42;
    const random = () => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    const counts: Record<PointLocation, number> = { inside: 0, boundary: 0, outside: 0 };
    for (let i = 0; i < 20_000; i++) {
      const lon = -1.2 + random() * 5.4;
      const lat = -1.2 + random() * 2.4;
      const expected = pointInGeometry(lon, lat, geometry);
      assert.equal(prepared.locatePoint(lon, lat), expected, `at (${lon}, ${lat})`);
      counts[expected]++;
    }
    assert.ok(counts.inside > 1000 && counts.outside > 1000, JSON.stringify(counts));
    for (const rings of geometry.coordinates as Position[][][])
      for (const ring of rings)
        for (const [lon, lat] of ring) assert.equal(prepared.locatePoint(lon!, lat!), 'boundary');
  });

  it('answers outside for points beyond the bounding box without touching edges', () => {
    const prepared = prepareGeometry({ type: 'Polygon', coordinates: [star(0, 0, 100, 3)] });
    assert.equal(prepared.locatePoint(5, 5), 'outside');
    assert.equal(prepared.locatePoint(0, -1.01), 'outside');
  });
});
