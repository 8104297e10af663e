/**
 * The gazetteer: what a resident's "where is it?" search finds (postcodes, streets, named places,
 * addresses), the words that describe a pin on the map, and the imports that fill it.
 *
 * Search rules:
 * - something postcode-shaped is looked up as a postcode: a whole postcode exactly (then the addresses in
 *   it, for picking one), a partial one ("M33 7", "M33", "m3") as the postcodes that start that way, in
 *   order. If that finds nothing (a road number such as "M60" may look like a postcode), names are tried;
 * - anything else is matched against street and place names and address text with pg_trgm, after the
 *   same normalisation the names had at import ("Bradgate Rd" → "bradgate road"). Whole-name matches rank
 *   first, then names that start with the query, then names with a word that does, then the rest by
 *   similarity (which is what forgives typos). Streets before places before addresses when equal.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { AppError } from '../../lib/errors.js';
import { parsePostcodeQuery } from '../../lib/postcode.js';
import { boxAround, distanceMetres } from './distance.js';
import type { AddressColumnOptions } from './addresses.import.js';
import {
  GazetteerImports,
  type ImportHooks,
  type ImportOptions,
  type ImportReport,
} from './gazetteer-import.service.js';
import type { NamedColumnOptions } from './named-places.import.js';
import type { PostcodeColumnOptions } from './postcodes.import.js';
import * as search from './gazetteer-search.repository.js';
import * as repo from './gazetteer.repository.js';
import type { AddressRecord, PlaceRecord, PostcodeRecord } from './gazetteer.repository.js';
import { searchForm } from './place-name.js';

export {
  MAX_REPORTED_REJECTS,
  type ImportHooks,
  type ImportOptions,
  type ImportProgress,
  type ImportReport,
} from './gazetteer-import.service.js';

export type PlaceKind = 'postcode' | 'street' | 'place' | 'address';

export interface PlaceResult {
  kind: PlaceKind;
  /** Stable across re-imports: "postcode:M33 7AA", "street:42", "place:7", "address:100012345678". */
  id: string;
  /** What to show: the postcode, the street or place name, the address. */
  label: string;
  /** A second line: "Postcode, Brooklands ward", "Street, Sale", "Park". */
  detail: string;
  lon: number;
  lat: number;
}

export interface NearbyPlace extends PlaceResult {
  /** From the point to the nearest known point of the place (for a street, the nearest of its points). */
  distanceMetres: number;
  /** The place in words, for a pin: "Near 12 Bradgate Road, Sale", "Bradgate Road, Sale". */
  description: string;
}

export interface SearchOptions {
  limit?: number;
  /** Only these kinds (default: all). */
  kinds?: PlaceKind[];
}

export interface NearestOptions {
  kinds?: PlaceKind[];
  /** How far to look (default 250 m, at most 5 km). */
  maxMetres?: number;
}

/** Longer queries are cut: no place name is longer, and trigram work grows with length. */
export const MAX_QUERY_LENGTH = 100;
export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 50;
export const MAX_NEAREST_METRES = 5000;
/** A pin this close to an address is described by the address. */
const ADDRESS_DESCRIBES_WITHIN = 50;
/** A pin this close to an address is at it, not near it. */
const ON_THE_SPOT = 10;
/** Candidates read per kind, measured exactly, the nearest kept. */
const CANDIDATES = 5;
const KIND_ORDER: Record<PlaceKind, number> = { postcode: 0, street: 1, place: 2, address: 3 };

function capitalise(text: string): string {
  return text ? text[0]!.toUpperCase() + text.slice(1) : text;
}

function postcodeResult(p: PostcodeRecord): PlaceResult {
  const detail = [
    'Postcode',
    p.wardName ? `${p.wardName} ward` : undefined,
    p.terminated ? 'no longer used' : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  return {
    kind: 'postcode',
    id: `postcode:${p.postcode}`,
    label: p.postcode,
    detail,
    lon: p.lon,
    lat: p.lat,
  };
}

function placeResult(p: PlaceRecord): PlaceResult {
  const what = p.kind === 'street' ? 'Street' : capitalise(p.placeType) || 'Place';
  return {
    kind: p.kind,
    id: `${p.kind}:${p.id}`,
    label: p.name,
    detail: p.locality ? `${what}, ${p.locality}` : what,
    lon: p.lon,
    lat: p.lat,
  };
}

function addressResult(a: AddressRecord): PlaceResult {
  return {
    kind: 'address',
    id: `address:${a.uprn}`,
    label: a.text,
    detail: 'Address',
    lon: a.lon,
    lat: a.lat,
  };
}

function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1)
    throw new AppError('bad_request', 'limit must be a positive whole number');
  return Math.min(limit, MAX_LIMIT);
}

export class GazetteerService {
  readonly #imports: GazetteerImports;

