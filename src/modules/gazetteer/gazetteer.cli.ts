/**
 * `civicdesk import-postcodes | import-streets | import-places | import-addresses`: load the gazetteer
 * from CSV files. Each streams the file, shows a progress bar on a terminal, and lists bad rows by line.
 */
import path from 'node:path';
import {
  configFrom,
  UsageError,
  withDatabase,
  type CliCommand,
  type CliInput,
  type CliOption,
} from '../../cli/command.js';
import { createProgress } from '../../lib/progress.js';
import { checkFile, ImportFileError } from './gazetteer.import.js';
import { GazetteerService, type ImportHooks, type ImportReport } from './gazetteer.service.js';

/** Bad rows printed in full; the rest are counted. */
const PRINTED_REJECTS = 50;

const skipInvalid: CliOption = {
  type: 'boolean',
  description:
    'Import the good rows and list the bad ones. Without it, one bad row means nothing is imported.',
};
const lonField: CliOption = {
  type: 'string',
  description: 'Column with the longitude (WGS84). Default: long, lon, longitude or lng.',
};
const latField: CliOption = {
  type: 'string',
  description: 'Column with the latitude (WGS84). Default: lat or latitude.',
};

function text(input: CliInput, name: string): string | undefined {
  const value = input.values[name];
  return typeof value === 'string' ? value : undefined;
}

function fileArgument(input: CliInput): string {
  const [file, ...extra] = input.positionals;
  if (!file) throw new UsageError('Give the CSV file to import.');
  if (extra.length > 0) throw new UsageError(`Give one file at a time (got ${input.positionals.length}).`);
  return path.resolve(file);
}

function printReport(report: ImportReport, name: string): void {
  for (const { line, reason } of report.rejected.slice(0, PRINTED_REJECTS)) {
    console.error(`  line ${line}: ${reason}`);
  }
  if (report.rejectedCount > PRINTED_REJECTS) {
    console.error(`  ... and ${report.rejectedCount - PRINTED_REJECTS} more bad rows`);
  }
  if (!report.committed) {
    console.error(
      `civicdesk ${name}: nothing was imported: ${report.rejectedCount} of ${report.rows} rows are bad. ` +
        `Correct them, or run again with --skip-invalid to import the ${report.goodRows} good rows.`,
    );
    return;
  }
  const points = report.points !== undefined ? ` from ${report.points} points` : '';
  console.log(`Imported ${report.imported} ${report.what}${points} (${report.rows} rows read).`);
  if (report.rejectedCount > 0) {
    console.log(`Skipped ${report.rejectedCount} bad rows (listed above).`);
  }
}

