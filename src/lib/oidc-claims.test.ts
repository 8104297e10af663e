import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { claimValues, displayName, emailIsVerified, parseRoleMap, roleFromClaims } from './oidc-claims.js';

describe('parseRoleMap', () => {
  it('reads value=role pairs, trimming spaces around them (values may contain spaces)', () => {
    const { map, problems } = parseRoleMap(
      ' civicdesk-admins=admin, Highways Officers = officer ,,agents=agent',
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(
      [...map],
      [
        ['civicdesk-admins', 'admin'],
        ['Highways Officers', 'officer'],
        ['agents', 'agent'],
      ],
    );
  });

  it('names every problem: bad syntax, unknown roles, a value mapped twice, an empty map', () => {
    const { problems } = parseRoleMap('admins,=officer,leads=,x=superuser,a=admin,a=agent,a=admin');
    assert.equal(problems.length, 5, problems.join('\n'));
    assert.match(problems[0]!, /"admins" is not value=role/);
    assert.match(problems[1]!, /"=officer" is not value=role/);
    assert.match(problems[2]!, /"leads=" is not value=role/);
    assert.match(problems[3]!, /"superuser" .* is not a role: use one of agent, officer, team_lead, admin/);
    assert.match(problems[4]!, /"a" is mapped to both admin and agent/);
    assert.match(parseRoleMap(' , ').problems[0]!, /maps nothing/);
  });
});

describe('roleFromClaims', () => {
  const { map } = parseRoleMap('admins=admin,leads=team_lead,officers=officer,agents=agent');

  it('gives the most privileged role any value maps to, and nothing when none maps', () => {
    assert.equal(roleFromClaims({ roles: ['officers', 'admins', 'other'] }, 'roles', map), 'admin');
    assert.equal(roleFromClaims({ roles: ['agents', 'leads'] }, 'roles', map), 'team_lead');
    assert.equal(roleFromClaims({ roles: 'officers' }, 'roles', map), 'officer');
    assert.equal(roleFromClaims({ roles: ['other'] }, 'roles', map), undefined);
    assert.equal(roleFromClaims({ groups: ['admins'] }, 'roles', map), undefined, 'another claim');
    assert.equal(roleFromClaims({ roles: 42 }, 'roles', map), undefined);
    assert.equal(roleFromClaims({ roles: ['ADMINS'] }, 'roles', map), undefined, 'values are exact');
  });

  it('reads namespaced claims with dots as they are, and nested ones by a dotted path', () => {
    assert.deepEqual(
      claimValues({ 'https://council.example/roles': ['a'] }, 'https://council.example/roles'),
      ['a'],
    );
    assert.deepEqual(claimValues({ realm_access: { roles: ['a', 3, 'b'] } }, 'realm_access.roles'), [
      'a',
      'b',
    ]);
    assert.deepEqual(claimValues({ realm_access: ['x'] }, 'realm_access.roles'), []);
  });
});

describe('emailIsVerified and displayName', () => {
  it('counts an email as verified only when the provider says true', () => {
    assert.equal(emailIsVerified({ email_verified: true }), true);
    assert.equal(emailIsVerified({ email_verified: 'true' }), true);
    assert.equal(emailIsVerified({ email_verified: false }), false);
    assert.equal(emailIsVerified({ email_verified: 'yes' }), false);
    assert.equal(emailIsVerified({}), false);
  });

  it('names a new account from name, then given and family names, then the address', () => {
    assert.equal(displayName({ name: ' Nia Newcomer ' }, 'n@x.example'), 'Nia Newcomer');
    assert.equal(displayName({ given_name: 'Nia', family_name: 'Newcomer' }, 'n@x.example'), 'Nia Newcomer');
    assert.equal(displayName({}, 'nia.newcomer@x.example'), 'nia.newcomer');
    assert.equal(displayName({ name: 'x'.repeat(300) }, 'n@x.example').length, 200);
  });
});
