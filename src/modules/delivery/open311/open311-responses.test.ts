/**
 * The tolerant reading of other servers' answers, one variant from ../shared/OPEN311.md at a time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Open311ResponseError,
  parseCreatedRequest,
  parseDateTime,
  parsePostedUpdate,
  parseRequestUpdates,
  problemsIn,
  responseBody,
} from './open311-responses.js';
import { ourStatusFor, w3cDateTime } from './open311-client.js';

const xml = (body: string) => responseBody(`<?xml version="1.0" encoding="utf-8"?>\n${body}`, 'text/xml');

describe('reading POST requests answers', () => {
  it('reads the id from the spec’s XML and JSON, with one request or several', () => {
    const fromXml = xml(
      '<service_requests><request><service_request_id>293944</service_request_id><service_notice>Thanks</service_notice></request></service_requests>',
    );
    assert.deepEqual(parseCreatedRequest(fromXml), {
      serviceRequestId: '293944',
      token: null,
      serviceNotice: 'Thanks',
    });
    const fromJson = responseBody(
      '[{"service_request_id":293944,"service_notice":"","account_id":null}]',
      'application/json',
    );
    assert.equal(parseCreatedRequest(fromJson).serviceRequestId, '293944', 'a number id becomes text');
    assert.equal(parseCreatedRequest(fromJson).serviceNotice, null, 'an empty notice is no notice');
  });

  it('keeps leading zeros and ignores the root element’s name, namespaces and attributes', () => {
    const body = xml(
      '<sr:anything xmlns:sr="http://example.org/ns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" type="array"><sr:request is_array="true"><sr:service_request_id>001</sr:service_request_id><sr:service_notice xsi:nil="true"/></sr:request></sr:anything>',
    );
    assert.deepEqual(parseCreatedRequest(body), {
      serviceRequestId: '001',
      token: null,
      serviceNotice: null,
    });
  });

  it('reads a token-only answer (batch servers), and refuses an answer with neither id nor token', () => {
    assert.equal(
      parseCreatedRequest(
        xml('<service_requests><request><token>abc-123</token></request></service_requests>'),
      ).token,
      'abc-123',
    );
    assert.throws(
      () => parseCreatedRequest(xml('<service_requests><request><account_id/></request></service_requests>')),
      Open311ResponseError,
    );
  });

  it('reports the endpoint’s own errors in its words', () => {
    const body = xml(
      "<errors><error><code>403</code><description>Invalid api_key received -- can't proceed with create_request.</description></error></errors>",
    );
    assert.deepEqual(problemsIn(body), [
      { code: '403', description: "Invalid api_key received -- can't proceed with create_request." },
    ]);
    assert.throws(() => parseCreatedRequest(body), /refused the request: 403 Invalid api_key/);
    assert.deepEqual(problemsIn(responseBody('[{"code":400,"description":"service_code missing"}]', null)), [
      { code: '400', description: 'service_code missing' },
    ]);
  });

  it('refuses what is not XML or JSON at all', () => {
    assert.throws(() => responseBody('<html><body>Bad gateway', 'text/html'), Open311ResponseError);
    assert.throws(() => responseBody('{"broken": ', 'application/json'), Open311ResponseError);
  });
});

describe('reading servicerequestupdates', () => {
  it('reads mySociety’s updates, skipping items without an update id', () => {
    const body = xml(`<service_request_updates>
      <request_update>
        <update_id>u-1</update_id><service_request_id>293944</service_request_id>
        <status>IN_PROGRESS</status><updated_datetime>2026-11-20T09:15:00+00:00</updated_datetime>
        <description>Crew booked\r\nfor Monday</description><media_url></media_url>
        <external_status_code>WO-7</external_status_code>
      </request_update>
      <request_update>
        <service_request_id>293944</service_request_id><status>fixed</status>
        <updated_datetime>2026-11-21T09:15:00Z</updated_datetime><description>No id</description>
      </request_update>
      <request_update>
        <update_id>u-2</update_id><service_request_id>293944</service_request_id><status>not councils responsibility</status>
        <updated_datetime>2026-11-22T10:00:00.25Z</updated_datetime><description/>
        <media_url>https://example.org/a.jpg</media_url>
      </request_update>
    </service_request_updates>`);
    const updates = parseRequestUpdates(body);
    assert.equal(updates.length, 2);
    assert.deepEqual(updates[0], {
      updateId: 'u-1',
      serviceRequestId: '293944',
      status: 'in_progress',
      description: 'Crew booked\nfor Monday',
      updatedAt: new Date('2026-11-20T09:15:00Z'),
      mediaUrls: [],
      externalStatusCode: 'WO-7',
      customerReference: null,
    });
    assert.equal(updates[1]!.status, 'not_councils_responsibility');
    assert.deepEqual(updates[1]!.mediaUrls, ['https://example.org/a.jpg']);
    assert.equal(updates[1]!.updatedAt.toISOString(), '2026-11-22T10:00:00.000Z');
  });

  it('reads the same from JSON with numbers for ids', () => {
    const body = responseBody(
      '[{"update_id":7,"service_request_id":42,"status":"closed","updated_datetime":"2026-11-20T09:15:00Z","description":"Done","media_url":["a","b"]}]',
      'application/json; charset=utf-8',
    );
    const [update] = parseRequestUpdates(body);
    assert.equal(update!.updateId, '7');
    assert.equal(update!.serviceRequestId, '42');
    assert.deepEqual(update!.mediaUrls, ['a', 'b']);
  });

  it('reads the id of a posted update', () => {
    assert.deepEqual(
      parsePostedUpdate(
        xml(
          '<service_request_updates><request_update><update_id>88</update_id></request_update></service_request_updates>',
        ),
      ),
      { updateId: '88' },
    );
    assert.throws(() => parsePostedUpdate(xml('<service_request_updates/>')), Open311ResponseError);
  });
});

describe('dates and statuses', () => {
  it('reads W3C dates with a zone, and legacy ones without a zone as UK local time', () => {
    assert.equal(parseDateTime('2026-07-01T12:00:00+01:00')!.toISOString(), '2026-07-01T11:00:00.000Z');
    assert.equal(parseDateTime('2026-07-01T12:00:00+0100')!.toISOString(), '2026-07-01T11:00:00.000Z');
    // San Francisco's legacy form: no zone, fractions. In July the UK is on BST (UTC+1).
    assert.equal(parseDateTime('2026-07-01 12:00:00.97')!.toISOString(), '2026-07-01T11:00:00.000Z');
    assert.equal(parseDateTime('2026-12-01 12:00')!.toISOString(), '2026-12-01T12:00:00.000Z');
    assert.equal(parseDateTime('yesterday'), null);
    assert.equal(parseDateTime(null), null);
  });

  it('writes W3C dates without fractions', () => {
    assert.equal(w3cDateTime(new Date('2026-11-20T09:15:00.123Z')), '2026-11-20T09:15:00Z');
  });

  it('maps extended and core statuses to ours, and keeps the status for ones we cannot map', () => {
    assert.equal(ourStatusFor('in_progress'), 'in_progress');
    assert.equal(ourStatusFor('FIXED'), 'fixed');
    assert.equal(ourStatusFor('closed'), 'fixed');
    assert.equal(ourStatusFor('Open'), 'received');
    assert.equal(ourStatusFor('no_further_action'), 'closed_not_fixed');
    assert.equal(ourStatusFor('not councils responsibility'), 'not_responsible');
    assert.equal(ourStatusFor('unchanged'), null);
    assert.equal(ourStatusFor('awaiting_parts'), null);
  });
});