  constructor(private readonly db: Kysely<Database>) {
    this.#imports = new GazetteerImports(db);
  }

  async search(query: string, options: SearchOptions = {}): Promise<PlaceResult[]> {
    const limit = clampLimit(options.limit);
    const kinds = new Set<PlaceKind>(options.kinds ?? ['postcode', 'street', 'place', 'address']);
    const text = query.slice(0, MAX_QUERY_LENGTH).trim();
    if (text === '') return [];

    const postcodeQuery = parsePostcodeQuery(text);
    if (postcodeQuery) {
      const found = await this.searchPostcodes(postcodeQuery, kinds, limit);
      if (found.length > 0) return found;
    }
    return this.searchNames(text, kinds, limit);
  }

  private async searchPostcodes(
    query: NonNullable<ReturnType<typeof parsePostcodeQuery>>,
    kinds: Set<PlaceKind>,
    limit: number,
  ): Promise<PlaceResult[]> {
    if (query.kind === 'full') {
      const exact = kinds.has('postcode') ? await repo.findPostcode(this.db, query.postcode) : undefined;
      const addresses = kinds.has('address')
        ? await repo.addressesInPostcode(this.db, query.postcode, 500)
        : [];
      const collator = new Intl.Collator('en-GB', { numeric: true, sensitivity: 'base' });
      addresses.sort((a, b) => collator.compare(a.text, b.text));
      const results = [...(exact ? [postcodeResult(exact)] : []), ...addresses.map(addressResult)];
      if (results.length > 0 || !kinds.has('postcode')) return results.slice(0, limit);
      // A postcode we do not have (new, or mistyped): offer its sector instead.
      const sector = query.postcode.slice(0, -2);
      return (await repo.postcodesWithPrefix(this.db, 'postcode', sector, limit)).map(postcodeResult);
    }
    if (!kinds.has('postcode')) return [];
    if (query.kind === 'prefix') {
      return (await repo.postcodesWithPrefix(this.db, 'postcode', query.prefix, limit)).map(postcodeResult);
    }
    // An outward code: its own postcodes first, then longer outward codes and sectors that start the
    // same way without a space ("M3" → M30 ..., "M11" → M1 1..), for someone still typing.
    const own = await repo.postcodesWithPrefix(this.db, 'postcode', `${query.outward} `, limit);
    const more =
      own.length < limit
        ? await repo.postcodesWithPrefix(
            this.db,
            'compact',
            query.outward,
            limit - own.length,
            own.map((p) => p.postcode),
          )
        : [];
    return [...own, ...more].map(postcodeResult);
  }

  private async searchNames(text: string, kinds: Set<PlaceKind>, limit: number): Promise<PlaceResult[]> {
    const q = searchForm(text);
    // A single letter matches too much to mean anything.
    if (q.replace(/ /g, '').length < 2) return [];
    const namedKinds = (['street', 'place'] as const).filter((k) => kinds.has(k));
    const [places, addresses] = await Promise.all([
      search.searchPlaces(this.db, q, [...namedKinds], limit),
      kinds.has('address') ? search.searchAddresses(this.db, q, limit) : Promise.resolve([]),
    ]);
    const ranked = [
      ...places.map((r) => ({ ...r, result: placeResult(r.record) })),
      ...addresses.map((r) => ({ ...r, result: addressResult(r.record) })),
    ];
    ranked.sort(
      (a, b) =>
        a.tier - b.tier ||
        b.score - a.score ||
        KIND_ORDER[a.result.kind] - KIND_ORDER[b.result.kind] ||
        a.result.label.localeCompare(b.result.label, 'en-GB', { numeric: true }),
    );
    return ranked.slice(0, limit).map((r) => r.result);
  }

