/**
 * The slice of GeoJSON (RFC 7946) that areas use: polygons and multipolygons in WGS84, as
 * [longitude, latitude] positions. Types are read-only because geometries are shared between the
 * database row, the spatial index and any caller; nothing here mutates them.
 */

/** [longitude, latitude] (a third number, altitude, is allowed by GeoJSON and ignored). */
export type Position = readonly number[];

/** A closed ring: at least four positions, the last equal to the first. */
export type LinearRing = readonly Position[];

/** The first ring is the outer boundary; any further rings are holes. */
export type PolygonRings = readonly LinearRing[];

export interface PolygonGeometry {
  readonly type: 'Polygon';
  readonly coordinates: PolygonRings;
}

export interface MultiPolygonGeometry {
  readonly type: 'MultiPolygon';
  readonly coordinates: readonly PolygonRings[];
}

/** Every geometry an area may have. */
export type AreaGeometry = PolygonGeometry | MultiPolygonGeometry;

export interface GeoJsonFeature {
  readonly type: 'Feature';
  readonly geometry: unknown;
  readonly properties: Readonly<Record<string, unknown>> | null;
  readonly id?: string | number;
}

export interface GeoJsonFeatureCollection {
  readonly type: 'FeatureCollection';
  readonly features: readonly unknown[];
  /** Pre-RFC 7946 files (GDAL, QGIS) still name their coordinate reference system here. */
  readonly crs?: unknown;
}

/** [minLon, minLat, maxLon, maxLat]. */
export type BBox = readonly [number, number, number, number];

/** Where a point lies relative to an area: on a ring edge or vertex counts as 'boundary'. */
export type PointLocation = 'inside' | 'boundary' | 'outside';

/**
 * How close (in degrees) a point must be to an edge to count as on it: 1e-12° is about 0.1 µm on the
 * ground, so only points that really are on the line (a shared vertex, a point digitised on an edge)
 * qualify, while rounding noise in the last bits of a double does not flip inside to outside.
 */
export const BOUNDARY_EPSILON = 1e-12;
