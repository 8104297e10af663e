/**
 * Reading gazetteer CSV files: streaming records with their line numbers, finding the columns a file
 * names its fields by, and turning each record into a checked row or a reason it is bad. No database
 * here: the service writes what this reads.
 */
import fs from 'node:fs';
import { parse, CsvError } from 'csv-parse';
import { normalisePostcode } from '../../lib/postcode.js';
import { expandAbbreviations, MAX_NAME_LENGTH, searchForm } from './place-name.js';

/** A file that cannot be imported at all (missing, empty, a column missing, broken CSV). */
export class ImportFileError extends Error {
  override name = 'ImportFileError';
}

export interface RejectedRow {
  /** 1-based line in the file where the record starts (the header is line 1). */
  line: number;
  reason: string;
}

/** How to find one field's column: an explicit name from an option, or the first of some usual names. */
export interface ColumnSpec {
  /** What the field is, for messages ("postcode", "longitude"). */
  label: string;
  /** The command-line option that names it ("postcode-field"). */
  option: string;
  /** The name the user gave; when set, the column must exist. */
  given?: string | undefined;
  /** Usual names, tried in order (case-insensitively) when none was given. */
  candidates: readonly string[];
  required: boolean;
}

export type ColumnSpecs<K extends string> = Record<K, ColumnSpec>;

export interface CsvRecord<K extends string> {
  line: number;
  /** Trimmed values by field; '' for an optional field the file does not have. */
  values: Record<K, string>;
  /** Set when the record cannot be read as a row (wrong number of fields). */
  problem?: string;
}

export interface OpenedCsv<K extends string> {
  /** The column each field was read from (undefined: the file has none). */
  columns: Record<K, string | undefined>;
  /** Approximate number of data rows (lines after the header), for a progress bar. */
  estimatedRows: number;
  records(): AsyncGenerator<CsvRecord<K>>;
}

function findColumn(header: string[], spec: ColumnSpec): number | undefined {
  const names = spec.given !== undefined ? [spec.given] : spec.candidates;
  for (const name of names) {
    const exact = header.indexOf(name);
    if (exact >= 0) return exact;
    const folded = header.findIndex((h) => h.toLowerCase() === name.toLowerCase());
    if (folded >= 0) return folded;
  }
  return undefined;
}

function describeColumns(header: string[]): string {
  const shown = header.slice(0, 40).map((h) => JSON.stringify(h));
  return `${shown.join(', ')}${header.length > 40 ? `, and ${header.length - 40} more` : ''}`;
}

/** Counts line breaks without parsing: cheap even for a national file, and enough for a progress bar. */
async function countLines(file: string): Promise<number> {
  let lines = 0;
  let last = 10;
  for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
    if (chunk.length > 0) last = chunk[chunk.length - 1]!;
  }
  return last === 10 ? lines : lines + 1;
}

/** Throws ImportFileError unless `file` is a readable, non-empty file. */
export async function checkFile(file: string): Promise<void> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ImportFileError(
      code === 'ENOENT' ? `File not found: ${file}` : `Cannot read ${file}: ${(error as Error).message}`,
    );
  }
  if (stat.isDirectory()) throw new ImportFileError(`${file} is a folder, not a CSV file`);
  if (stat.size === 0) throw new ImportFileError(`${file} is empty`);
  try {
    await fs.promises.access(file, fs.constants.R_OK);
  } catch {
    throw new ImportFileError(`Cannot read ${file}: permission denied`);
  }
}

/**
 * Opens a CSV file and reads its header. Throws ImportFileError for a missing or empty file, a file with
 * no rows after the header, broken CSV, or a column that is not there (naming the columns it has).
 */
