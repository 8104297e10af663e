/**
 * Settings for staff sign-in: sessions, the second step (TOTP), lockout, password reset and invitation
 * links, and OpenID Connect through the council's identity provider, with the checks that turn the
 * CIVICDESK_OIDC_* strings into `OidcSettings` (they only make sense together).
 */
import { Type, type Static, type TObject } from 'typebox';
import { parseRoleMap, type RoleMap } from '../lib/oidc-claims.js';
import { PositiveInt } from './setting-types.js';

export const staffSettings = {
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
    description: 'Text of the button on the staff sign-in page (e.g. Sign in with Ashdown Council account).',
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
};

type StaffRaw = Static<TObject<typeof staffSettings>>;

/** The OpenID Connect settings with no default: setting any of them without an issuer is a mistake. */
const OIDC_KEYS_WITHOUT_DEFAULT = (Object.keys(staffSettings) as (keyof StaffRaw)[]).filter(
  (k) => k.startsWith('CIVICDESK_OIDC_') && (staffSettings[k] as { default?: unknown }).default === undefined,
);

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

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The OpenID Connect settings, checked together; problems are added to `problems`. */
export function oidcSettings(config: StaffRaw, problems: string[]): OidcSettings | undefined {
  const issuerText = config.CIVICDESK_OIDC_ISSUER;
  if (!issuerText) {
    const set = OIDC_KEYS_WITHOUT_DEFAULT.filter((k) => config[k] !== undefined);
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
