/**
 * All of Civicdesk's settings, in one TypeBox schema. Every key has a description (the README's
 * configuration table and `.env.example` are checked against this schema by a test), a default where a
 * safe one exists, and a validator. `loadConfig` fails fast with every problem listed at once.
 *
 * This is the only module that knows settings come from environment variables; everything else is
 * handed a typed `Config`.
 */
import path from 'node:path';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { parseRoleMap, type RoleMap } from './lib/oidc-claims.js';

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const PositiveInt = Type.Integer({ minimum: 1 });

export const ConfigSchema = Type.Object(
  {
    CIVICDESK_ENV: Type.Union(
      [Type.Literal('development'), Type.Literal('test'), Type.Literal('production')],
      {
        default: 'development',
        description:
          'development (default): demo seed and the sent-emails page. production: secrets and SMTP required, no demo data, no development pages. test: used by the test suite.',
      },
    ),
    PORT: Type.Integer({ ...Port, default: 3000, description: 'TCP port the web server listens on.' }),
    HOST: Type.String({
      default: '127.0.0.1',
      minLength: 1,
      description: 'Interface the web server binds to. Use 0.0.0.0 inside a container or behind a proxy.',
    }),
    DATABASE_URL: Type.Optional(
      Type.String({
        pattern: '^postgres(ql)?://',
        description:
          'PostgreSQL connection string (postgres://user:pass@host:5432/db). Unset: the embedded PGlite database in CIVICDESK_DATA_DIR/pglite (one process, evaluation only).',
      }),
    ),
    DATABASE_POOL_SIZE: Type.Integer({
      ...PositiveInt,
      default: 10,
      description: 'Maximum PostgreSQL connections per process (ignored for PGlite).',
    }),
    CIVICDESK_DATA_DIR: Type.String({
      default: './data',
      minLength: 1,
      description:
        'Folder for local data: the PGlite database (pglite/), the file mailbox (mail/), residents’ photos (uploads/photos/) and the demo sign-ins (demo-credentials.txt).',
    }),
    CIVICDESK_PHOTO_MAX_BYTES: Type.Integer({
      minimum: 1024,
      maximum: 100 * 1024 * 1024,
      default: 10 * 1024 * 1024,
      description:
        'Largest photo a resident may upload, in bytes (default 10 MiB). Larger files are refused with a message before they are read as images.',
    }),
    CIVICDESK_PHOTO_MAX_PIXELS: Type.Integer({
      minimum: 10_000,
      maximum: 268_402_689,
      default: 40_000_000,
      description:
        'Largest photo a resident may upload, in pixels (width times height; default 40 million). Guards against small files that decode to huge images.',
    }),
    CIVICDESK_PHOTO_MAX_PER_REPORT: Type.Integer({
      minimum: 0,
      maximum: 20,
      default: 3,
      description:
        'Most photos a resident may add to one report (0 turns photo uploads off). A service may set a lower limit of its own.',
    }),
    SMTP_URL: Type.Optional(
      Type.String({
        pattern: '^smtps?://',
        description:
          'SMTP server for outgoing email (smtp://user:pass@host:587, smtps://host:465). Unset: emails are written as .eml files to CIVICDESK_DATA_DIR/mail (not allowed in production).',
      }),
    ),
    CIVICDESK_MAIL_FROM: Type.String({
      default: 'Civicdesk <no-reply@civicdesk.invalid>',
      minLength: 3,
      description: 'From address of every email Civicdesk sends.',
    }),
    CIVICDESK_REPLY_ADDRESS: Type.String({
      default: 'cases@reply.civicdesk.invalid',
      pattern: '^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$',
      description:
        'Reply address for cases sent to a body by email: each case gets its own address, cases+<token>@domain, so replies thread back onto it. Point the domain’s MX record at the inbound SMTP listener or deliver it to the IMAP mailbox (docs/delivery.md).',
    }),
    CIVICDESK_REPLY_TOKEN_SECRET: Type.Optional(
      Type.String({
        minLength: 32,
        description:
          'At least 32 random characters; keys the HMAC in reply addresses so nobody can make a valid one for a case. Default: derived from CIVICDESK_SESSION_SECRET (changing either stops old reply addresses working).',
      }),
    ),
    CIVICDESK_REPLY_TOKEN_DAYS_AFTER_CLOSE: Type.Integer({
      minimum: 0,
      maximum: 3650,
      default: 90,
      description:
        'Replies to a closed case still thread onto it for this many days after it closed; later ones are kept as unmatched for an administrator.',
    }),
    CIVICDESK_INBOUND_EMAIL: Type.Union([Type.Literal('off'), Type.Literal('smtp'), Type.Literal('imap')], {
      default: 'off',
      description:
        'How replies to the reply address come in: off; smtp (the worker listens on CIVICDESK_INBOUND_SMTP_PORT for mail to the reply domain); or imap (the worker polls the mailbox at CIVICDESK_INBOUND_IMAP_URL).',
    }),
    CIVICDESK_INBOUND_SMTP_HOST: Type.String({
      default: '127.0.0.1',
      minLength: 1,
      description: 'Interface the inbound SMTP listener binds to (0.0.0.0 to take mail from other machines).',
    }),
    CIVICDESK_INBOUND_SMTP_PORT: Type.Integer({
      ...Port,
      default: 2525,
      description: 'TCP port of the inbound SMTP listener (behind a mail relay; 25 needs privileges).',
    }),
    CIVICDESK_INBOUND_IMAP_URL: Type.Optional(
      Type.String({
        pattern: '^imaps?://',
        description:
          'Mailbox that receives the reply address’s mail, for CIVICDESK_INBOUND_EMAIL=imap: imaps://user:password@imap.example.gov.uk:993/INBOX. Messages are marked read once recorded.',
      }),
    ),
    CIVICDESK_INBOUND_IMAP_POLL_SECONDS: Type.Integer({
      minimum: 5,
      maximum: 3600,
      default: 60,
      description: 'How often the IMAP mailbox is checked for new replies.',
    }),
    CIVICDESK_INBOUND_MAX_BYTES: Type.Integer({
      minimum: 10_000,
      maximum: 100 * 1024 * 1024,
      default: 25 * 1024 * 1024,
      description:
        'Largest inbound email accepted, in bytes (default 25 MiB); the SMTP listener refuses larger ones with 552.',
    }),
    CIVICDESK_OPEN311_POLL_SECONDS: Type.Integer({
      minimum: 30,
      maximum: 86_400,
      default: 300,
      description:
        'How often the worker fetches updates from the Open311 endpoints cases are delivered to (docs/open311.md).',
    }),
    CIVICDESK_OPEN311_TIMEOUT_SECONDS: Type.Integer({
      minimum: 1,
      maximum: 300,
      default: 30,
      description:
        'How long a call to another Open311 endpoint may take before it counts as failed and is retried.',
    }),
    CIVICDESK_BASE_URL: Type.Optional(
      Type.String({
        pattern: '^https?://',
        description:
          'Public address of this site, used in links inside emails (https://report.example.gov.uk). Default: http://localhost:PORT. Required in production.',
      }),
    ),
    CIVICDESK_COUNCIL_NAME: Type.String({
      default: 'Ashdown Borough Council (fictional demo)',
      minLength: 1,
      maxLength: 120,
      description: 'Name shown in the header, page titles and emails.',
    }),
    CIVICDESK_MAP_TILE_URL: Type.String({
      default: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
      minLength: 1,
      maxLength: 500,
      description:
        'Map tiles: an OpenStreetMap-compatible (XYZ) URL template with {z}, {x} and {y}, and optionally {s} at the start of the host name for subdomains or {r} for high-resolution tiles; https, or a path on this site. The Content Security Policy lets images come from this host only. Use your own tile server, or one whose usage policy allows your traffic.',
    }),
    CIVICDESK_MAP_ATTRIBUTION: Type.String({
      default: '© [OpenStreetMap contributors](https://www.openstreetmap.org/copyright)',
      minLength: 1,
      maxLength: 500,
      description:
        'Credit for the map tiles, shown on every map. Plain text; write a link as [text](https://...).',
    }),
    CIVICDESK_MAP_MAX_ZOOM: Type.Integer({
      minimum: 1,
      maximum: 22,
      default: 19,
      description: 'The closest zoom level the tile server provides (OpenStreetMap: 19).',
    }),
    CIVICDESK_REFERENCE_PREFIX: Type.String({
      default: 'CD',
      pattern: '^[A-Z]{2,5}$',
      description:
        'Two to five capital letters that start every case reference, e.g. TRF gives TRF-7K3Q-9X2M. Choose it before the first case: changing it later does not change existing references.',
    }),
    CIVICDESK_DUPLICATE_RADIUS_METRES: Type.Integer({
      minimum: 0,
      maximum: 1000,
      default: 50,
      description:
        'Before a resident reports, open reports of the same service within this distance are offered to follow instead. 0 turns the check off.',
    }),
    CIVICDESK_SESSION_SECRET: Type.Optional(
      Type.String({
        minLength: 32,
        description:
          'At least 32 random characters; keys the HMAC under which session ids are stored, so a copy of the sessions table cannot be used as cookies. Required in production; a fixed development value is used otherwise.',
      }),
    ),
    CIVICDESK_SESSION_TTL_HOURS: Type.Integer({
      ...PositiveInt,
      default: 12,
      description: 'How long an idle session lives before it expires.',
    }),
    CIVICDESK_STAFF_TOTP_REQUIRED: Type.Boolean({
      default: false,
      description:
        'Set to true to make every member of staff use an authenticator app (TOTP) as a second step at sign-in. Administrators always must; anyone may choose to.',
    }),
    CIVICDESK_STAFF_LOCKOUT_ATTEMPTS: Type.Integer({
      minimum: 3,
      maximum: 100,
      default: 5,
      description:
        'Failed sign-in attempts (wrong password or wrong code) on one staff account, within CIVICDESK_STAFF_LOCKOUT_WINDOW_MINUTES, that lock it.',
    }),
    CIVICDESK_STAFF_LOCKOUT_WINDOW_MINUTES: Type.Integer({
      minimum: 1,
      maximum: 24 * 60,
      default: 15,
      description: 'The period in which failed sign-in attempts on one staff account are counted.',
    }),
    CIVICDESK_STAFF_LOCKOUT_MINUTES: Type.Integer({
      minimum: 1,
      maximum: 24 * 60,
      default: 15,
      description:
        'How long a staff account stays locked after too many failed sign-in attempts. The owner is emailed when it locks; resetting the password unlocks it.',
    }),
    CIVICDESK_STAFF_PASSWORD_RESET_MINUTES: Type.Integer({
      minimum: 5,
      maximum: 24 * 60,
      default: 60,
      description: 'How long a staff password reset link works. Each link works once.',
    }),
    CIVICDESK_STAFF_INVITATION_HOURS: Type.Integer({
      minimum: 1,
      maximum: 14 * 24,
      default: 72,
      description:
        'How long the link in an invitation to a new staff account (sent when an admin adds a person) works. Each link works once; an admin can send another.',
    }),
    CIVICDESK_OIDC_ISSUER: Type.Optional(
      Type.String({
        pattern: '^https?://',
        maxLength: 500,
        description:
          'OpenID Connect sign-in for staff through the council’s identity provider: its issuer URL (https://login.microsoftonline.com/<tenant>/v2.0, https://idp.example.gov.uk/realms/staff). Unset: OpenID Connect is off. Register CIVICDESK_BASE_URL followed by /staff/sign-in/oidc/callback as the redirect URI. Plain http only for a provider on this machine (localhost).',
      }),
    ),
    CIVICDESK_OIDC_CLIENT_ID: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 500,
        description:
          'The client id Civicdesk is registered under at the identity provider. Required with CIVICDESK_OIDC_ISSUER.',
      }),
    ),
    CIVICDESK_OIDC_CLIENT_SECRET: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2000,
        description:
          'Secret. The client secret from the identity provider (sent to its token endpoint with HTTP Basic authentication, client_secret_basic). Unset: a public client, protected by PKCE alone. Never logged.',
      }),
    ),
    CIVICDESK_OIDC_SCOPES: Type.String({
      default: 'openid email profile',
      pattern: '(^|\\s)openid(\\s|$)',
      maxLength: 500,
      description:
        'Scopes asked for, separated by spaces; must include openid. Add the scope that makes your provider send the role claim if it needs one (e.g. groups).',
    }),
    CIVICDESK_OIDC_BUTTON_TEXT: Type.String({
      default: 'Sign in with your council account',
      minLength: 1,
      maxLength: 100,
      description:
        'Text of the button on the staff sign-in page (e.g. Sign in with Ashdown Council account).',
    }),
    CIVICDESK_OIDC_ROLE_CLAIM: Type.String({
      default: 'roles',
      minLength: 1,
      maxLength: 200,
      description:
        'The claim (in the ID token or from the userinfo endpoint) whose values say what someone may do: roles, groups, or a dotted path such as realm_access.roles.',
    }),
    CIVICDESK_OIDC_ROLE_MAP: Type.Optional(
      Type.String({
        maxLength: 4000,
        description:
          'Which claim values give which Civicdesk role, value=role separated by commas: civicdesk-admins=admin,civicdesk-leads=team_lead,civicdesk-officers=officer,contact-centre=agent. Roles: agent, officer, team_lead, admin; the most privileged match wins. Someone whose values match none is refused. The role is set from the claim at every sign-in. Required with CIVICDESK_OIDC_ISSUER.',
      }),
    ),
    CIVICDESK_OIDC_CREATE_ACCOUNTS: Type.Boolean({
      default: false,
      description:
        'Set to true to create a staff account at the first OpenID Connect sign-in of someone with a verified email address and a mapped role but no account, in CIVICDESK_OIDC_NEW_ACCOUNT_BODY. Otherwise only existing accounts (matched by verified email address) can sign in this way.',
    }),
    CIVICDESK_OIDC_NEW_ACCOUNT_BODY: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'Code of the body new accounts belong to (with CIVICDESK_OIDC_CREATE_ACCOUNTS=true).',
      }),
    ),
    CIVICDESK_OIDC_NEW_ACCOUNT_TEAM: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description:
          'Code of the team (in CIVICDESK_OIDC_NEW_ACCOUNT_BODY) new accounts join. Unset: no team until an administrator gives one.',
      }),
    ),
    CIVICDESK_TRUST_PROXY: Type.Boolean({
      default: false,
      description: 'Set to true behind a reverse proxy so client addresses come from X-Forwarded-For.',
    }),
    CIVICDESK_LOG_LEVEL: Type.Union(
      [
        Type.Literal('fatal'),
        Type.Literal('error'),
        Type.Literal('warn'),
        Type.Literal('info'),
        Type.Literal('debug'),
        Type.Literal('trace'),
        Type.Literal('silent'),
      ],
      { default: 'info', description: 'Log level (pino): fatal, error, warn, info, debug, trace or silent.' },
    ),
    CIVICDESK_RUN_WORKER: Type.Boolean({
      default: true,
      description:
        'Run the background worker inside `civicdesk serve`. Set to false when running `civicdesk worker` processes separately.',
    }),
    CIVICDESK_WORKER_CONCURRENCY: Type.Integer({
      ...PositiveInt,
      maximum: 100,
      default: 4,
      description: 'Jobs one worker process runs at the same time.',
    }),
    CIVICDESK_WORKER_POLL_MS: Type.Integer({
      minimum: 50,
      default: 1000,
      description: 'How often an idle worker looks for due jobs, in milliseconds.',
    }),
    CIVICDESK_JOB_MAX_ATTEMPTS: Type.Integer({
      ...PositiveInt,
      maximum: 50,
      default: 8,
      description: 'Attempts before a failing job is dead-lettered (kept with its last error).',
    }),
    CIVICDESK_JOB_LEASE_SECONDS: Type.Integer({
      minimum: 5,
      default: 120,
      description:
        'How long a claimed job is reserved for its worker; a job whose worker died is retried after this.',
    }),
    CIVICDESK_DEMO_SEED: Type.Boolean({
      default: true,
      description:
        'Seed the fictional demo council into an empty database when serving (never in production).',
    }),
    CIVICDESK_VACUUM_INTERVAL_MINUTES: Type.Integer({
      minimum: 0,
      default: 60,
      description: 'PGlite only (it has no autovacuum): run VACUUM (ANALYZE) this often; 0 turns it off.',
    }),
  },
  { additionalProperties: false },
);

