import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pointInGeometry, type AreaGeometry, type Position } from '../../lib/geo/index.js';
import { AreaIndex, type ContainingArea, type IndexedArea } from './spatial-index.js';

const square = (x0: number, y0: number, x1: number, y1: number): Position[] => [
  [x0, y0],
  [x1, y0],
  [x1, y1],
  [x0, y1],
  [x0, y0],
];

function area(kind: IndexedArea['kind'], code: string, geometry: AreaGeometry): IndexedArea {
  return { id: `id-${code}`, kind, code, name: `Area ${code}`, bodyId: null, geometry };
}

// Two wards side by side sharing the edge x = 1, listed with the higher code first on purpose; a borough
// around both; a parish with a hole; a locality made of two separate parts.
const areas: IndexedArea[] = [
  area('ward', 'W2', { type: 'Polygon', coordinates: [square(1, 0, 2, 1)] }),
  area('ward', 'W1', { type: 'Polygon', coordinates: [square(0, 0, 1, 1)] }),
  area('council', 'BOROUGH', { type: 'Polygon', coordinates: [square(0, 0, 2, 1)] }),
  area('parish', 'P1', {
    type: 'Polygon',
    coordinates: [square(0, 0, 0.8, 0.8), square(0.2, 0.2, 0.4, 0.4)],
  }),
  area('locality', 'L1', {
    type: 'MultiPolygon',
    coordinates: [[square(0, 0, 0.1, 0.1)], [square(1.9, 0.9, 2, 1)]],
  }),
];
const index = new AreaIndex(areas);

const codes = (matches: readonly ContainingArea[]) =>
  matches.map((m) => `${m.code}${m.onBoundary ? ' (edge)' : ''}`);

describe('AreaIndex', () => {
  it('finds every area containing a point, ordered by kind', () => {
    assert.deepEqual(codes(index.containing(0.5, 0.5)), ['BOROUGH', 'W1', 'P1']);
    assert.deepEqual(codes(index.containing(1.5, 0.5)), ['BOROUGH', 'W2']);
    assert.deepEqual(codes(index.containing(0.05, 0.05)), ['BOROUGH', 'W1', 'P1', 'L1']);
    assert.deepEqual(codes(index.containing(1.95, 0.95)), ['BOROUGH', 'W2', 'L1']);
  });

  it('returns nothing outside every area, and for coordinates that are not numbers', () => {
    assert.equal(index.containing(5, 5).length, 0);
    assert.equal(index.containing(Number.NaN, 0.5).length, 0);
    assert.equal(new AreaIndex([]).containing(0, 0).length, 0);
  });

  it('leaves out a parish for a point in its hole, and flags a point on the hole’s edge', () => {
    assert.deepEqual(codes(index.containing(0.3, 0.3)), ['BOROUGH', 'W1']);
    assert.deepEqual(codes(index.containing(0.2, 0.3)), ['BOROUGH', 'W1', 'P1 (edge)']);
  });

  it('resolves a point on the edge between two wards the same way every time', () => {
    const lookup = index.lookup(1, 0.5);
    const matches = lookup.areas;
    assert.deepEqual(codes(matches), ['BOROUGH', 'W1 (edge)', 'W2 (edge)']);
    assert.equal(lookup.primary('ward')?.code, 'W1', 'equal standing: the lower code wins');
    assert.equal(lookup.ofKind('ward').length, 2);
    assert.equal(lookup.primary('parish'), undefined);
    // Built from the areas in another order, the answer is the same.
    const reversed = new AreaIndex([...areas].reverse());
    assert.deepEqual(codes(reversed.containing(1, 0.5)), codes(matches));
  });

  it('puts an area the point is strictly inside before one it is only on the edge of', () => {
    // A third ward straddling the W1/W2 edge: at (1, 0.5) the point is inside W9 but on W1's and W2's edges.
    const overlapping = new AreaIndex([
      ...areas,
      area('ward', 'W9', { type: 'Polygon', coordinates: [square(0.9, 0.4, 1.1, 0.6)] }),
    ]);
    const lookup = overlapping.lookup(1, 0.5);
    assert.deepEqual(codes(lookup.ofKind('ward')), ['W9', 'W1 (edge)', 'W2 (edge)']);
    assert.equal(lookup.primary('ward')?.code, 'W9');
  });

  it('returns id, kind, code, name and body for each match, frozen so no caller can change them', () => {
    const [borough] = index.containing(1.5, 0.5);
    assert.deepEqual(borough, {
      id: 'id-BOROUGH',
      kind: 'council',
      code: 'BOROUGH',
      name: 'Area BOROUGH',
      bodyId: null,
      onBoundary: false,
    });
    assert.ok(Object.isFrozen(borough));
  });

  it('agrees with pointInGeometry over every area for random points', () => {
    let state = 1;
    const random = () => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    for (let i = 0; i < 5000; i++) {
      // Snap some points to the 0.1 grid so edges and vertices are hit often.
      const snap = i % 3 === 0;
      const lon = snap ? Math.round((random() * 2.4 - 0.2) * 10) / 10 : random() * 2.4 - 0.2;
      const lat = snap ? Math.round((random() * 1.4 - 0.2) * 10) / 10 : random() * 1.4 - 0.2;
      const expected = areas
        .map((a) => ({ code: a.code, location: pointInGeometry(lon, lat, a.geometry) }))
        .filter((a) => a.location !== 'outside')
        .map((a) => `${a.code}${a.location === 'boundary' ? ' (edge)' : ''}`)
        .sort();
      assert.deepEqual(codes(index.containing(lon, lat)).sort(), expected, `at (${lon}, ${lat})`);
    }
  });
});