async function runImport(
  input: CliInput,
  name: string,
  task: (service: GazetteerService, file: string, hooks: ImportHooks) => Promise<ImportReport>,
): Promise<number> {
  const file = fileArgument(input);
  try {
    // Before the database is opened: a mistyped path should fail at once.
    await checkFile(file);
    return await withDatabase(configFrom(input.env), async ({ db }) => {
      const hooks: ImportHooks = {
        onColumns: (columns) => {
          const used = Object.entries(columns)
            .filter(([, column]) => column !== undefined)
            .map(([field, column]) => `${field}=${column}`);
          console.log(`Reading ${file} (columns: ${used.join(', ')})`);
        },
        progress: (label, total) => createProgress(label, total),
      };
      const report = await task(new GazetteerService(db), file, hooks);
      printReport(report, name);
      return report.committed ? 0 : 1;
    });
  } catch (error) {
    if (error instanceof ImportFileError) {
      console.error(`civicdesk ${name}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

export const importPostcodesCommand: CliCommand = {
  name: 'import-postcodes',
  summary: 'Load postcodes and their centroids (ONS Postcode Directory-style CSV) into the gazetteer.',
  usage: 'civicdesk import-postcodes FILE.csv [--postcode-field pcds --lon-field long --lat-field lat ...]',
  details: `Reads a CSV with a header row. The defaults fit the ONS Postcode Directory and the National
Statistics Postcode Lookup (pcds, long, lat, osward, oslaua, parish, lsoa21, doterm) and files with plain
names (postcode, lon, lat, ward_code, ward_name); name other columns with the options. Postcodes are
normalised ("m15 4ab" is stored as "M15 4AB"). Every row is checked; if any is bad (missing field,
coordinates that do not parse or lie outside the UK, invalid postcode) nothing is imported and each bad row
is listed with its line number, unless --skip-invalid is given. Importing again updates the postcodes in
place.`,
  options: {
    'postcode-field': {
      type: 'string',
      description: 'Column with the postcode. Default: pcds, pcd, pcd2 or postcode.',
    },
    'lon-field': lonField,
    'lat-field': latField,
    'ward-field': {
      type: 'string',
      description: 'Column with the ward code. Default: osward, ward or ward_code, if present.',
    },
    'ward-name-field': {
      type: 'string',
      description: 'Column with the ward name. Default: ward_name, if present.',
    },
    'la-field': {
      type: 'string',
      description: 'Column with the local authority code. Default: oslaua, laua, lad or la_code.',
    },
    'parish-field': {
      type: 'string',
      description: 'Column with the parish code. Default: parish or parish_code.',
    },
    'lsoa-field': {
      type: 'string',
      description: 'Column with the LSOA code. Default: lsoa21, lsoa11 or lsoa_code.',
    },
    'terminated-field': {
      type: 'string',
      description: 'Column with the termination date (YYYYMM or YYYY-MM-DD). Default: doterm, if present.',
    },
    'skip-invalid': skipInvalid,
  },
  run: (input) =>
    runImport(input, 'import-postcodes', (service, file, hooks) =>
      service.importPostcodes(
        file,
        {
          skipInvalid: input.values['skip-invalid'] === true,
          postcodeField: text(input, 'postcode-field'),
          lonField: text(input, 'lon-field'),
          latField: text(input, 'lat-field'),
          wardField: text(input, 'ward-field'),
          wardNameField: text(input, 'ward-name-field'),
          laField: text(input, 'la-field'),
          parishField: text(input, 'parish-field'),
          lsoaField: text(input, 'lsoa-field'),
          terminatedField: text(input, 'terminated-field'),
        },
        hooks,
      ),
    ),
};

function namedOptions(kind: 'street' | 'place'): Record<string, CliOption> {
  return {
    'name-field': {
      type: 'string',
      description:
        kind === 'street'
          ? 'Column with the street name. Default: street, street_name or name.'
          : 'Column with the place name. Default: name, place or place_name.',
    },
    'lon-field': {
      ...lonField,
      description: 'Column with the longitude (WGS84). Default: lon, long, longitude or lng.',
    },
    'lat-field': latField,
    'locality-field': {
      type: 'string',
      description:
        'Column with the locality or town, which tells apart places of the same name. Default: locality or town, if present.',
    },
    ...(kind === 'place'
      ? {
          'type-field': {
            type: 'string',
            description:
              'Column with the kind of place (park, village ...). Default: type, place_type or local_type.',
          } satisfies CliOption,
        }
      : {}),
    'skip-invalid': skipInvalid,
  };
}

export const importStreetsCommand: CliCommand = {
  name: 'import-streets',
  summary:
    'Load street names from a CSV of points on streets (street trees, lamp posts ...) into the gazetteer.',
  usage:
    'civicdesk import-streets FILE.csv --name-field street --lon-field lon --lat-field lat [--locality-field town]',
  details: `Each row is a point with a street name; all the points of one street (same name and locality)
become one street, placed at the point nearest their middle, with their bounding box, and every point is
kept for finding the street nearest a pin. Abbreviations are written out ("Bradgate Rd" is "Bradgate Road").
Bad rows are listed by line number and, unless --skip-invalid is given, nothing is imported. Importing again
replaces each street's points and leaves other streets alone.`,
  options: namedOptions('street'),
  run: (input) =>
    runImport(input, 'import-streets', (service, file, hooks) =>
      service.importStreets(file, namedImportOptions(input), hooks),
    ),
};

/** The options import-streets and import-places share, read from the command line. */
function namedImportOptions(input: CliInput) {
  return {
    skipInvalid: input.values['skip-invalid'] === true,
    nameField: text(input, 'name-field'),
    lonField: text(input, 'lon-field'),
    latField: text(input, 'lat-field'),
    localityField: text(input, 'locality-field'),
  };
}

export const importPlacesCommand: CliCommand = {
  name: 'import-places',
  summary: 'Load named places (parks, villages, landmarks) from a CSV of named points into the gazetteer.',
  usage:
    'civicdesk import-places FILE.csv --name-field name --lon-field lon --lat-field lat [--type-field type]',
  details: `Like import-streets, for places found by name: rows with the same name and locality become one
place. Bad rows are listed by line number and, unless --skip-invalid is given, nothing is imported.`,
  options: namedOptions('place'),
  run: (input) =>
    runImport(input, 'import-places', (service, file, hooks) =>
      service.importPlaces(
        file,
        {
          ...namedImportOptions(input),
          typeField: text(input, 'type-field'),
        },
        hooks,
      ),
    ),
};

export const importAddressesCommand: CliCommand = {
  name: 'import-addresses',
  summary: 'Load addresses (UPRN, single-line address, postcode, point) into the gazetteer.',
  usage:
    'civicdesk import-addresses FILE.csv --uprn-field uprn --text-field address --postcode-field postcode --lon-field lon --lat-field lat',
  details: `Reads a CSV with a header row, one address per row. Postcodes are normalised and checked (a
row may have none). Bad rows are listed by line number and, unless --skip-invalid is given, nothing is
imported. Importing again updates addresses by UPRN.`,
  options: {
    'uprn-field': { type: 'string', description: 'Column with the UPRN. Default: uprn.' },
    'text-field': {
      type: 'string',
      description:
        'Column with the single-line address. Default: address, single_line_address, full_address or text.',
    },
    'postcode-field': {
      type: 'string',
      description: 'Column with the postcode. Default: postcode or pcds, if present.',
    },
    'lon-field': {
      ...lonField,
      description: 'Column with the longitude (WGS84). Default: lon, long, longitude or lng.',
    },
    'lat-field': latField,
    'skip-invalid': skipInvalid,
  },
  run: (input) =>
    runImport(input, 'import-addresses', (service, file, hooks) =>
      service.importAddresses(
        file,
        {
          skipInvalid: input.values['skip-invalid'] === true,
          uprnField: text(input, 'uprn-field'),
          textField: text(input, 'text-field'),
          postcodeField: text(input, 'postcode-field'),
          lonField: text(input, 'lon-field'),
          latField: text(input, 'lat-field'),
        },
        hooks,
      ),
    ),
};

export const gazetteerCommands: CliCommand[] = [
  importPostcodesCommand,
  importStreetsCommand,
  importPlacesCommand,
  importAddressesCommand,
];
