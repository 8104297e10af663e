/**
 * The pure rules of webhooks: which addresses an endpoint may have (https, or http only to this machine
 * in production), and signatures while a secret is being replaced (two v1 values) or from a later scheme.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Jobs } from '../../infra/jobs/jobs.js';
import { signatureFor, signWebhook, verifyWebhookSignature } from './signature.js';
import { WebhooksService } from './webhooks.service.js';

const service = (isProduction: boolean) =>
  new WebhooksService(
    undefined as unknown as Kysely<Database>, // urlProblem reads nothing
    undefined as unknown as Jobs,
    { timeoutMs: 1000, maxAttempts: 3, isProduction, baseUrl: 'https://report.example.gov.uk' },
    'a-session-secret-that-is-long-enough-for-tests',
  );

describe('webhook endpoint addresses', () => {
  it('takes https anywhere, and http only to this machine in production', () => {
    const production = service(true);
    assert.equal(production.urlProblem('https://crm.example.gov.uk/civicdesk'), undefined);
    assert.equal(production.urlProblem('http://127.0.0.1:8080/hook'), undefined);
    assert.equal(production.urlProblem('http://localhost/hook'), undefined);
    assert.match(production.urlProblem('http://crm.example.gov.uk/hook')!, /must start with https:\/\//);
    assert.match(production.urlProblem('ftp://crm.example.gov.uk')!, /starting with https:\/\//);
    assert.match(production.urlProblem('https://user:pw@crm.example.gov.uk')!, /user name and password/);
    assert.match(production.urlProblem('')!, /Enter the address/);
    assert.equal(service(false).urlProblem('http://receiver.test:9000/hook'), undefined);
  });
});

describe('signatures', () => {
  const body = '{"id":"evt_1","type":"ping"}';
  const now = Date.UTC(2026, 10, 24, 10, 0, 0);
  const t = now / 1000;

  it('accepts a header with the old and the new secret’s signatures, and ignores unknown schemes', () => {
    const header = `t=${t},v1=${signatureFor('whsec_old', t, body)},v1=${signatureFor('whsec_new', t, body)},v2=zz`;
    assert.equal(verifyWebhookSignature('whsec_new', header, body, { now }).valid, true);
    assert.equal(verifyWebhookSignature('whsec_old', header, body, { now }).valid, true);
    assert.deepEqual(verifyWebhookSignature('whsec_other', header, body, { now }), {
      valid: false,
      reason: 'mismatch',
    });
  });

  it('refuses a timestamp from the future beyond the window, and a changed timestamp', () => {
    const future = signWebhook('whsec_k', body, t + 301);
    assert.deepEqual(verifyWebhookSignature('whsec_k', future, body, { now }), {
      valid: false,
      reason: 'too_new',
    });
    const moved = signWebhook('whsec_k', body, t).replace(`t=${t}`, `t=${t + 1}`);
    assert.deepEqual(verifyWebhookSignature('whsec_k', moved, body, { now }), {
      valid: false,
      reason: 'mismatch',
    });
  });
});
