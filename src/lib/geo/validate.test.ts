import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Position } from './types.js';
import { findRingCrossings, validateCrs, validateGeometry } from './validate.js';

const square = (x0: number, y0: number, x1: number, y1: number): Position[] => [
  [x0, y0],
  [x1, y0],
  [x1, y1],
  [x0, y1],
  [x0, y0],
];

/** Asserts exactly one problem, matching `pattern`. */
function assertOneProblem(geometry: unknown, pattern: RegExp): void {
  const problems = validateGeometry(geometry);
  assert.equal(problems.length, 1, `expected one problem, got: ${JSON.stringify(problems)}`);
  assert.match(problems[0]!, pattern);
}

describe('validateGeometry', () => {
  it('accepts a square, a polygon with a hole, and a MultiPolygon', () => {
    assert.deepEqual(
      validateGeometry({ type: 'Polygon', coordinates: [square(-2.4, 53.3, -2.3, 53.4)] }),
      [],
    );
    assert.deepEqual(
      validateGeometry({ type: 'Polygon', coordinates: [square(0, 0, 10, 10), square(4, 4, 6, 6)] }),
      [],
    );
    assert.deepEqual(
      validateGeometry({ type: 'MultiPolygon', coordinates: [[square(0, 0, 1, 1)], [square(2, 0, 3, 1)]] }),
      [],
    );
  });

  it('rejects things that are not an area geometry', () => {
    assertOneProblem(null, /no geometry/);
    assertOneProblem('Polygon', /not an object \(it is string\)/);
    assertOneProblem([[0, 0]], /not an object \(it is an array\)/);
    assertOneProblem({ coordinates: [] }, /no "type"/);
    assertOneProblem(
      { type: 'Point', coordinates: [0, 0] },
      /is a Point; an area must be a Polygon or MultiPolygon/,
    );
    assertOneProblem({ type: 'Circle', coordinates: [] }, /unknown geometry type "Circle"/);
    assertOneProblem({ type: 'Polygon' }, /no "coordinates" array/);
  });

  it('rejects empty geometries', () => {
    assertOneProblem({ type: 'Polygon', coordinates: [] }, /Polygon is empty/);
    assertOneProblem({ type: 'MultiPolygon', coordinates: [] }, /MultiPolygon is empty/);
    assertOneProblem({ type: 'MultiPolygon', coordinates: [[square(0, 0, 1, 1)], []] }, /polygon 1 is empty/);
  });

  it('rejects a ring with fewer than four positions', () => {
    assertOneProblem(
      {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 0],
            [0, 0],
          ],
        ],
      },
      /ring 0 \(outer\) has 3 positions; a ring needs at least 4/,
    );
  });

  it('rejects an unclosed ring, naming both ends', () => {
    assertOneProblem(
      {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 1],
          ],
        ],
      },
      /ring 0 \(outer\) is not closed: its last position \[0, 1\] should repeat its first \[0, 0\]/,
    );
    assertOneProblem(
      { type: 'MultiPolygon', coordinates: [[square(0, 0, 9, 9), square(1, 1, 2, 2).slice(0, 4)]] },
      /polygon 0 ring 1 \(hole\) is not closed/,
    );
  });

  it('rejects positions that are not pairs of finite numbers', () => {
    const ring = square(0, 0, 1, 1) as unknown[];
    ring[2] = [1, Number.NaN];
    assertOneProblem(
      { type: 'Polygon', coordinates: [ring] },
      /position 2 \[1, NaN\] has a number that is not finite/,
    );
    ring[2] = ['1', '1'];
    ring[3] = [0];
    assertOneProblem(
      { type: 'Polygon', coordinates: [ring] },
      /position 2 \["1", "1"\] is not a \[longitude, latitude\] pair of numbers \(and 1 more bad position\)/,
    );
    assertOneProblem({ type: 'Polygon', coordinates: [42] }, /ring 0 \(outer\) is not an array of positions/);
  });

  it('explains British National Grid coordinates and how to fix them', () => {
    // Trafford Town Hall is at about E 378000, N 394000.
    assertOneProblem(
      { type: 'Polygon', coordinates: [square(378_000, 394_000, 379_000, 395_000)] },
      /looks? like OSGB36 \/ EPSG:27700 metres.*not WGS84 longitude\/latitude; reproject to EPSG:4326/,
    );
  });

  it('rejects other out-of-range coordinates with the general message', () => {
    const ring = square(-2.4, 53.3, -2.3, 53.4);
    ring[1] = [-2.3, 95];
    assertOneProblem(
      { type: 'Polygon', coordinates: [ring] },
      /1 position is outside longitude -180..180 \/ latitude -90..90 \(the first: ring 0 \(outer\) position 1 \[-2.3, 95\]\)/,
    );
  });

  it('rejects a bow-tie ring, saying where it crosses', () => {
    const problems = validateGeometry({
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [2, 2],
          [2, 0],
          [0, 2],
          [0, 0],
        ],
      ],
    });
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.match(
      problems[0]!,
      /ring 0 \(outer\) crosses itself near \[1\.0000000, 1\.0000000\]: the edge from position 0 to 1 crosses the edge from position 2 to 3/,
    );
  });

  it('rejects a hole that crosses the outer ring', () => {
    const problems = validateGeometry({
      type: 'Polygon',
      coordinates: [square(0, 0, 4, 4), square(3, 1, 5, 2)],
    });
    assert.ok(problems.length >= 1, 'expected a crossing');
    assert.match(problems[0]!, /ring 0 \(outer\) and ring 1 \(hole\) cross near/);
  });

  it('allows rings that only touch at a shared vertex', () => {
    // A figure of eight pinched at (1, 1): it touches itself at a vertex but no edges cross.
    assert.deepEqual(
      validateGeometry({
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 1],
            [2, 0],
            [2, 2],
            [1, 1],
            [0, 2],
            [0, 0],
          ],
        ],
      }),
      [],
    );
    // A hole touching the outer ring at one corner.
    assert.deepEqual(
      validateGeometry({
        type: 'Polygon',
        coordinates: [
          square(0, 0, 4, 4),
          [
            [0, 0],
            [1, 2],
            [2, 1],
            [0, 0],
          ],
        ],
      }),
      [],
    );
  });

  it('summarises a badly tangled ring instead of listing every crossing', () => {
    // A zigzag that comes back across itself many times.
    const ring: Position[] = [];
    for (let i = 0; i <= 20; i++) ring.push([i, i % 2]);
    for (let i = 20; i >= 0; i--) ring.push([i + 0.5, (i + 1) % 2]);
    ring.push(ring[0]!);
    const problems = validateGeometry({ type: 'Polygon', coordinates: [ring] });
    assert.equal(problems.length, 4, JSON.stringify(problems));
    assert.match(problems[3]!, /^\d+ more crossings of ring edges$/);
  });

  it('checks a ring with tens of thousands of vertices quickly', () => {
    // A fine-grained circle (valid) with one notch that folds back across its neighbour.
    const n = 50_000;
    const ring: Position[] = [];
    for (let i = 0; i < n; i++) {
      const angle = (i / n) * Math.PI * 2;
      ring.push([-2.3 + Math.cos(angle) * 0.05, 53.4 + Math.sin(angle) * 0.05]);
    }
    ring.push(ring[0]!);
    const started = performance.now();
    assert.deepEqual(validateGeometry({ type: 'Polygon', coordinates: [ring] }), []);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 2000, `took ${elapsed.toFixed(0)} ms`);

    const folded = ring.slice();
    [folded[100], folded[101]] = [folded[101]!, folded[100]!];
    assert.equal(findRingCrossings([folded]).length, 1);
  });
});

