import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  generateReference,
  isWellFormedReference,
  normaliseReference,
  REFERENCE_ALPHABET,
} from './reference.js';

describe('case references', () => {
  it('has the shape PREFIX-XXXX-XXXX using only unambiguous characters', () => {
    for (let i = 0; i < 500; i++) {
      const reference = generateReference('ASH');
      assert.match(
        reference,
        /^ASH-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{4}$/,
      );
      assert.ok(isWellFormedReference(reference));
    }
    assert.doesNotMatch(REFERENCE_ALPHABET, /[01ILOU]/);
  });

  it('is not sequential: 5,000 references are all different and spread over the alphabet', () => {
    const seen = new Set<string>();
    const counts = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      const reference = generateReference('ASH');
      seen.add(reference);
      for (const c of reference.slice(4).replace('-', '')) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    assert.equal(seen.size, 5000);
    assert.equal(counts.size, REFERENCE_ALPHABET.length, 'every character is used');
    const expected = (5000 * 8) / REFERENCE_ALPHABET.length;
    for (const [c, n] of counts)
      assert.ok(Math.abs(n - expected) < expected * 0.25, `${c} appears ${n} times`);
  });

  it('reads what people type', () => {
    assert.equal(normaliseReference(' ash 7k3q 9x2m '), 'ASH-7K3Q-9X2M');
    assert.equal(normaliseReference('ash-7k3q9x2m'), 'ASH-7K3Q-9X2M');
    assert.equal(isWellFormedReference('ASH-7K3Q-9X2O'), false, 'O is never issued');
  });
});
