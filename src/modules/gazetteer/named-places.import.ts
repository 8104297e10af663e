/**
 * The streets and named-places file format (one row per point, e.g. OS Open Names or a street list with
 * several points a street): columns, each record checked into a point, and the points of one street or
 * place gathered into one named place with its extent.
 */
import {
  bad,
  collapse,
  parsePoint,
  quote,
  type ColumnSpecs,
  type Parsed,
  coordinateColumns,
} from './gazetteer.import.js';
import { expandAbbreviations, MAX_NAME_LENGTH, searchForm } from './place-name.js';

export type NamedField = 'name' | 'lon' | 'lat' | 'locality' | 'type';

export interface NamedColumnOptions {
  nameField?: string;
  lonField?: string;
  latField?: string;
  localityField?: string;
  typeField?: string;
}

export function namedColumns(kind: 'street' | 'place', options: NamedColumnOptions): ColumnSpecs<NamedField> {
  return {
    name: {
      label: kind === 'street' ? 'street name' : 'place name',
      option: 'name-field',
      given: options.nameField,
      candidates:
        kind === 'street' ? ['street', 'street_name', 'streetname', 'name'] : ['name', 'place', 'place_name'],
      required: true,
    },
    ...coordinateColumns(options),
    locality: {
      label: 'locality',
      option: 'locality-field',
      given: options.localityField,
      candidates: ['locality', 'town'],
      required: false,
    },
    type: {
      label: 'place type',
      option: 'type-field',
      given: options.typeField,
      // Streets have no type: only an explicit --type-field would read one, and it is ignored.
      candidates: kind === 'place' ? ['type', 'place_type', 'local_type'] : [],
      required: false,
    },
  };
}

export interface NamedPointRow {
  name: string;
  locality: string;
  placeType: string;
  nameKey: string;
  localityKey: string;
  lon: number;
  lat: number;
}

export function parseNamedRow(
  values: Record<NamedField, string>,
  columns: Record<NamedField, string | undefined>,
): Parsed<NamedPointRow> {
  const name = collapse(values.name);
  if (name === '') return bad(`missing name (column "${columns.name}")`);
  if (name.length > MAX_NAME_LENGTH) return bad(`name is longer than ${MAX_NAME_LENGTH} characters`);
  const nameKey = searchForm(name);
  if (nameKey === '') return bad(`name ${quote(name)} has no letters or digits`);
  const locality = collapse(values.locality);
  if (locality.length > MAX_NAME_LENGTH) return bad(`locality is longer than ${MAX_NAME_LENGTH} characters`);
  const placeType = collapse(values.type).toLowerCase();
  if (placeType.length > 50) return bad(`place type ${quote(placeType)} is longer than 50 characters`);
  const point = parsePoint(values.lon, values.lat, { lon: columns.lon!, lat: columns.lat! });
  if (!point.ok) return point;
  return {
    ok: true,
    value: {
      name: expandAbbreviations(name),
      locality,
      placeType,
      nameKey,
      localityKey: searchForm(locality),
      lon: point.value.lon,
      lat: point.value.lat,
    },
  };
}

/** One street or place built from all the rows that name it. */
export interface AggregatedPlace {
  name: string;
  locality: string;
  placeType: string;
  nameKey: string;
  localityKey: string;
  /** The source point nearest the mean of them all: a point that is really on the street. */
  lon: number;
  lat: number;
  minLon: number;
  minLat: number;
  maxLon: number;
  maxLat: number;
  /** Distinct source points. */
  points: { lon: number; lat: number }[];
}

/**
 * Gathers points by name and locality (in search form, so "Bradgate Rd" joins "Bradgate Road"). Holds
 * every point in memory: street files are tens of thousands of rows, not millions.
 */
export class PlaceAggregator {
  private readonly places = new Map<
    string,
    Omit<AggregatedPlace, 'lon' | 'lat' | 'points'> & { points: Map<string, { lon: number; lat: number }> }
  >();

  add(row: NamedPointRow): void {
    const key = `${row.nameKey}\u0000${row.localityKey}`;
    let place = this.places.get(key);
    if (!place) {
      place = {
        name: row.name,
        locality: row.locality,
        placeType: row.placeType,
        nameKey: row.nameKey,
        localityKey: row.localityKey,
        minLon: row.lon,
        minLat: row.lat,
        maxLon: row.lon,
        maxLat: row.lat,
        points: new Map(),
      };
      this.places.set(key, place);
    }
    if (!place.placeType && row.placeType) place.placeType = row.placeType;
    place.minLon = Math.min(place.minLon, row.lon);
    place.minLat = Math.min(place.minLat, row.lat);
    place.maxLon = Math.max(place.maxLon, row.lon);
    place.maxLat = Math.max(place.maxLat, row.lat);
    place.points.set(`${row.lon},${row.lat}`, { lon: row.lon, lat: row.lat });
  }

  get size(): number {
    return this.places.size;
  }

  *results(): Generator<AggregatedPlace> {
    for (const place of this.places.values()) {
      const points = [...place.points.values()];
      const meanLon = points.reduce((sum, p) => sum + p.lon, 0) / points.length;
      const meanLat = points.reduce((sum, p) => sum + p.lat, 0) / points.length;
      // Nearest by equirectangular distance: exact enough at street scale.
      const k = Math.cos((meanLat * Math.PI) / 180);
      let best = points[0]!;
      let bestD = Infinity;
      for (const p of points) {
        const d = ((p.lon - meanLon) * k) ** 2 + (p.lat - meanLat) ** 2;
        if (d < bestD) {
          bestD = d;
          best = p;
        }
      }
      yield { ...place, lon: best.lon, lat: best.lat, points };
    }
  }
}