export async function openCsv<K extends string>(file: string, specs: ColumnSpecs<K>): Promise<OpenedCsv<K>> {
  await checkFile(file);

  const parser = fs
    .createReadStream(file)
    .pipe(parse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true }));
  const iterator = (parser as AsyncIterable<{ record: string[]; info: { lines: number } }>)[
    Symbol.asyncIterator
  ]();
  const next = async () => {
    try {
      return await iterator.next();
    } catch (error) {
      parser.destroy();
      if (error instanceof CsvError) throw new ImportFileError(`${file} is not valid CSV: ${error.message}`);
      throw error;
    }
  };

  const first = await next();
  if (first.done || first.value.record.every((field) => field.trim() === '')) {
    parser.destroy();
    throw new ImportFileError(`${file} is empty`);
  }
  const header = first.value.record.map((name) => name.trim());

  const indexes = {} as Record<K, number | undefined>;
  const columns = {} as Record<K, string | undefined>;
  const problems: string[] = [];
  for (const key of Object.keys(specs) as K[]) {
    const spec = specs[key];
    const index = findColumn(header, spec);
    indexes[key] = index;
    columns[key] = index === undefined ? undefined : header[index];
    if (index !== undefined) continue;
    if (spec.given !== undefined) {
      problems.push(`there is no column "${spec.given}" (--${spec.option})`);
    } else if (spec.required) {
      problems.push(
        `there is no ${spec.label} column: looked for ${spec.candidates.map((c) => `"${c}"`).join(', ')} (name it with --${spec.option})`,
      );
    }
  }
  if (problems.length > 0) {
    parser.destroy();
    throw new ImportFileError(`${file}: ${problems.join('; ')}. Its columns are: ${describeColumns(header)}`);
  }

  const second = await next();
  if (second.done) {
    throw new ImportFileError(`${file} has a header but no rows`);
  }
  const estimatedRows = Math.max(1, (await countLines(file)) - 1);

  async function* records(): AsyncGenerator<CsvRecord<K>> {
    let current: IteratorResult<{ record: string[]; info: { lines: number } }> = second;
    try {
      while (!current.done) {
        const { record, info } = current.value;
        // info.lines is where the record ends; a quoted field may span lines, so count back to its start.
        const breaks = record.reduce((n, field) => n + (field.match(/\n/g)?.length ?? 0), 0);
        const line = info.lines - breaks;
        const values = {} as Record<K, string>;
        for (const key of Object.keys(indexes) as K[]) {
          const index = indexes[key];
          values[key] = index === undefined ? '' : (record[index] ?? '').trim();
        }
        const blank = record.every((field) => field.trim() === '');
        if (!blank) {
          yield record.length === header.length
            ? { line, values }
            : {
                line,
                values,
                problem: `has ${record.length} field${record.length === 1 ? '' : 's'} where the header has ${header.length}`,
              };
        }
        current = await next();
      }
    } finally {
      parser.destroy();
    }
  }

  return { columns, estimatedRows, records };
}

// ---------------------------------------------------------------------------------------------------------
// Fields

/** Great Britain, Northern Ireland, the Isle of Man and the Channel Islands, with a margin. */
const UK = { minLon: -9, maxLon: 2.5, minLat: 49, maxLat: 61 };
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

