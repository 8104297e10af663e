/**
 * The `civicdesk` command: serve, worker, migrate, seed, and the commands modules contribute. The only
 * entry point that reads the environment and talks to the terminal.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { buildApp, databaseTarget } from './app.js';
import { startBackground, type Background } from './background.js';
import { ConfigError, describeSettings, loadConfig, type Config } from './config.js';
import { DataDirLockedError } from './db/data-dir-lock.js';
import { openDatabase, type DatabaseHandle } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { seedDemoCouncil, type DemoCredential } from './demo/seed.js';
import { loggerOptions } from './infra/logging.js';
import { UsageError, type CliCommand, type CliInput } from './cli/command.js';
import { importAreasCommand } from './modules/areas/areas.cli.js';
import { catalogueCommand } from './modules/catalogue/catalogue.cli.js';
import { apiClientCommand } from './modules/api-clients/api-clients.cli.js';
import { staffCommand } from './modules/staff/staff.cli.js';
import { routeCommand } from './modules/routing/routing.cli.js';
import { gazetteerCommands } from './modules/gazetteer/gazetteer.cli.js';

const CORE_COMMANDS: CliCommand[] = [
  {
    name: 'serve',
    summary: 'Migrate the database and start the web server (and, by default, a background worker).',
    usage: 'civicdesk serve',
    details: `Applies pending migrations, seeds the fictional demo council into an empty database (outside
production, unless CIVICDESK_DEMO_SEED=false), then listens on HOST:PORT. Runs the background worker in
the same process unless CIVICDESK_RUN_WORKER=false. Stops gracefully on SIGINT or SIGTERM.`,
    run: serve,
  },
  {
    name: 'worker',
    summary: 'Run a background worker only (PostgreSQL; start as many as you need).',
    usage: 'civicdesk worker',
    details: `Delivers outbox jobs (emails, integration pushes) with retries. Any number of worker processes
may run against one PostgreSQL database. With the embedded PGlite database the worker runs inside
"civicdesk serve" instead: PGlite allows only one process.`,
    run: worker,
  },
  {
    name: 'migrate',
    summary: 'Apply pending database migrations and exit.',
    usage: 'civicdesk migrate',
    details:
      'Safe to run while other processes serve: migrations take a lock so only one runner applies them.',
    run: migrate,
  },
  {
    name: 'seed',
    summary: 'Load the fictional demo council into an empty database and print staff sign-ins.',
    usage: 'civicdesk seed',
    details: 'Does nothing if the database already has a council. Refused in production.',
    run: seed,
  },
];

/** Every command, core first, then those the modules contribute. */
const COMMANDS: CliCommand[] = [
  ...CORE_COMMANDS,
  catalogueCommand,
  apiClientCommand,
  staffCommand,
  routeCommand,
  importAreasCommand,
  ...gazetteerCommands,
];

function printHelp(): void {
  console.log(`Usage: civicdesk <command> [--help]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(17)}${c.summary}`).join('\n')}

Settings come from environment variables:
${describeSettings()
  .map((s) => `  ${s.key}${s.default !== undefined ? ` (default: ${String(s.default)})` : ''}`)
  .join('\n')}
See README.md and .env.example for what each one does.`);
}

async function openConfiguredDatabase(config: Config): Promise<DatabaseHandle> {
  return openDatabase(databaseTarget(config));
}

function printCredentials(config: Config, credentials: DemoCredential[]): void {
  const lines = credentials.map((c) => `  ${c.role.padEnd(10)} ${c.email.padEnd(26)} ${c.password}`);
  const text =
    `Demo council seeded (fictional). Staff sign-ins, generated for this installation:\n${lines.join('\n')}\n` +
    '  Administrators set up an authenticator app (two-step verification) when they first sign in.\n';
  console.log(`\n${text}`);
  // Kept beside the data too, so they can be found again after the console scrolls away.
  fs.mkdirSync(config.dataDir, { recursive: true });
  const file = path.join(config.dataDir, 'demo-credentials.txt');
  fs.writeFileSync(file, text, { mode: 0o600 });
  console.log(`  (also written to ${file})\n`);
}

async function prepareDatabase(config: Config): Promise<DatabaseHandle> {
  const database = await openConfiguredDatabase(config);
  try {
    await migrateToLatest(database.db);
    if (!config.isProduction && config.CIVICDESK_DEMO_SEED) {
      const credentials = await seedDemoCouncil(database.db);
      if (credentials) printCredentials(config, credentials);
    }
    return database;
  } catch (error) {
    await database.close();
    throw error;
  }
}

function onShutdownSignal(stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      stop().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
    });
  }
}

async function serve({ env }: CliInput): Promise<number> {
  const config = loadConfig(env);
  if (config.isProduction && config.databaseEngine === 'pglite') {
    console.warn(
      'Warning: running in production on the embedded PGlite database. It does not fsync, allows one process, and is meant for evaluation: set DATABASE_URL to use PostgreSQL.',
    );
  }
  const database = await prepareDatabase(config);
  let app: FastifyInstance | undefined;
  let background: Background | undefined;
  try {
    app = await buildApp(config, {
      database,
      logger: loggerOptions(config, { pretty: Boolean(process.stdout.isTTY) }),
    });
    await app.listen({ port: config.PORT, host: config.HOST });
    if (config.CIVICDESK_RUN_WORKER) background = await startBackground(app);
  } catch (error) {
    await app?.close();
    await database.close();
    throw error;
  }
  const engine = database.engine === 'pglite' ? `embedded PGlite in ${config.dataDir}/pglite` : 'PostgreSQL';
  // With PORT=0 the system picks the port: show the one actually bound.
  const address = app.server.address();
  const port = address && typeof address === 'object' ? address.port : config.PORT;
  const url = config.CIVICDESK_BASE_URL ? config.baseUrl : `http://localhost:${port}`;
  console.log(`\nCivicdesk is running at ${url} (database: ${engine}). Press Ctrl+C to stop.\n`);
  onShutdownSignal(async () => {
    await background?.stop();
    await app.close();
    await database.close();
  });
  return new Promise<number>(() => {}); // runs until a signal
}

