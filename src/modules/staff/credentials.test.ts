/**
 * The pure parts of staff credentials: sealing secrets at rest, recovery codes, and password rules.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCommonPassword, newPasswordProblem } from './passwords.js';
import { generateRecoveryCodes, hashRecoveryCode, normaliseRecoveryCode } from './recovery-codes.js';
import { SecretBox } from '../../lib/secret-box.js';

const SECRET = 'a-session-secret-that-is-at-least-32-characters';

describe('SecretBox (AES-256-GCM, key derived from the session secret)', () => {
  it('opens what it sealed, for the same row only', () => {
    const box = new SecretBox(SECRET, 'staff-totp-secret');
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'user-1');
    assert.match(sealed, /^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.ok(!sealed.includes('JBSWY3DPEHPK3PXP'));
    assert.equal(box.open(sealed, 'user-1'), 'JBSWY3DPEHPK3PXP');
    assert.equal(box.open(sealed, 'user-2'), undefined, 'bound to its row');
    assert.notEqual(box.seal('JBSWY3DPEHPK3PXP', 'user-1'), sealed, 'a fresh nonce each time');
  });

  it('refuses another purpose, another secret, and any tampering', () => {
    const sealed = new SecretBox(SECRET, 'staff-totp-secret').seal('x', 'u');
    assert.equal(new SecretBox(SECRET, 'staff-totp-setup').open(sealed, 'u'), undefined);
    assert.equal(new SecretBox(`${SECRET}-rotated`, 'staff-totp-secret').open(sealed, 'u'), undefined);
    const [v, nonce, tag, ciphertext] = sealed.split('.');
    const box = new SecretBox(SECRET, 'staff-totp-secret');
    assert.equal(
      box.open([v, nonce, tag!.slice(0, 8), ciphertext].join('.'), 'u'),
      undefined,
      'truncated tag',
    );
    assert.equal(box.open([v, nonce, tag, 'AAAA'].join('.'), 'u'), undefined);
    assert.equal(box.open('v2.a.b.c', 'u'), undefined);
    assert.equal(box.open('rubbish', 'u'), undefined);
  });
});

describe('recovery codes', () => {
  it('makes ten distinct 12-character codes and reads them however they are typed', () => {
    const codes = generateRecoveryCodes();
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    for (const code of codes)
      assert.match(code, /^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/);
    assert.equal(normaliseRecoveryCode(' 7KQ2 9XD4-MH3P '), '7kq29xd4mh3p');
    assert.equal(normaliseRecoveryCode('7kq2-9xd4-mh3O'), '7kq29xd4mh30', 'O read as zero');
    assert.equal(normaliseRecoveryCode('7kq2-9xd4'), undefined);
    assert.equal(normaliseRecoveryCode('7kq2-9xd4-mh3u'), undefined, 'u is not in the alphabet');
  });

  it('hashes per person, so the same code means nothing for someone else', () => {
    assert.match(hashRecoveryCode('a', '7kq29xd4mh3p'), /^[0-9a-f]{64}$/);
    assert.notEqual(hashRecoveryCode('a', '7kq29xd4mh3p'), hashRecoveryCode('b', '7kq29xd4mh3p'));
  });
});

describe('new password rules', () => {
  const email = 'pat.officer@ashdown.example';

  it('needs 12 characters, not the email address, and not a common password', () => {
    assert.equal(newPasswordProblem('', { email }), 'Enter a new password');
    assert.equal(newPasswordProblem('short-one', { email }), 'Password must be 12 characters or more');
    assert.equal(newPasswordProblem('x'.repeat(257), { email }), 'Password must be 256 characters or fewer');
    assert.equal(
      newPasswordProblem('Pat.Officer@Ashdown.example', { email }),
      'Password must not be your email address',
    );
    assert.match(newPasswordProblem('password1234', { email }) ?? '', /too easy to guess/);
    assert.equal(newPasswordProblem('kettle orbit plum saxophone', { email }), undefined);
    assert.equal(newPasswordProblem('correct-staple-86-quietly', { email }), undefined);
  });

  it('refuses common passwords, padded common words, swaps, repeats and keyboard runs', () => {
    for (const weak of [
      'password1234',
      'Password2024!',
      'P@ssw0rd12345',
      'Welcome123456',
      'qwertyuiop123',
      '123456789012',
      'abcdefghijkl',
      'aaaaaaaaaaaa',
      'abc1abc1abc1',
      'letmeinletmein',
      'iloveyou1234',
      'Liverpool1892!',
      'summersummer',
      'monkeydragon99',
      'correct horse battery staple',
      '1qaz2wsx3edc',
    ]) {
      assert.ok(isCommonPassword(weak), weak);
    }
    for (const fine of ['kettle orbit plum saxophone', 'Fenland-Heron-Tuesday-41', 'x7#Lq9!vR2@mW8']) {
      assert.ok(!isCommonPassword(fine), fine);
    }
  });
});