export type RawConfig = Static<typeof ConfigSchema>;

/** OpenID Connect sign-in for staff, when CIVICDESK_OIDC_ISSUER is set (checked and parsed). */
export interface OidcSettings {
  issuer: URL;
  clientId: string;
  clientSecret: string | undefined;
  scopes: string;
  buttonText: string;
  roleClaim: string;
  roleMap: RoleMap;
  /** Create accounts at first sign-in, in this body (and team): undefined when not allowed. */
  newAccounts: { bodyCode: string; teamCode: string | undefined } | undefined;
}

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
  const tileProblem = mapTileUrlProblem(config.CIVICDESK_MAP_TILE_URL);
  if (tileProblem) problems.push(`CIVICDESK_MAP_TILE_URL: ${tileProblem}`);
  if (config.CIVICDESK_INBOUND_EMAIL === 'imap' && !config.CIVICDESK_INBOUND_IMAP_URL) {
    problems.push('CIVICDESK_INBOUND_EMAIL=imap needs CIVICDESK_INBOUND_IMAP_URL (the mailbox to poll)');
  }
  if (!config.DATABASE_URL && !config.CIVICDESK_RUN_WORKER) {
    problems.push(
      'CIVICDESK_RUN_WORKER=false needs PostgreSQL (DATABASE_URL): with the embedded database no separate worker can run, so no email would ever be sent',
    );
  }
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

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The OpenID Connect settings, checked together; problems are added to `problems`. */
function oidcSettings(config: RawConfig, problems: string[]): OidcSettings | undefined {
  const issuerText = config.CIVICDESK_OIDC_ISSUER;
  if (!issuerText) {
    const set = KEYS.filter(
      (k) =>
        k.startsWith('CIVICDESK_OIDC_') &&
        (ConfigSchema.properties[k] as { default?: unknown }).default === undefined &&
        config[k] !== undefined,
    );
    if (set.length > 0)
      problems.push(`${set.join(', ')} set but CIVICDESK_OIDC_ISSUER is not: set the issuer too`);
    if (config.CIVICDESK_OIDC_CREATE_ACCOUNTS) {
      problems.push('CIVICDESK_OIDC_CREATE_ACCOUNTS=true needs CIVICDESK_OIDC_ISSUER');
    }
    return undefined;
  }
  const before = problems.length;
  let issuer: URL | undefined;
  try {
    issuer = new URL(issuerText);
  } catch {
    problems.push(`CIVICDESK_OIDC_ISSUER: "${issuerText}" is not a URL`);
  }
  if (issuer && (issuer.search || issuer.hash)) {
    problems.push('CIVICDESK_OIDC_ISSUER: an issuer has no query string or fragment');
  }
  if (issuer?.protocol === 'http:' && !LOOPBACK_HOSTS.has(issuer.hostname)) {
    problems.push(
      'CIVICDESK_OIDC_ISSUER must use https:// (plain http only for a provider on this machine, localhost or 127.0.0.1)',
    );
  }
  if (!config.CIVICDESK_OIDC_CLIENT_ID) {
    problems.push('CIVICDESK_OIDC_ISSUER is set but CIVICDESK_OIDC_CLIENT_ID is not: give the client id too');
  }
  let roleMap: RoleMap = new Map();
  if (!config.CIVICDESK_OIDC_ROLE_MAP) {
    problems.push(
      'CIVICDESK_OIDC_ISSUER is set but CIVICDESK_OIDC_ROLE_MAP is not: say which claim values give which role (e.g. civicdesk-officers=officer)',
    );
  } else {
    const parsed = parseRoleMap(config.CIVICDESK_OIDC_ROLE_MAP);
    for (const problem of parsed.problems) problems.push(`CIVICDESK_OIDC_ROLE_MAP: ${problem}`);
    roleMap = parsed.map;
  }
  if (config.CIVICDESK_OIDC_CREATE_ACCOUNTS && !config.CIVICDESK_OIDC_NEW_ACCOUNT_BODY) {
    problems.push(
      'CIVICDESK_OIDC_CREATE_ACCOUNTS=true needs CIVICDESK_OIDC_NEW_ACCOUNT_BODY (the code of the body new accounts belong to)',
    );
  }
  if (!config.CIVICDESK_OIDC_CREATE_ACCOUNTS && config.CIVICDESK_OIDC_NEW_ACCOUNT_BODY) {
    problems.push('CIVICDESK_OIDC_NEW_ACCOUNT_BODY is set but CIVICDESK_OIDC_CREATE_ACCOUNTS is not true');
  }
  if (config.CIVICDESK_OIDC_NEW_ACCOUNT_TEAM && !config.CIVICDESK_OIDC_NEW_ACCOUNT_BODY) {
    problems.push('CIVICDESK_OIDC_NEW_ACCOUNT_TEAM needs CIVICDESK_OIDC_NEW_ACCOUNT_BODY (the team’s body)');
  }
  if (problems.length > before || !issuer) return undefined;
  return {
    issuer,
    clientId: config.CIVICDESK_OIDC_CLIENT_ID!,
    clientSecret: config.CIVICDESK_OIDC_CLIENT_SECRET,
    scopes: config.CIVICDESK_OIDC_SCOPES.trim().split(/\s+/).join(' '),
    buttonText: config.CIVICDESK_OIDC_BUTTON_TEXT,
    roleClaim: config.CIVICDESK_OIDC_ROLE_CLAIM,
    roleMap,
    newAccounts: config.CIVICDESK_OIDC_CREATE_ACCOUNTS
      ? {
          bodyCode: config.CIVICDESK_OIDC_NEW_ACCOUNT_BODY!,
          teamCode: config.CIVICDESK_OIDC_NEW_ACCOUNT_TEAM,
        }
      : undefined,
  };
}

