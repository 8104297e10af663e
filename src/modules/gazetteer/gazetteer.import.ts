/**
 * Reading gazetteer CSV files, as every format does: streaming records with their line numbers, finding
 * the columns a file names its fields by, and the field parsers (points, codes, dates) that turn values
 * into checked ones or a reason they are bad. No database here: the import service writes what is read.
 *
 * Each source format is a file of its own, with its columns and its row parser: postcodes.import.ts,
 * named-places.import.ts (streets and named places) and addresses.import.ts.
 */
import fs from 'node:fs';
import { parse, CsvError } from 'csv-parse';

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

/** The longitude and latitude columns every format has (the candidates, in the order they are tried). */
export function coordinateColumns(
  options: { lonField?: string | undefined; latField?: string | undefined },
  lonCandidates = ['lon', 'long', 'longitude', 'lng'],
): ColumnSpecs<'lon' | 'lat'> {
  return {
    lon: {
      label: 'longitude',
      option: 'lon-field',
      given: options.lonField,
      candidates: lonCandidates,
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
// Fields shared by the formats

/** Great Britain, Northern Ireland, the Isle of Man and the Channel Islands, with a margin. */
const UK = { minLon: -9, maxLon: 2.5, minLat: 49, maxLat: 61 };
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export function bad(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

export function quote(value: string): string {
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

export function parseCode(raw: string, label: string, max: number): Parsed<string | null> {
  if (raw === '') return { ok: true, value: null };
  if (raw.length > max) return bad(`${label} ${quote(raw)} is longer than ${max} characters`);
  return { ok: true, value: raw };
}

/** "202405" (the ONS Postcode Directory's doterm) or "2024-05-31" → an ISO date. */
export function parseTermination(raw: string): Parsed<string | null> {
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

export function collapse(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}