  /**
   * The nearest place of each kind asked for (default: address and street) within `maxMetres`, nearest
   * first. Candidates come from a box around the point (an index range per latitude band) and are
   * measured exactly (haversine).
   */
  async nearest(lon: number, lat: number, options: NearestOptions = {}): Promise<NearbyPlace[]> {
    if (!Number.isFinite(lon) || !Number.isFinite(lat) || lon < -180 || lon > 180 || lat < -90 || lat > 90) {
      throw new AppError(
        'bad_request',
        'The point must be a longitude from -180 to 180 and a latitude from -90 to 90',
      );
    }
    const maxMetres = Math.min(options.maxMetres ?? 250, MAX_NEAREST_METRES);
    if (!(maxMetres > 0)) throw new AppError('bad_request', 'maxMetres must be more than 0');
    const kinds = options.kinds ?? ['address', 'street'];
    const box = boxAround(lon, lat, maxMetres);

    const found: NearbyPlace[] = [];
    const keep = <T>(
      near: repo.Near<T>[],
      toResult: (record: T) => PlaceResult,
      describe: (record: T, result: PlaceResult, metres: number) => string,
    ) => {
      const best = near
        .map((n) => ({ n, metres: distanceMetres(lon, lat, n.lon, n.lat) }))
        .filter((m) => m.metres <= maxMetres)
        .sort((a, b) => a.metres - b.metres)[0];
      if (!best) return;
      const result = toResult(best.n.record);
      found.push({
        ...result,
        distanceMetres: Math.round(best.metres * 10) / 10,
        description: describe(best.n.record, result, best.metres),
      });
    };

    for (const kind of new Set(kinds)) {
      if (kind === 'address') {
        const near = await search.nearestAddresses(this.db, lon, lat, box, CANDIDATES);
        keep(near, addressResult, (a, _r, metres) => (metres <= ON_THE_SPOT ? a.text : `Near ${a.text}`));
      } else if (kind === 'postcode') {
        const near = await search.nearestPostcodes(this.db, lon, lat, box, CANDIDATES);
        keep(near, postcodeResult, (p) => `Near ${p.postcode}`);
      } else {
        const near = await search.nearestPlaces(this.db, kind, lon, lat, box, CANDIDATES);
        keep(near, placeResult, (p) => {
          const name = p.locality ? `${p.name}, ${p.locality}` : p.name;
          // A pin by a street is on it; by a park or a landmark, near it.
          return p.kind === 'street' ? name : `Near ${name}`;
        });
      }
    }
    return found.sort(
      (a, b) => a.distanceMetres - b.distanceMetres || KIND_ORDER[a.kind] - KIND_ORDER[b.kind],
    );
  }

  /**
   * One line describing a pin: the address if one is within 50 m, else the nearest street, else the
   * nearest named place or postcode within 1 km; null if there is nothing near.
   */
  async describePoint(lon: number, lat: number): Promise<string | null> {
    const near = await this.nearest(lon, lat, { kinds: ['address', 'street'], maxMetres: 250 });
    const address = near.find((n) => n.kind === 'address' && n.distanceMetres <= ADDRESS_DESCRIBES_WITHIN);
    if (address) return address.description;
    const street = near.find((n) => n.kind === 'street');
    if (street) return street.description;
    const farther = await this.nearest(lon, lat, { kinds: ['place', 'postcode'], maxMetres: 1000 });
    return farther[0]?.description ?? null;
  }

  /** The place a result id names, or null. */
  async find(id: string): Promise<PlaceResult | null> {
    const colon = id.indexOf(':');
    const kind = id.slice(0, colon);
    const key = id.slice(colon + 1);
    if (colon < 0 || key === '' || key.length > 40) return null;
    if (kind === 'postcode') {
      const postcode = await repo.findPostcode(this.db, key);
      return postcode ? postcodeResult(postcode) : null;
    }
    if (!/^\d{1,12}$/.test(key)) return null;
    if (kind === 'street' || kind === 'place') {
      const place = await repo.findPlace(this.db, Number(key));
      return place && place.kind === kind ? placeResult(place) : null;
    }
    if (kind === 'address') {
      const address = await repo.findAddress(this.db, Number(key));
      return address ? addressResult(address) : null;
    }
    return null;
  }

  counts() {
    return repo.countRows(this.db);
  }

  // -------------------------------------------------------------------------------------------------------
  // Imports. Each reads the file once, as a stream, inside one transaction: good rows are written in
  // batches of 1,000 as they come; a bad row (unless skipInvalid) stops the writing, the rest of the file
  // is still checked so every bad row is reported, and the transaction is rolled back. So a bad file
  // changes nothing, and a good one is all imported or (on any failure) not at all. Records are upserted
  // by their natural key, so importing the same file again changes nothing.
  // The reading, checking and writing are gazetteer-import.service.ts's.

  async importPostcodes(
    file: string,
    options: ImportOptions & PostcodeColumnOptions = {},
    hooks: ImportHooks = {},
  ): Promise<ImportReport> {
    return this.#imports.importPostcodes(file, options, hooks);
  }

  async importAddresses(
    file: string,
    options: ImportOptions & AddressColumnOptions = {},
    hooks: ImportHooks = {},
  ): Promise<ImportReport> {
    return this.#imports.importAddresses(file, options, hooks);
  }

  /** Streets from a file of points with a street name (e.g. street trees, lamp posts): one per name. */
  async importStreets(
    file: string,
    options: ImportOptions & NamedColumnOptions = {},
    hooks: ImportHooks = {},
  ): Promise<ImportReport> {
    return this.#imports.importNamed(file, 'street', options, hooks);
  }

  /** Named places (parks, villages, landmarks) from a file of named points. */
  async importPlaces(
    file: string,
    options: ImportOptions & NamedColumnOptions = {},
    hooks: ImportHooks = {},
  ): Promise<ImportReport> {
    return this.#imports.importNamed(file, 'place', options, hooks);
  }
}
