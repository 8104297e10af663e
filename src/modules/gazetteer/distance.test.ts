import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boxAround, distanceMetres, latBands } from './distance.js';

describe('distanceMetres', () => {
  it('measures along the ground', () => {
    assert.equal(distanceMetres(-2.3, 53.4, -2.3, 53.4), 0);
    // One hundredth of a degree of latitude is about 1.11 km anywhere.
    assert.ok(Math.abs(distanceMetres(-2.3, 53.4, -2.3, 53.41) - 1112) < 2);
    // A hundredth of a degree of longitude at 53.4° N is cos(53.4°) of that: about 663 m.
    assert.ok(Math.abs(distanceMetres(-2.3, 53.4, -2.31, 53.4) - 663) < 2);
    // London (Charing Cross) to Manchester (St Peter's Square): about 262 km.
    const d = distanceMetres(-0.1276, 51.5072, -2.2426, 53.4808);
    assert.ok(d > 258_000 && d < 266_000, String(d));
  });
});

describe('boxAround', () => {
  it('holds every point within the distance', () => {
    const box = boxAround(-2.3, 53.4, 500);
    for (const [lon, lat] of [
      [box.minLon, 53.4],
      [box.maxLon, 53.4],
      [-2.3, box.minLat],
      [-2.3, box.maxLat],
    ] as const) {
      const d = distanceMetres(-2.3, 53.4, lon, lat);
      assert.ok(d >= 500 && d < 510, String(d));
    }
  });

  it('lists the latitude bands it covers', () => {
    assert.deepEqual(latBands({ minLon: 0, maxLon: 0, minLat: 53.395, maxLat: 53.412 }), [5339, 5340, 5341]);
    assert.deepEqual(latBands({ minLon: 0, maxLon: 0, minLat: -0.005, maxLat: 0.005 }), [-1, 0]);
  });
});