function bad(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

function quote(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}

/** A longitude/latitude pair, checked for shape, range and (loosely) for being in the UK. */
export function parsePoint(
  rawLon: string,
  rawLat: string,
  columns: { lon: string; lat: string },
): Parsed<{ lon: number; lat: number }> {
  if (rawLon === '') return bad(`missing longitude (column "${columns.lon}")`);
  if (rawLat === '') return bad(`missing latitude (column "${columns.lat}")`);
  if (!NUMBER.test(rawLon)) return bad(`unparseable longitude ${quote(rawLon)}`);
  if (!NUMBER.test(rawLat)) return bad(`unparseable latitude ${quote(rawLat)}`);
  const lon = Number(rawLon);
  const lat = Number(rawLat);
  if (!(lon >= -180 && lon <= 180)) return bad(`longitude ${rawLon} is outside -180 to 180`);
  if (!(lat >= -90 && lat <= 90)) {
    // The ONS Postcode Directory writes 99.999999 for a postcode it has no location for.
    const hint = lat > 99.99 && lat < 100 ? ' (the postcode has no location in the directory)' : '';
    return bad(`latitude ${rawLat} is outside -90 to 90${hint}`);
  }
  if (lon < UK.minLon || lon > UK.maxLon || lat < UK.minLat || lat > UK.maxLat) {
    const swapped =
      lat >= UK.minLon && lat <= UK.maxLon && lon >= UK.minLat && lon <= UK.maxLat
        ? ': are the longitude and latitude columns the wrong way round?'
        : '';
    return bad(`point (longitude ${rawLon}, latitude ${rawLat}) is outside the UK${swapped}`);
  }
  return { ok: true, value: { lon, lat } };
}

function parseCode(raw: string, label: string, max: number): Parsed<string | null> {
  if (raw === '') return { ok: true, value: null };
  if (raw.length > max) return bad(`${label} ${quote(raw)} is longer than ${max} characters`);
  return { ok: true, value: raw };
}

/** "202405" (the ONS Postcode Directory's doterm) or "2024-05-31" → an ISO date. */
function parseTermination(raw: string): Parsed<string | null> {
  if (raw === '') return { ok: true, value: null };
  let match = /^(\d{4})(\d{2})$/.exec(raw);
  if (match && Number(match[2]) >= 1 && Number(match[2]) <= 12) {
    return { ok: true, value: `${match[1]}-${match[2]}-01` };
  }
  match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
  if (match) {
    const date = new Date(`${raw}T00:00:00Z`);
    if (!Number.isNaN(date.getTime()) && date.toISOString().startsWith(raw)) return { ok: true, value: raw };
  }
  return bad(`unparseable termination date ${quote(raw)} (expected YYYYMM or YYYY-MM-DD)`);
}

function collapse(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

// ---------------------------------------------------------------------------------------------------------
// Postcodes

export type PostcodeField =
  'postcode' | 'lon' | 'lat' | 'ward' | 'wardName' | 'la' | 'parish' | 'lsoa' | 'terminated';

export interface PostcodeColumnOptions {
  postcodeField?: string;
  lonField?: string;
  latField?: string;
  wardField?: string;
  wardNameField?: string;
  laField?: string;
  parishField?: string;
  lsoaField?: string;
  terminatedField?: string;
}

/**
 * Defaults fit the ONS Postcode Directory (pcds, long, lat, osward, oslaua, parish, lsoa21, doterm) and the
 * National Statistics Postcode Lookup, and files with plain names (postcode, lon, lat, ward_code).
 */
export function postcodeColumns(options: PostcodeColumnOptions): ColumnSpecs<PostcodeField> {
  return {
    postcode: {
      label: 'postcode',
      option: 'postcode-field',
      given: options.postcodeField,
      candidates: ['pcds', 'pcd', 'pcd2', 'postcode', 'post_code'],
      required: true,
    },
    lon: {
      label: 'longitude',
      option: 'lon-field',
      given: options.lonField,
      candidates: ['long', 'lon', 'longitude', 'lng'],
      required: true,
    },
    lat: {
      label: 'latitude',
      option: 'lat-field',
      given: options.latField,
      candidates: ['lat', 'latitude'],
      required: true,
    },
    ward: {
      label: 'ward code',
      option: 'ward-field',
      given: options.wardField,
      candidates: ['osward', 'ward', 'ward_code', 'wd_code'],
      required: false,
    },
    wardName: {
      label: 'ward name',
      option: 'ward-name-field',
      given: options.wardNameField,
      candidates: ['ward_name'],
      required: false,
    },
    la: {
      label: 'local authority code',
      option: 'la-field',
      given: options.laField,
      candidates: ['oslaua', 'laua', 'lad', 'la_code'],
      required: false,
    },
    parish: {
      label: 'parish code',
      option: 'parish-field',
      given: options.parishField,
      candidates: ['parish', 'parish_code'],
      required: false,
    },
    lsoa: {
      label: 'LSOA code',
      option: 'lsoa-field',
      given: options.lsoaField,
      candidates: ['lsoa21', 'lsoa11', 'lsoa_code'],
      required: false,
    },
    terminated: {
      label: 'termination date',
      option: 'terminated-field',
      given: options.terminatedField,
      candidates: ['doterm'],
      required: false,
    },
  };
}

export interface PostcodeRow {
  postcode: string;
  lon: number;
  lat: number;
  ward_code: string | null;
  ward_name: string | null;
  la_code: string | null;
  parish_code: string | null;
  lsoa_code: string | null;
  terminated_on: string | null;
}

export function parsePostcodeRow(
  values: Record<PostcodeField, string>,
  columns: Record<PostcodeField, string | undefined>,
): Parsed<PostcodeRow> {
  if (values.postcode === '') return bad(`missing postcode (column "${columns.postcode}")`);
  const postcode = normalisePostcode(values.postcode);
  if (!postcode) return bad(`invalid postcode ${quote(values.postcode)}`);
  const point = parsePoint(values.lon, values.lat, { lon: columns.lon!, lat: columns.lat! });
  if (!point.ok) return point;
  const ward = parseCode(values.ward, 'ward code', 20);
  const wardName = parseCode(collapse(values.wardName), 'ward name', 200);
  const la = parseCode(values.la, 'local authority code', 20);
  const parish = parseCode(values.parish, 'parish code', 20);
  const lsoa = parseCode(values.lsoa, 'LSOA code', 20);
  const terminated = parseTermination(values.terminated);
  for (const field of [ward, wardName, la, parish, lsoa, terminated]) if (!field.ok) return field;
  const value = (field: Parsed<string | null>) => (field.ok ? field.value : null);
  return {
    ok: true,
    value: {
      postcode,
      lon: point.value.lon,
      lat: point.value.lat,
      ward_code: value(ward),
      ward_name: value(wardName),
      la_code: value(la),
      parish_code: value(parish),
      lsoa_code: value(lsoa),
      terminated_on: value(terminated),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Streets and named places

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
    lon: {
      label: 'longitude',
      option: 'lon-field',
      given: options.lonField,
      candidates: ['lon', 'long', 'longitude', 'lng'],
      required: true,
    },
    lat: {
      label: 'latitude',
      option: 'lat-field',
      given: options.latField,
      candidates: ['lat', 'latitude'],
      required: true,
    },
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

// ---------------------------------------------------------------------------------------------------------
// Addresses

export type AddressField = 'uprn' | 'text' | 'postcode' | 'lon' | 'lat';

export interface AddressColumnOptions {
  uprnField?: string;
  textField?: string;
  postcodeField?: string;
  lonField?: string;
  latField?: string;
}

export const MAX_ADDRESS_LENGTH = 500;

export function addressColumns(options: AddressColumnOptions): ColumnSpecs<AddressField> {
  return {
    uprn: {
      label: 'UPRN',
      option: 'uprn-field',
      given: options.uprnField,
      candidates: ['uprn'],
      required: true,
    },
    text: {
      label: 'address',
      option: 'text-field',
      given: options.textField,
      candidates: ['address', 'single_line_address', 'full_address', 'text'],
      required: true,
    },
    postcode: {
      label: 'postcode',
      option: 'postcode-field',
      given: options.postcodeField,
      candidates: ['postcode', 'pcds', 'post_code'],
      required: false,
    },
    lon: {
      label: 'longitude',
      option: 'lon-field',
      given: options.lonField,
      candidates: ['lon', 'long', 'longitude', 'lng'],
      required: true,
    },
    lat: {
      label: 'latitude',
      option: 'lat-field',
      given: options.latField,
      candidates: ['lat', 'latitude'],
      required: true,
    },
  };
}

export interface AddressRow {
  uprn: number;
  text: string;
  postcode: string | null;
  search_text: string;
  lon: number;
  lat: number;
}

export function parseAddressRow(
  values: Record<AddressField, string>,
  columns: Record<AddressField, string | undefined>,
): Parsed<AddressRow> {
  if (values.uprn === '') return bad(`missing UPRN (column "${columns.uprn}")`);
  if (!/^\d{1,12}$/.test(values.uprn) || Number(values.uprn) === 0) {
    return bad(`invalid UPRN ${quote(values.uprn)} (expected 1 to 12 digits)`);
  }
  const text = collapse(values.text);
  if (text === '') return bad(`missing address (column "${columns.text}")`);
  if (text.length > MAX_ADDRESS_LENGTH) return bad(`address is longer than ${MAX_ADDRESS_LENGTH} characters`);
  const searchText = searchForm(text, MAX_ADDRESS_LENGTH);
  if (searchText === '') return bad(`address ${quote(text)} has no letters or digits`);
  let postcode: string | null = null;
  if (values.postcode !== '') {
    postcode = normalisePostcode(values.postcode);
    if (!postcode) return bad(`invalid postcode ${quote(values.postcode)}`);
  }
  const point = parsePoint(values.lon, values.lat, { lon: columns.lon!, lat: columns.lat! });
  if (!point.ok) return point;
  return {
    ok: true,
    value: {
      uprn: Number(values.uprn),
      text,
      postcode,
      search_text: searchText,
      lon: point.value.lon,
      lat: point.value.lat,
    },
  };
}
