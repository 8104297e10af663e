/**
 * Distances and search boxes on WGS84 longitude/latitude, for the gazetteer's nearest-point lookups.
 * Pure: no I/O.
 */

/** Mean Earth radius (IUGG), metres. */
const EARTH_RADIUS = 6_371_008.8;
const RAD = Math.PI / 180;

/** Great-circle (haversine) distance in metres. */
export function distanceMetres(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const dLat = (lat2 - lat1) * RAD;
  const dLon = (lon2 - lon1) * RAD;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS * Math.asin(Math.min(1, Math.sqrt(a)));
}

export interface Box {
  minLon: number;
  minLat: number;
  maxLon: number;
  maxLat: number;
}

/** A box that holds every point within `metres` of (lon, lat), with a little to spare. */
export function boxAround(lon: number, lat: number, metres: number): Box {
  const dLat = (metres / (EARTH_RADIUS * RAD)) * 1.01;
  const dLon = dLat / Math.max(0.01, Math.cos(lat * RAD));
  return {
    minLon: Math.max(-180, lon - dLon),
    minLat: Math.max(-90, lat - dLat),
    maxLon: Math.min(180, lon + dLon),
    maxLat: Math.min(90, lat + dLat),
  };
}

/**
 * The lat_band values (hundredths of a degree of latitude, as the gazetteer tables compute them with
 * floor(lat * 100)) a box overlaps.
 */
export function latBands(box: Box): number[] {
  const bands: number[] = [];
  for (let band = Math.floor(box.minLat * 100); band <= Math.floor(box.maxLat * 100); band++)
    bands.push(band);
  return bands;
}

/**
 * Scale for comparing squared distances in degrees: a degree of longitude is cos(lat) of a degree of
 * latitude. Used to order candidates in SQL (equirectangular: exact enough over a few kilometres).
 */
export function lonScale(lat: number): number {
  return Math.cos(lat * RAD);
}
