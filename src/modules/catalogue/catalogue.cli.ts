import fs from 'node:fs';
import { configFrom, UsageError, withDatabase, type CliCommand } from '../../cli/command.js';
import { buildDomain } from '../../domain.js';
import { CatalogueInvalidError, CatalogueService, parseCatalogueText } from './catalogue.service.js';

export const catalogueCommand: CliCommand = {
  name: 'catalogue',
  summary: 'Export or import the whole configuration as one JSON or YAML file.',
  usage:
    'civicdesk catalogue export [--format yaml|json] [--output FILE]\n       civicdesk catalogue import FILE [--dry-run]',
  details: `export writes bodies, teams, calendars, services with their questions, routing rules and settings
to standard output (or --output FILE). import checks the whole file first, against itself and the
database, and changes nothing if any part is invalid; every problem is listed with where it is in the
file. Import adds and updates by code and replaces the routing rules as a whole list.`,
  options: {
    format: { type: 'string', description: 'yaml (default) or json, for export' },
    output: { type: 'string', description: 'write the export to this file instead of standard output' },
    'dry-run': { type: 'boolean', description: 'check the file and report, changing nothing' },
  },
  async run({ values, positionals, env }) {
    const [action, file] = positionals;
    const config = configFrom(env);
    if (action === 'export') {
      const format = (values.format ?? 'yaml') as string;
      if (format !== 'yaml' && format !== 'json') throw new UsageError('--format must be yaml or json');
      const text = await withDatabase(config, async ({ db }) =>
        CatalogueService.toText(await buildDomain(db).catalogue.export(), format),
      );
      if (typeof values.output === 'string') {
        fs.writeFileSync(values.output, text);
        console.error(`Catalogue written to ${values.output}`);
      } else process.stdout.write(text);
      return 0;
    }
    if (action === 'import') {
      if (!file) throw new UsageError('name the catalogue file to import');
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (error) {
        console.error(
          `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        );
        return 1;
      }
      const dryRun = values['dry-run'] === true;
      try {
        const summary = await withDatabase(config, async ({ db }) =>
          buildDomain(db).catalogue.import(parseCatalogueText(text), { dryRun }),
        );
        console.log(
          `${dryRun ? 'The catalogue is valid (dry run: nothing changed)' : 'Catalogue imported'}: ` +
            `${summary.bodies} bodies, ${summary.teams} teams, ${summary.calendars} calendars, ` +
            `${summary.services} services, ${summary.routingRules} routing rules.`,
        );
        return 0;
      } catch (error) {
        if (!(error instanceof CatalogueInvalidError)) throw error;
        console.error(error.message);
        return 1;
      }
    }
    throw new UsageError('say export or import');
  },
};
