/**
 * What a `civicdesk` subcommand looks like. Modules that own a command (import-areas, route, ...) export
 * one of these from their `*.cli.ts`, and src/cli.ts lists them. Each command declares its options, so
 * `--help` and argument checking come from one place.
 */
import { loadConfig, type Config } from '../config.js';
import { databaseTarget } from '../app.js';
import { openDatabase, type DatabaseHandle } from '../db/connect.js';

export interface CliOption {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  description: string;
}

export interface CliInput {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  env: Record<string, string | undefined>;
}

export interface CliCommand {
  name: string;
  summary: string;
  /** e.g. "civicdesk import-areas FILE.geojson --kind ward [options]" */
  usage: string;
  details: string;
  options?: Record<string, CliOption>;
  run(input: CliInput): Promise<number>;
}

/** A mistake in how the command was called: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function configFrom(env: CliInput['env']): Config {
  return loadConfig(env);
}

/** Opens the configured database and applies pending migrations (every command needs the current schema). */
export async function openMigratedDatabase(config: Config): Promise<DatabaseHandle> {
  const { migrateToLatest } = await import('../db/migrate.js');
  const database = await openDatabase(databaseTarget(config));
  try {
    await migrateToLatest(database.db);
    return database;
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** Runs `task` with a migrated database, closing it however the task ends. */
export async function withDatabase<T>(
  config: Config,
  task: (database: DatabaseHandle) => Promise<T>,
): Promise<T> {
  const database = await openMigratedDatabase(config);
  try {
    return await task(database);
  } finally {
    await database.close();
  }
}
