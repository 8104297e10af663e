/**
 * Importing gazetteer files: each reads the file once, as a stream, checks every row with its format's
 * parser (postcodes.import.ts, addresses.import.ts, named-places.import.ts) and writes the good ones in
 * one transaction, with a report of what was read, written and refused. GazetteerService's import
 * methods are the way in.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { addressColumns, parseAddressRow, type AddressColumnOptions } from './addresses.import.js';
import { openCsv, type ColumnSpecs, type CsvRecord, type RejectedRow } from './gazetteer.import.js';
import * as repo from './gazetteer.repository.js';
import type { NamedKind } from './gazetteer.repository.js';
import {
  namedColumns,
  parseNamedRow,
  PlaceAggregator,
  type NamedColumnOptions,
} from './named-places.import.js';
import { parsePostcodeRow, postcodeColumns, type PostcodeColumnOptions } from './postcodes.import.js';

export interface ImportProgress {
  tick(count?: number): void;
  done(summary?: string): void;
}

export interface ImportHooks {
  /** Called once the columns are known, before any row is read. */
  onColumns?(columns: Record<string, string | undefined>): void;
  /** A progress display (the CLI passes src/lib/progress.ts); none by default. */
  progress?(label: string, total: number): ImportProgress;
}

export interface ImportOptions {
  /** Import the good rows and list the bad ones, instead of importing nothing when any row is bad. */
  skipInvalid?: boolean;
}

export interface ImportReport {
  file: string;
  what: 'postcodes' | 'streets' | 'places' | 'addresses';
  /** The column each field was read from. */
  columns: Record<string, string | undefined>;
  /** Data rows read (not counting the header or blank lines). */
  rows: number;
  /** Rows that were good. */
  goodRows: number;
  /** Records written (postcodes, addresses, or streets/places after merging their rows); 0 if not committed. */
  imported: number;
  /** For streets and places: the points kept for them. */
  points?: number;
  /** Bad rows with line numbers, the first MAX_REPORTED_REJECTS of them. */
  rejected: RejectedRow[];
  rejectedCount: number;
  /** False when bad rows stopped the import (nothing was written). */
  committed: boolean;
}

export const MAX_REPORTED_REJECTS = 1000;
const BATCH_SIZE = 1000;

/** Thrown inside the import transaction to roll it back when a bad row means nothing may be imported. */
class RollBack extends Error {}

const noProgress: ImportProgress = { tick() {}, done() {} };

export class GazetteerImports {
  constructor(private readonly db: Kysely<Database>) {}

  async importPostcodes(
    file: string,
    options: ImportOptions & PostcodeColumnOptions = {},
    hooks: ImportHooks = {},
  ): Promise<ImportReport> {
    return this.importKeyed(file, 'postcodes', postcodeColumns(options), options, hooks, {
      parse: parsePostcodeRow,
      key: (row) => row.postcode,
      write: repo.upsertPostcodes,
    });
  }

  async importAddresses(
    file: string,
    options: ImportOptions & AddressColumnOptions = {},
    hooks: ImportHooks = {},
  ): Promise<ImportReport> {
    return this.importKeyed(file, 'addresses', addressColumns(options), options, hooks, {
      parse: parseAddressRow,
      key: (row) => String(row.uprn),
      write: repo.upsertAddresses,
    });
  }

