import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isValidOutward,
  isValidPostcode,
  normalisePostcode,
  outwardCode,
  parsePostcodeQuery,
  postcodeSector,
} from './postcode.js';

describe('normalisePostcode', () => {
  it('upper-cases and puts exactly one space before the inward code', () => {
    const cases: [string, string][] = [
      ['m15 4ab', 'M15 4AB'],
      ['M154AB', 'M15 4AB'],
      ['  m15   4ab ', 'M15 4AB'],
      ['M 1 5 4 A B', 'M15 4AB'],
      ['m33 7aa', 'M33 7AA'],
      ['wa14 1aa', 'WA14 1AA'],
      ['sw1a1aa', 'SW1A 1AA'],
      ['W1A 0AX', 'W1A 0AX'],
      ['EC1A 1BB', 'EC1A 1BB'],
      ['B1 1AA', 'B1 1AA'],
      ['cr0 2yr', 'CR0 2YR'],
      ['M15-4AB', 'M15 4AB'],
      ['gir 0aa', 'GIR 0AA'],
    ];
    for (const [input, expected] of cases) assert.equal(normalisePostcode(input), expected, input);
  });

  it('rejects what is not a whole, valid postcode', () => {
    for (const input of [
      '',
      'M15',
      'M15 4',
      'M15 4A',
      'M15 4ABC',
      'M154ABX',
      'QQ1 1AA', // no such area
      'A56 1AA', // no such area
      'M15 4CA', // C is never a unit letter
      'M15 AAB', // the inward code starts with a digit
      '15M 4AB',
      'MMM1 1AA',
      'Bradgate Road',
      `M15 4AB${' '.repeat(50)}`,
    ]) {
      assert.equal(normalisePostcode(input), null, JSON.stringify(input));
      assert.equal(isValidPostcode(input), false);
    }
  });

  it('splits out the outward code and the sector', () => {
    assert.equal(outwardCode('M33 7AA'), 'M33');
    assert.equal(postcodeSector('M33 7AA'), 'M33 7');
    assert.equal(postcodeSector('SW1A 1AA'), 'SW1A 1');
  });

  it('knows outward codes', () => {
    for (const ok of ['M3', 'M33', 'WA14', 'SW1A', 'W1A', 'E1']) assert.ok(isValidOutward(ok), ok);
    for (const bad of ['M', 'MM', '33', 'A56', 'M333', 'SW1AA']) assert.ok(!isValidOutward(bad), bad);
  });
});

describe('parsePostcodeQuery', () => {
  it('reads a whole postcode however it is written', () => {
    assert.deepEqual(parsePostcodeQuery('m33 7aa'), { kind: 'full', postcode: 'M33 7AA' });
    assert.deepEqual(parsePostcodeQuery('M337AA'), { kind: 'full', postcode: 'M33 7AA' });
  });

  it('reads an outward code on its own', () => {
    assert.deepEqual(parsePostcodeQuery('M33'), { kind: 'outward', outward: 'M33' });
    assert.deepEqual(parsePostcodeQuery('m33 '), { kind: 'outward', outward: 'M33' });
    assert.deepEqual(parsePostcodeQuery('wa14'), { kind: 'outward', outward: 'WA14' });
    assert.deepEqual(parsePostcodeQuery('M1'), { kind: 'outward', outward: 'M1' });
  });

  it('reads a partial postcode as a prefix of the normal form', () => {
    assert.deepEqual(parsePostcodeQuery('M33 7'), { kind: 'prefix', prefix: 'M33 7' });
    assert.deepEqual(parsePostcodeQuery('m33 7a'), { kind: 'prefix', prefix: 'M33 7A' });
    assert.deepEqual(parsePostcodeQuery('M337'), { kind: 'prefix', prefix: 'M33 7' });
    assert.deepEqual(parsePostcodeQuery('M337A'), { kind: 'prefix', prefix: 'M33 7A' });
    assert.deepEqual(parsePostcodeQuery('SW1A1'), { kind: 'prefix', prefix: 'SW1A 1' });
    assert.deepEqual(parsePostcodeQuery('M33A'), { kind: 'prefix', prefix: 'M3 3A' });
  });

  it('leaves names, road numbers and nonsense to the name search', () => {
    for (const input of [
      'Bradgate Road',
      'bradgate rd',
      '12 Bradgate Road',
      'A56',
      'M',
      'WA',
      'M33 7 Bradgate',
      'M33 77',
      'M33 7C',
      '',
    ]) {
      assert.equal(parsePostcodeQuery(input), null, input);
    }
  });
});
