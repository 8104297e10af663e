/**
 * `civicdesk import-areas FILE.geojson --kind ward --code-field area_code --name-field area_name`.
 * The file is read and checked before the database is opened, so a broken file fails at once; then the
 * import runs in one transaction with a progress bar on a terminal.
 */
import { configFrom, UsageError, withDatabase, type CliCommand, type CliInput } from '../../cli/command.js';
import { createProgress, type Progress } from '../../lib/progress.js';
import { readGeoJsonFile } from './geojson-file.js';
import {
  AREA_KINDS,
  AreaImportError,
  checkAreaFile,
  describeFeatureProblem,
  importAreas,
  type AreaKind,
  type FeatureProblem,
  type ImportAreasOptions,
} from './areas.service.js';

/** Exit code for input the command rejected (usage mistakes are 2, from src/cli.ts). */
const REJECTED = 1;

function stringOption(values: CliInput['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

function printProblems(file: string, fileProblems: string[], featureProblems: FeatureProblem[]): void {
  const lines = [...fileProblems, ...featureProblems.flatMap(describeFeatureProblem)];
  console.error(
    `${file}: ${lines.length === 1 ? 'a problem' : `${lines.length} problems`}; nothing was imported.`,
  );
  for (const line of lines) console.error(`  ${line}`);
}

async function run({ values, positionals, env }: CliInput): Promise<number> {
  if (positionals.length !== 1) throw new UsageError('give exactly one GeoJSON file');
  const file = positionals[0]!;
  const kind = stringOption(values, 'kind') ?? stringOption(values, 'type');
  const codeField = stringOption(values, 'code-field');
  const nameField = stringOption(values, 'name-field');
  if (!kind) throw new UsageError('--kind is required');
  if (!AREA_KINDS.includes(kind as AreaKind))
    throw new UsageError(`--kind must be one of ${AREA_KINDS.join(', ')}, not "${kind}"`);
  if (!codeField)
    throw new UsageError('--code-field is required (the feature property with each area’s code)');
  if (!nameField)
    throw new UsageError('--name-field is required (the feature property with each area’s name)');
  const bodyCode = stringOption(values, 'body');
  const validFrom = stringOption(values, 'valid-from');
  const skipInvalid = values['skip-invalid'] === true;

  const read = await readGeoJsonFile(file);
  if (!read.ok) {
    console.error(read.message);
    return REJECTED;
  }
  const options: ImportAreasOptions = {
    kind: kind as AreaKind,
    codeField,
    nameField,
    skipInvalid,
    ...(bodyCode !== undefined ? { bodyCode } : {}),
    ...(validFrom !== undefined ? { validFrom } : {}),
  };

  // Everything that needs no database first: a bad file is reported without opening one.
  const checked = checkAreaFile(read.value, options);
  if (checked.fileProblems.length > 0 || (checked.problems.length > 0 && !skipInvalid)) {
    printProblems(file, checked.fileProblems, checked.problems);
    return REJECTED;
  }

  const config = configFrom(env);
  return withDatabase(config, async ({ db }) => {
    let progress: Progress | undefined;
    try {
      const result = await importAreas(db, read.value, {
        ...options,
        onProgress: (phase, done, total) => {
          if (phase !== 'writing') return;
          progress ??= createProgress(`Importing ${kind} areas`, total);
          if (done > 0) progress.tick();
        },
      });
      progress?.done(`Wrote ${result.inserted + result.replaced + result.versioned} ${kind} areas`);
      console.log(
        `Imported ${result.total - result.skipped.length} of ${result.total} ${kind} areas from ${file}: ` +
          `${result.inserted} new, ${result.replaced} replaced, ${result.versioned} new versions` +
          `${validFrom ? ` from ${validFrom}` : ''}, ${result.skipped.length} skipped.`,
      );
      if (result.skipped.length > 0) {
        console.error(`Skipped ${result.skipped.length} features (--skip-invalid):`);
        for (const line of result.skipped.flatMap(describeFeatureProblem)) console.error(`  ${line}`);
      }
      return 0;
    } catch (error) {
      if (error instanceof AreaImportError) {
        printProblems(file, error.fileProblems, error.featureProblems);
        return REJECTED;
      }
      throw error;
    }
  });
}

export const importAreasCommand: CliCommand = {
  name: 'import-areas',
  summary: 'Import area boundaries (wards, parishes, ...) from a GeoJSON FeatureCollection.',
  usage:
    'civicdesk import-areas FILE.geojson --kind ward --code-field area_code --name-field area_name [--body CODE] [--valid-from YYYY-MM-DD] [--skip-invalid]',
  details: `Reads Polygon and MultiPolygon features in WGS84 longitude/latitude (reproject British National Grid
files first, e.g. ogr2ogr -t_srs EPSG:4326). Every feature is checked before anything is written: closed
rings, at least four positions, coordinates in range, no crossing edges, a code and a name. If any feature
is bad, each problem is printed with the feature's index (from 0), nothing is imported and the exit code is
1, unless --skip-invalid is given, which imports the rest and lists what was skipped (exit code 0).

An area whose kind and code already exist is replaced in place; with --valid-from, the version in force
is closed the day before and a new version starts on that date. The import runs in one transaction, and
every app process picks up the new boundaries within a few seconds.`,
  options: {
    kind: { type: 'string', description: `What the areas are: ${AREA_KINDS.join(', ')}.` },
    type: { type: 'string', description: 'Same as --kind.' },
    'code-field': {
      type: 'string',
      description: 'The feature property holding each area’s code, e.g. area_code.',
    },
    'name-field': {
      type: 'string',
      description: 'The feature property holding each area’s name, e.g. area_name.',
    },
    body: { type: 'string', description: 'Code of the body (council, parish council) the areas belong to.' },
    'valid-from': {
      type: 'string',
      description: 'YYYY-MM-DD: the boundaries take effect that day, as new versions of existing areas.',
    },
    'skip-invalid': { type: 'boolean', description: 'Import the good features and list the bad ones.' },
  },
  run,
};
