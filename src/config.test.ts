import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, describeSettings, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('gives working defaults with no settings at all: PGlite, port 3000, development', () => {
    const config = loadConfig({});
    assert.equal(config.PORT, 3000);
    assert.equal(config.databaseEngine, 'pglite');
    assert.equal(config.CIVICDESK_ENV, 'development');
    assert.equal(config.baseUrl, 'http://localhost:3000');
    assert.match(config.dataDir, /\/data$/);
  });

  it('turns environment strings into numbers and booleans', () => {
    const config = loadConfig({
      PORT: '8080',
      CIVICDESK_RUN_WORKER: 'false',
      CIVICDESK_TRUST_PROXY: 'yes',
      DATABASE_URL: 'postgres://u@db.example/civic',
    });
    assert.equal(config.PORT, 8080);
    assert.equal(config.CIVICDESK_RUN_WORKER, false);
    assert.equal(config.CIVICDESK_TRUST_PROXY, true);
  });

  it('selects PostgreSQL when DATABASE_URL is set', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@db.example:5432/civic' });
    assert.equal(config.databaseEngine, 'postgres');
  });

  it('lists every problem at once, naming the setting and what it is for', () => {
    assert.throws(
      () => loadConfig({ PORT: 'eighty', SMTP_URL: 'mail.example', CIVICDESK_PROT: '1' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 3, error.message);
        assert.match(error.message, /PORT: .*TCP port/);
        assert.match(error.message, /SMTP_URL/);
        assert.match(error.message, /CIVICDESK_PROT is not a Civicdesk setting/);
        return true;
      },
    );
  });

  it('ignores environment variables that are not ours, including the test suite’s', () => {
    assert.doesNotThrow(() =>
      loadConfig({
        HOME: '/root',
        NODE_ENV: 'test',
        CIVICDESK_TEST_ENGINES: 'pglite',
        CIVICDESK_BENCH_ROUNDS: '3',
      }),
    );
  });

  it('refuses to run without a worker on the embedded database, where no separate worker can run', () => {
    assert.throws(
      () => loadConfig({ CIVICDESK_RUN_WORKER: 'false' }),
      /CIVICDESK_RUN_WORKER=false needs PostgreSQL/,
    );
  });

  it('requires secrets and real mail in production', () => {
    assert.throws(
      () => loadConfig({ CIVICDESK_ENV: 'production' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const text = error.problems.join('\n');
        assert.match(text, /CIVICDESK_SESSION_SECRET is required in production/);
        assert.match(text, /CIVICDESK_BASE_URL is required in production/);
        assert.match(text, /SMTP_URL is required in production/);
        return true;
      },
    );
    const config = loadConfig({
      CIVICDESK_ENV: 'production',
      CIVICDESK_SESSION_SECRET: 'x'.repeat(40),
      CIVICDESK_BASE_URL: 'https://report.example.gov.uk/',
      SMTP_URL: 'smtp://mail.example:587',
    });
    assert.equal(config.isProduction, true);
    assert.equal(config.baseUrl, 'https://report.example.gov.uk');
  });

  it('rejects a session secret too short to be a secret', () => {
    assert.throws(() => loadConfig({ CIVICDESK_SESSION_SECRET: 'short' }), /CIVICDESK_SESSION_SECRET/);
  });

  it('describes every setting', () => {
    for (const setting of describeSettings()) {
      assert.ok(setting.description.length > 10, `${setting.key} needs a description`);
    }
  });
});

