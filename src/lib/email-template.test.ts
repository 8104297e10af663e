import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fillTemplate, textToHtml } from './email-template.js';

describe('email templates', () => {
  it('fills placeholders and reports unknown ones', () => {
    const { text, unknown } = fillTemplate('Ref {{ reference }} for {{service}} {{colour}}', {
      reference: 'CD-ABCD-EFGH',
      service: 'Pothole',
    });
    assert.equal(text, 'Ref CD-ABCD-EFGH for Pothole ');
    assert.deepEqual(unknown, ['colour']);
  });

  it('makes escaped, linked HTML from the text so no value can inject markup', () => {
    const html = textToHtml(
      'Hello <b>you</b>\nline two\n\nTrack it: https://x.example/track/CD-1?token=a&b=c.',
      {
        title: 'Your report',
      },
    );
    assert.match(html, /<p style="[^"]*">Hello &lt;b&gt;you&lt;\/b&gt;<br>line two<\/p>/);
    assert.match(html, /<a href="https:\/\/x.example\/track\/CD-1\?token=a&amp;b=c" style="color:#1d70b8">/);
    assert.match(html, /<html lang="en">/);
  });
});
