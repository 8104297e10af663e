import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  base32Decode,
  base32Encode,
  generateTotpSecret,
  groupSecret,
  hotp,
  normaliseTotpCode,
  otpauthUri,
  totpCode,
  totpStep,
  verifyTotp,
} from './totp.js';

// RFC 6238 appendix B: the SHA-1 key is the ASCII string "12345678901234567890".
const RFC_KEY = Buffer.from('12345678901234567890');
const RFC_SECRET = base32Encode(RFC_KEY);

describe('TOTP (RFC 6238)', () => {
  it('matches the RFC 4226 HOTP test values', () => {
    const expected = [
      '755224',
      '287082',
      '359152',
      '969429',
      '338314',
      '254676',
      '287922',
      '162583',
      '399871',
      '520489',
    ];
    assert.deepEqual(
      expected.map((_, counter) => hotp(RFC_KEY, counter)),
      expected,
    );
  });

  it('matches the RFC 6238 SHA-1 test vectors (8 digits there, the last 6 here)', () => {
    const vectors: [number, string][] = [
      [59, '94287082'],
      [1111111109, '07081804'],
      [1111111111, '14050471'],
      [1234567890, '89005924'],
      [2000000000, '69279037'],
      [20000000000, '65353130'],
    ];
    for (const [seconds, eight] of vectors) {
      const at = new Date(seconds * 1000);
      assert.equal(hotp(RFC_KEY, totpStep(at), 8), eight, `at ${seconds}`);
      assert.equal(totpCode(RFC_SECRET, at), eight.slice(2), `at ${seconds}`);
    }
  });

  it('accepts a code one step either side of now, returns the step, and refuses anything further', () => {
    const at = new Date(1_800_000_000_000);
    const step = totpStep(at);
    for (const offset of [-1, 0, 1]) {
      assert.equal(verifyTotp(RFC_SECRET, totpCode(RFC_SECRET, { step: step + offset }), at), step + offset);
    }
    assert.equal(verifyTotp(RFC_SECRET, totpCode(RFC_SECRET, { step: step - 2 }), at), undefined);
    assert.equal(verifyTotp(RFC_SECRET, totpCode(RFC_SECRET, { step: step + 2 }), at), undefined);
    assert.equal(verifyTotp(RFC_SECRET, 'abcdef', at), undefined);
    assert.equal(verifyTotp(RFC_SECRET, '', at), undefined);
  });

  it('reads codes as people type them', () => {
    assert.equal(normaliseTotpCode('123 456'), '123456');
    assert.equal(normaliseTotpCode(' 123-456 '), '123456');
    assert.equal(normaliseTotpCode('12345'), undefined);
    assert.equal(normaliseTotpCode('1234567'), undefined);
  });

  it('round-trips base32 and makes 160-bit secrets', () => {
    const secret = generateTotpSecret();
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.equal(base32Decode(secret)?.length, 20);
    assert.deepEqual(base32Decode(groupSecret(secret).toLowerCase()), base32Decode(secret));
    assert.equal(base32Encode(Buffer.from('foobar')), 'MZXW6YTBOI'); // RFC 4648 test vector
    assert.equal(base32Decode('not base32!'), undefined);
  });

  it('writes the otpauth URI authenticator apps read', () => {
    const uri = otpauthUri({ secret: 'JBSWY3DPEHPK3PXP', issuer: 'Ashdown Council', account: 'a@b.example' });
    assert.equal(
      uri,
      'otpauth://totp/Ashdown%20Council:a%40b.example?secret=JBSWY3DPEHPK3PXP&issuer=Ashdown%20Council&algorithm=SHA1&digits=6&period=30',
    );
  });
});
