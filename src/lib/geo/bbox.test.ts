import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bboxContainsPoint, bboxesIntersect, geometryBBox, polygonsOf, unionBBox } from './bbox.js';
import type { AreaGeometry } from './types.js';

describe('bounding boxes', () => {
  const multi: AreaGeometry = {
    type: 'MultiPolygon',
    coordinates: [
      [
        [
          [-2.4, 53.4],
          [-2.3, 53.4],
          [-2.3, 53.45],
          [-2.4, 53.4],
        ],
      ],
      [
        [
          [-2.2, 53.35],
          [-2.1, 53.35],
          [-2.1, 53.37],
          [-2.2, 53.35],
        ],
      ],
    ],
  };

  it('spans every part of a MultiPolygon', () => {
    assert.deepEqual(geometryBBox(multi), [-2.4, 53.35, -2.1, 53.45]);
    assert.equal(polygonsOf(multi).length, 2);
  });

  it('covers a single Polygon', () => {
    const triangle = [
      [-2.4, 53.4],
      [-2.3, 53.4],
      [-2.3, 53.45],
      [-2.4, 53.4],
    ];
    assert.deepEqual(geometryBBox({ type: 'Polygon', coordinates: [triangle] }), [-2.4, 53.4, -2.3, 53.45]);
  });

  it('throws for a geometry with no positions', () => {
    assert.throws(() => geometryBBox({ type: 'MultiPolygon', coordinates: [] }), /no positions/);
  });

  it('tests points (edges included, with an optional margin) and overlaps', () => {
    const box = [0, 0, 1, 1] as const;
    assert.equal(bboxContainsPoint(box, 1, 1), true);
    assert.equal(bboxContainsPoint(box, 1.05, 0.5), false);
    assert.equal(bboxContainsPoint(box, 1.05, 0.5, 0.1), true);
    assert.equal(bboxesIntersect(box, [1, 1, 2, 2]), true, 'touching corners count');
    assert.equal(bboxesIntersect(box, [1.01, 0, 2, 1]), false);
    assert.deepEqual(unionBBox(box, [2, -1, 3, 0.5]), [0, -1, 3, 1]);
  });
});