async function worker({ env }: CliInput): Promise<number> {
  const config = loadConfig(env);
  if (!config.DATABASE_URL) {
    console.error(
      'civicdesk worker needs PostgreSQL (DATABASE_URL). With the embedded PGlite database, the worker runs inside "civicdesk serve".',
    );
    return 2;
  }
  const database = await openConfiguredDatabase(config);
  const app = await buildApp(config, {
    database,
    logger: loggerOptions(config, { pretty: Boolean(process.stdout.isTTY) }),
  });
  await app.ready();
  const background = await startBackground(app);
  console.log('Civicdesk worker running. Press Ctrl+C to stop.');
  onShutdownSignal(async () => {
    await background.stop();
    await app.close();
    await database.close();
  });
  return new Promise<number>(() => {});
}

async function migrate({ env }: CliInput): Promise<number> {
  const config = loadConfig(env);
  const database = await openConfiguredDatabase(config);
  try {
    const results = await migrateToLatest(database.db);
    if (results.length === 0) console.log('The database is up to date.');
    for (const result of results) console.log(`applied ${result.migrationName}`);
    return 0;
  } finally {
    await database.close();
  }
}

async function seed({ env }: CliInput): Promise<number> {
  const config = loadConfig(env);
  if (config.isProduction) {
    console.error('civicdesk seed loads fictional demo data and is refused in production.');
    return 2;
  }
  const database = await openConfiguredDatabase(config);
  try {
    await migrateToLatest(database.db);
    const credentials = await seedDemoCouncil(database.db);
    if (credentials) printCredentials(config, credentials);
    else console.log('The database already has a council; nothing was changed.');
    return 0;
  } finally {
    await database.close();
  }
}

function commandHelp(command: CliCommand): string {
  const options = Object.entries(command.options ?? {}).map(
    ([name, option]) =>
      `  --${name}${option.type === 'string' ? ' VALUE' : ''}${option.multiple ? ' (repeatable)' : ''}\n      ${option.description}`,
  );
  return [
    `Usage: ${command.usage}`,
    '',
    command.summary,
    '',
    command.details,
    ...(options.length ? ['', 'Options:', ...options] : []),
  ].join('\n');
}

/**
 * "--lon -2.37" reads, to Node's argument parser, like a second option. A value that is a negative
 * number is joined to the option before it ("--lon=-2.37"), so coordinates can be typed naturally.
 */
function joinNegativeNumbers(args: string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (/^--[a-z][\w-]*$/.test(arg) && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else joined.push(arg);
  }
  return joined;
}

export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const [name, ...given] = argv;
  const rest = joinNegativeNumbers(given);
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    printHelp();
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(`Unknown command "${name}".\n`);
    printHelp();
    return 2;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      options: {
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(
          Object.entries(command.options ?? {}).map(([key, o]) => [
            key,
            {
              type: o.type,
              ...(o.multiple ? { multiple: true } : {}),
              ...(o.short ? { short: o.short } : {}),
            },
          ]),
        ),
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    console.error(`civicdesk ${name}: ${(error as Error).message}\n\n${commandHelp(command)}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(commandHelp(command));
    return 0;
  }
  try {
    return await command.run({ values: parsed.values, positionals: parsed.positionals, env });
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`civicdesk ${name}: ${error.message}\n\n${commandHelp(command)}`);
      return 2;
    }
    if (error instanceof ConfigError || error instanceof DataDirLockedError) {
      console.error(`civicdesk ${name}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);
