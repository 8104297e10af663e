import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import { trimQuotedReply } from './inbound.js';
import { ReplyAddresses } from './reply-token.js';

const SECRET = 'a-test-secret-that-is-at-least-32-characters';

describe('reply addresses', () => {
  const replies = new ReplyAddresses('Cases@Reply.Example.gov.uk', SECRET);

  it('round-trips a case id, whatever the case of the letters', () => {
    const id = crypto.randomUUID();
    const address = replies.addressFor(id);
    assert.match(address, /^cases\+[a-z2-7]{42}@reply\.example\.gov\.uk$/);
    assert.ok(address.split('@')[0]!.length <= 64);
    const token = replies.parse(address.toUpperCase())!.token;
    assert.equal(replies.verifyToken(token), id);
  });

  it('refuses forged, truncated, re-keyed and non-canonical tokens', () => {
    const id = crypto.randomUUID();
    const token = replies.tokenFor(id);
    for (let i = 0; i < token.length; i += 7) {
      const changed = token.slice(0, i) + (token[i] === 'a' ? 'b' : 'a') + token.slice(i + 1);
      assert.equal(replies.verifyToken(changed), undefined, `changed at ${i}`);
    }
    assert.equal(replies.verifyToken(token.slice(0, -1)), undefined);
    assert.equal(
      new ReplyAddresses('cases@reply.example.gov.uk', `${SECRET}x`).verifyToken(token),
      undefined,
    );
    assert.equal(replies.parse('someone@reply.example.gov.uk'), undefined);
    assert.deepEqual(replies.parse('cases@reply.example.gov.uk'), { token: '' });
  });
});

describe('trimQuotedReply', () => {
  it('keeps the new text and drops the quoted history of common mail clients', () => {
    assert.equal(
      trimQuotedReply('Fixed on Tuesday.\n\nOn Mon, 23 Nov 2026, Civicdesk wrote:\n> old'),
      'Fixed on Tuesday.',
    );
    assert.equal(
      trimQuotedReply(
        'Fixed.\r\n\r\nOn Mon, 23 Nov 2026 at 10:00, Civicdesk <cases@x.example>\r\nwrote:\r\n> old',
      ),
      'Fixed.',
    );
    assert.equal(trimQuotedReply('Thanks\n\n-----Original Message-----\nFrom: x'), 'Thanks');
    assert.equal(
      trimQuotedReply('Will do.\n\nFrom: Civicdesk\nSent: 23 November 2026\nTo: Clerk\nSubject: New report'),
      'Will do.',
    );
    assert.equal(trimQuotedReply('> question\nanswer inline\n> more\n> quoted'), '> question\nanswer inline');
  });
});