describe('OpenID Connect settings', () => {
  const valid = {
    CIVICDESK_OIDC_ISSUER: 'https://login.ashdown.example/realms/staff',
    CIVICDESK_OIDC_CLIENT_ID: 'civicdesk',
    CIVICDESK_OIDC_CLIENT_SECRET: 'a-client-secret',
    CIVICDESK_OIDC_ROLE_MAP: 'civicdesk-admins=admin,civicdesk-officers=officer',
  };

  it('is off unless the issuer is set', () => {
    assert.equal(loadConfig({}).oidc, undefined);
  });

  it('reads the settings, with defaults for the claim, scopes and button', () => {
    const { oidc } = loadConfig(valid);
    assert.ok(oidc);
    assert.equal(oidc.issuer.href, 'https://login.ashdown.example/realms/staff');
    assert.equal(oidc.clientId, 'civicdesk');
    assert.equal(oidc.roleClaim, 'roles');
    assert.equal(oidc.scopes, 'openid email profile');
    assert.equal(oidc.buttonText, 'Sign in with your council account');
    assert.deepEqual(
      [...oidc.roleMap],
      [
        ['civicdesk-admins', 'admin'],
        ['civicdesk-officers', 'officer'],
      ],
    );
    assert.equal(oidc.newAccounts, undefined);
    const creating = loadConfig({
      ...valid,
      CIVICDESK_OIDC_CREATE_ACCOUNTS: 'true',
      CIVICDESK_OIDC_NEW_ACCOUNT_BODY: 'ashdown',
    }).oidc;
    assert.deepEqual(creating?.newAccounts, { bodyCode: 'ashdown', teamCode: undefined });
  });

  it('refuses an issuer without a client id or a role map, with clear messages', () => {
    assert.throws(
      () => loadConfig({ CIVICDESK_OIDC_ISSUER: valid.CIVICDESK_OIDC_ISSUER }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 2, error.message);
        assert.match(error.message, /CIVICDESK_OIDC_ISSUER is set but CIVICDESK_OIDC_CLIENT_ID is not/);
        assert.match(error.message, /CIVICDESK_OIDC_ISSUER is set but CIVICDESK_OIDC_ROLE_MAP is not/);
        return true;
      },
    );
  });

  it('refuses a role map with bad syntax or an unknown role', () => {
    assert.throws(
      () => loadConfig({ ...valid, CIVICDESK_OIDC_ROLE_MAP: 'civicdesk-admins:admin' }),
      /CIVICDESK_OIDC_ROLE_MAP: "civicdesk-admins:admin" is not value=role/,
    );
    assert.throws(
      () => loadConfig({ ...valid, CIVICDESK_OIDC_ROLE_MAP: 'civicdesk-admins=superuser' }),
      /CIVICDESK_OIDC_ROLE_MAP: "superuser" in "civicdesk-admins=superuser" is not a role: use one of agent, officer, team_lead, admin/,
    );
  });

  it('refuses plain http except for a provider on this machine, and scopes without openid', () => {
    assert.throws(
      () => loadConfig({ ...valid, CIVICDESK_OIDC_ISSUER: 'http://login.ashdown.example' }),
      /CIVICDESK_OIDC_ISSUER must use https:\/\//,
    );
    assert.equal(
      loadConfig({ ...valid, CIVICDESK_OIDC_ISSUER: 'http://127.0.0.1:8080' }).oidc?.issuer.port,
      '8080',
    );
    assert.throws(
      () => loadConfig({ ...valid, CIVICDESK_OIDC_SCOPES: 'email profile' }),
      /CIVICDESK_OIDC_SCOPES/,
    );
  });

  it('refuses OIDC settings without the issuer, and account creation without a body', () => {
    assert.throws(
      () => loadConfig({ CIVICDESK_OIDC_CLIENT_ID: 'civicdesk', CIVICDESK_OIDC_ROLE_MAP: 'a=admin' }),
      /CIVICDESK_OIDC_CLIENT_ID, CIVICDESK_OIDC_ROLE_MAP set but CIVICDESK_OIDC_ISSUER is not/,
    );
    assert.throws(
      () => loadConfig({ ...valid, CIVICDESK_OIDC_CREATE_ACCOUNTS: 'true' }),
      /CIVICDESK_OIDC_CREATE_ACCOUNTS=true needs CIVICDESK_OIDC_NEW_ACCOUNT_BODY/,
    );
    assert.throws(
      () => loadConfig({ ...valid, CIVICDESK_OIDC_NEW_ACCOUNT_BODY: 'ashdown' }),
      /CIVICDESK_OIDC_NEW_ACCOUNT_BODY is set but CIVICDESK_OIDC_CREATE_ACCOUNTS is not true/,
    );
  });
});
