/**
 * Reading an identity provider's claims for staff sign-in with OpenID Connect: the role map setting
 * (`civicdesk-admins=admin,civicdesk-officers=officer`), the role a set of claims maps to, and the
 * name and email to use. Pure: the settings schema validates the map with it, and the staff module
 * applies it.
 */

/** The staff roles, from least to most privileged (the same as StaffRole in the database types). */
export const OIDC_STAFF_ROLES = ['agent', 'officer', 'team_lead', 'admin'] as const;
export type OidcStaffRole = (typeof OIDC_STAFF_ROLES)[number];

export type RoleMap = ReadonlyMap<string, OidcStaffRole>;

/**
 * Parses `value=role,value=role`. Values are the claim's values as the identity provider sends them
 * (group names may contain spaces; they are compared exactly, after trimming the ends). Returns the map,
 * or the problems in it.
 */
export function parseRoleMap(text: string): { map: RoleMap; problems: string[] } {
  const map = new Map<string, OidcStaffRole>();
  const problems: string[] = [];
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) problems.push('it maps nothing: write value=role pairs separated by commas');
  for (const entry of entries) {
    const at = entry.lastIndexOf('=');
    if (at <= 0 || at === entry.length - 1) {
      problems.push(`"${entry}" is not value=role (for example civicdesk-officers=officer)`);
      continue;
    }
    const value = entry.slice(0, at).trim();
    const role = entry.slice(at + 1).trim();
    if (!(OIDC_STAFF_ROLES as readonly string[]).includes(role)) {
      problems.push(`"${role}" in "${entry}" is not a role: use one of ${OIDC_STAFF_ROLES.join(', ')}`);
      continue;
    }
    const earlier = map.get(value);
    if (earlier !== undefined && earlier !== role) {
      problems.push(`"${value}" is mapped to both ${earlier} and ${role}`);
      continue;
    }
    map.set(value, role as OidcStaffRole);
  }
  return { map, problems };
}

/**
 * The claim's values. A claim name is looked up as it is first (namespaced claims such as
 * `https://council.example/roles` contain dots), then as a dotted path into nested objects
 * (`realm_access.roles`). A string is one value; an array gives its string members.
 */
export function claimValues(claims: Record<string, unknown>, name: string): string[] {
  let value: unknown = claims[name];
  if (value === undefined && name.includes('.')) {
    value = name.split('.').reduce<unknown>((node, key) => {
      return node !== null && typeof node === 'object' && !Array.isArray(node)
        ? (node as Record<string, unknown>)[key]
        : undefined;
    }, claims);
  }
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/**
 * The role the claims give: the most privileged of the roles the claim's values map to (someone in
 * both the officers' and the admins' group is an admin), or undefined when none maps.
 */
export function roleFromClaims(
  claims: Record<string, unknown>,
  claimName: string,
  map: RoleMap,
): OidcStaffRole | undefined {
  let best = -1;
  for (const value of claimValues(claims, claimName)) {
    const role = map.get(value.trim());
    if (role !== undefined) best = Math.max(best, OIDC_STAFF_ROLES.indexOf(role));
  }
  return best >= 0 ? OIDC_STAFF_ROLES[best] : undefined;
}

/** `email_verified` is true only when the provider says so: true, or the string "true" some send. */
export function emailIsVerified(claims: Record<string, unknown>): boolean {
  return claims.email_verified === true || claims.email_verified === 'true';
}

/** A display name for a new account: `name`, else given and family names, else the email's local part. */
export function displayName(claims: Record<string, unknown>, email: string): string {
  const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
  const name =
    text(claims.name) ||
    [text(claims.given_name), text(claims.family_name)].filter(Boolean).join(' ') ||
    email.split('@')[0] ||
    email;
  return name.slice(0, 200);
}