/** Every setting with its description and default, for `.env.example`, the README and `--help`. */
export function describeSettings(): { key: string; description: string; default?: unknown }[] {
  return KEYS.map((key) => {
    const schema = ConfigSchema.properties[key] as { description?: string; default?: unknown };
    return { key, description: schema.description ?? '', default: schema.default };
  });
}

/** Why a map tile URL template cannot be used, or undefined if it can. */
export function mapTileUrlProblem(template: string): string | undefined {
  for (const placeholder of ['{z}', '{x}', '{y}']) {
    if (!template.includes(placeholder)) return `the tile URL template has no ${placeholder}`;
  }
  if (template.startsWith('/') && !template.startsWith('//')) return undefined;
  const match = /^(https?):\/\/([^/?#]+)[/?#]/.exec(template);
  if (!match) return 'the tile URL must start with https:// (or http://), or be a path on this site';
  const host = match[2]!.replace(/^\{s\}\./, 'a.');
  if (/[{}\s@]/.test(host)) return 'only {s}, at the start of the host name, may stand for part of the host';
  try {
    new URL(`${match[1]}://${host}/`);
  } catch {
    return `"${match[2]}" is not a host name`;
  }
  return undefined;
}

/**
 * The Content Security Policy source the map tiles come from: 'self' for a path on this site, otherwise
 * the tile server's origin, with a wildcard for the {s} subdomain label only. Expects a template that
 * passed mapTileUrlProblem.
 */
export function mapTileSource(template: string): string {
  if (template.startsWith('/') && !template.startsWith('//')) return "'self'";
  const match = /^(https?):\/\/([^/?#]+)/.exec(template)!;
  return `${match[1]}://${match[2]!.replace(/^\{s\}\./, '*.').toLowerCase()}`;
}
