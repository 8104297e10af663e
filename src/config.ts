/**
 * All of Civicdesk's settings, in one TypeBox schema. Every key has a description (the README's
 * configuration table and `.env.example` are checked against this schema by a test), a default where a
 * safe one exists, and a validator. `loadConfig` fails fast with every problem listed at once.
 *
 * The settings themselves are in `src/config/`, one file per group with the checks that span its keys
 * (runtime, delivery, site, staff); this file joins them in their documented order, reads the
 * environment and applies the rules that cut across groups (what production requires).
 *
 * This is the only module that knows settings come from environment variables; everything else is
 * handed a typed `Config`.
 */
import path from 'node:path';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { deliveryProblems, deliverySettings } from './config/delivery-settings.js';
import { processSettings, runtimeProblems, workerSettings } from './config/runtime-settings.js';
import { photoSettings, siteProblems, siteSettings } from './config/site-settings.js';
import { oidcSettings, staffSettings, type OidcSettings } from './config/staff-settings.js';

export { mapTileSource, mapTileUrlProblem } from './config/site-settings.js';
export type { OidcSettings } from './config/staff-settings.js';

// The order here is the order of `.env.example`, the README's table and `--help`.
export const ConfigSchema = Type.Object(
  {
    ...processSettings,
    ...photoSettings,
    ...deliverySettings,
    ...siteSettings,
    ...staffSettings,
    ...workerSettings,
  },
  { additionalProperties: false },
);

export type RawConfig = Static<typeof ConfigSchema>;

export interface Config extends RawConfig {
  /** OpenID Connect sign-in for staff, or undefined when it is off. */
  oidc: OidcSettings | undefined;
  /** Absolute data folder. */
  dataDir: string;
  /** Public base URL without a trailing slash. */
  baseUrl: string;
  sessionSecret: string;
  isProduction: boolean;
  /** Which database engine the settings select. */
  databaseEngine: 'pglite' | 'postgres';
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const KEYS = Object.keys(ConfigSchema.properties) as (keyof RawConfig)[];
const DEV_SESSION_SECRET = 'civicdesk-development-only-secret-not-for-production';

/** Turns environment strings into the schema's types: "3000" → 3000, "true" → true. */
function coerce(key: keyof RawConfig, value: string): unknown {
  const schema = ConfigSchema.properties[key] as { type?: string };
  if (schema.type === 'integer' || schema.type === 'number') {
    return /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
  }
  if (schema.type === 'boolean') {
    const v = value.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    return value;
  }
  return value;
}

/**
 * Reads settings from an environment-like record. Unknown `CIVICDESK_*` keys are an error (a typo in a
 * setting must not be silently ignored); other variables are none of our business.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const problems: string[] = [];
  const raw: Record<string, unknown> = {};
  for (const key of KEYS) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = coerce(key, value);
  }
  for (const key of Object.keys(env)) {
    // CIVICDESK_TEST_* and CIVICDESK_BENCH_* belong to the test suite and benchmarks, not the app.
    if (/^CIVICDESK_(TEST|BENCH)_/.test(key)) continue;
    if (key.startsWith('CIVICDESK_') && !(KEYS as string[]).includes(key)) {
      problems.push(`${key} is not a Civicdesk setting (see .env.example for the list)`);
    }
  }

  const withDefaults = Value.Default(ConfigSchema, raw) as Record<string, unknown>;
  for (const error of Value.Errors(ConfigSchema, withDefaults)) {
    const key = error.instancePath.replace(/^\//, '') || String(error.params ?? '');
    const description = (ConfigSchema.properties as Record<string, { description?: string }>)[key]
      ?.description;
    problems.push(`${key}: ${error.message}${description ? ` (${description})` : ''}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const config = withDefaults as RawConfig;
  const isProduction = config.CIVICDESK_ENV === 'production';
  if (isProduction) {
    if (!config.CIVICDESK_SESSION_SECRET) problems.push('CIVICDESK_SESSION_SECRET is required in production');
    if (!config.CIVICDESK_BASE_URL) problems.push('CIVICDESK_BASE_URL is required in production');
    if (!config.SMTP_URL)
      problems.push('SMTP_URL is required in production (the file mailbox sends nothing)');
  }
  siteProblems(config, problems);
  deliveryProblems(config, problems);
  runtimeProblems(config, problems);
  const oidc = oidcSettings(config, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    ...config,
    oidc,
    dataDir: path.resolve(config.CIVICDESK_DATA_DIR),
    baseUrl: (config.CIVICDESK_BASE_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, ''),
    sessionSecret: config.CIVICDESK_SESSION_SECRET ?? DEV_SESSION_SECRET,
    isProduction,
    databaseEngine: config.DATABASE_URL ? 'postgres' : 'pglite',
  };
}

/** Every setting with its description and default, for `.env.example`, the README and `--help`. */
export function describeSettings(): { key: string; description: string; default?: unknown }[] {
  return KEYS.map((key) => {
    const schema = ConfigSchema.properties[key] as { description?: string; default?: unknown };
    return { key, description: schema.description ?? '', default: schema.default };
  });
}