  private async importKeyed<K extends string, Row>(
    file: string,
    what: ImportReport['what'],
    specs: ColumnSpecs<K>,
    options: ImportOptions,
    hooks: ImportHooks,
    rows: {
      parse(
        values: Record<K, string>,
        columns: Record<K, string | undefined>,
      ): { ok: true; value: Row } | { ok: false; reason: string };
      key(row: Row): string;
      write(db: Kysely<Database>, rows: Row[]): Promise<void>;
    },
  ): Promise<ImportReport> {
    const csv = await openCsv(file, specs);
    hooks.onColumns?.(csv.columns);
    const report = newReport(file, what, csv.columns);
    const progress = hooks.progress?.(`Importing ${what}`, csv.estimatedRows) ?? noProgress;
    try {
      await this.db.transaction().execute(async (trx) => {
        // Keyed, so a key repeated within a batch is written once (the last row wins, as it does across
        // batches); PostgreSQL refuses an upsert that touches one row twice.
        let batch = new Map<string, Row>();
        const flush = async () => {
          if (batch.size === 0) return;
          await rows.write(trx, [...batch.values()]);
          report.imported += batch.size;
          batch = new Map();
        };
        for await (const record of csv.records()) {
          progress.tick();
          const parsed = check(record, csv.columns, rows.parse, report);
          if (!parsed) {
            if (!options.skipInvalid) batch.clear();
            continue;
          }
          if (report.rejectedCount > 0 && !options.skipInvalid) continue;
          batch.set(rows.key(parsed), parsed);
          if (batch.size >= BATCH_SIZE) await flush();
        }
        if (report.rejectedCount > 0 && !options.skipInvalid) throw new RollBack();
        await flush();
      });
      report.committed = true;
      await repo.analyzeTables(this.db, what === 'postcodes' ? 'postcodes' : 'addresses');
    } catch (error) {
      if (!(error instanceof RollBack)) throw error;
      report.imported = 0;
    } finally {
      progress.done();
    }
    return report;
  }

  /** Streets or named places from a file of named points: one per name and locality. */
  async importNamed(
    file: string,
    kind: NamedKind,
    options: ImportOptions & NamedColumnOptions,
    hooks: ImportHooks,
  ): Promise<ImportReport> {
    const csv = await openCsv(file, namedColumns(kind, options));
    hooks.onColumns?.(csv.columns);
    const report = newReport(file, kind === 'street' ? 'streets' : 'places', csv.columns);
    const aggregator = new PlaceAggregator();
    const reading = hooks.progress?.(`Reading ${report.what}`, csv.estimatedRows) ?? noProgress;
    try {
      for await (const record of csv.records()) {
        reading.tick();
        const parsed = check(record, csv.columns, parseNamedRow, report);
        if (parsed) aggregator.add(parsed);
      }
    } finally {
      reading.done(
        `Read ${report.rows} rows: ${aggregator.size} ${report.what}, ${report.rejectedCount} bad rows`,
      );
    }
    if (report.rejectedCount > 0 && !options.skipInvalid) return report;

    const writing = hooks.progress?.(`Importing ${report.what}`, aggregator.size) ?? noProgress;
    try {
      await this.db.transaction().execute(async (trx) => {
        let batch = [];
        let points = 0;
        for (const place of aggregator.results()) {
          batch.push(place);
          if (batch.length >= 500) {
            points += await repo.upsertPlaces(trx, kind, batch);
            writing.tick(batch.length);
            batch = [];
          }
        }
        points += await repo.upsertPlaces(trx, kind, batch);
        writing.tick(batch.length);
        report.points = points;
      });
      report.imported = aggregator.size;
      report.committed = true;
      await repo.analyzeTables(this.db, 'places');
    } finally {
      writing.done();
    }
    return report;
  }
}

function newReport(
  file: string,
  what: ImportReport['what'],
  columns: Record<string, string | undefined>,
): ImportReport {
  return {
    file,
    what,
    columns,
    rows: 0,
    goodRows: 0,
    imported: 0,
    rejected: [],
    rejectedCount: 0,
    committed: false,
  };
}

/** Parses one record, counting it, and records why it is bad if it is. */
function check<K extends string, Row>(
  record: CsvRecord<K>,
  columns: Record<K, string | undefined>,
  parse: (
    values: Record<K, string>,
    columns: Record<K, string | undefined>,
  ) => { ok: true; value: Row } | { ok: false; reason: string },
  report: ImportReport,
): Row | undefined {
  report.rows += 1;
  const parsed = record.problem
    ? { ok: false as const, reason: record.problem }
    : parse(record.values, columns);
  if (parsed.ok) {
    report.goodRows += 1;
    return parsed.value;
  }
  report.rejectedCount += 1;
  if (report.rejected.length < MAX_REPORTED_REJECTS)
    report.rejected.push({ line: record.line, reason: parsed.reason });
  return undefined;
}