describe('validateCrs', () => {
  it('accepts no crs, CRS84 and EPSG:4326 names', () => {
    assert.deepEqual(validateCrs({ type: 'FeatureCollection', features: [] }), []);
    for (const name of ['urn:ogc:def:crs:OGC:1.3:CRS84', 'urn:ogc:def:crs:EPSG::4326', 'EPSG:4326'])
      assert.deepEqual(
        validateCrs({ type: 'FeatureCollection', crs: { type: 'name', properties: { name } } }),
        [],
        name,
      );
  });

  it('rejects British National Grid and other systems, saying how to reproject', () => {
    const [bng] = validateCrs({
      type: 'FeatureCollection',
      crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::27700' } },
    });
    assert.match(
      bng!,
      /"urn:ogc:def:crs:EPSG::27700" \(British National Grid, OSGB36 \/ EPSG:27700 metres\)/,
    );
    assert.match(bng!, /reproject it to EPSG:4326/);
    const [mercator] = validateCrs({ crs: { type: 'name', properties: { name: 'EPSG:3857' } } });
    assert.match(mercator!, /"EPSG:3857" \(EPSG:3857\), not WGS84/);
    const [linked] = validateCrs({ crs: { type: 'link', properties: { href: 'http://example.com/crs' } } });
    assert.match(linked!, /not a named coordinate reference system/);
  });
});
