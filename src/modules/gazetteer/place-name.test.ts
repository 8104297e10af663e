import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandAbbreviations, MAX_NAME_LENGTH, searchForm } from './place-name.js';

describe('searchForm', () => {
  it('writes out street-type abbreviations, so the short and long forms meet', () => {
    const same: [string, string][] = [
      ['Bradgate Rd', 'Bradgate Road'],
      ['bradgate rd.', 'BRADGATE ROAD'],
      ['Church St', 'Church Street'],
      ['Manor Ave', 'Manor Avenue'],
      ['Moss Ln', 'Moss Lane'],
      ['Kings Dr', 'Kings Drive'],
      ['Elm Cl', 'Elm Close'],
      ['Park Cres', 'Park Crescent'],
      ['Oak Gdns', 'Oak Gardens'],
      ['Hale Pl', 'Hale Place'],
      ['Market Sq', 'Market Square'],
      ['Bradgate Rd Sale', 'Bradgate Road, Sale'],
    ];
    for (const [short, long] of same) assert.equal(searchForm(short), searchForm(long), short);
    assert.equal(searchForm('Bradgate Rd'), 'bradgate road');
  });

  it('reads "St" at the start as Saint, and writes Saint as "st"', () => {
    assert.equal(searchForm('St Johns Road'), 'st johns road');
    assert.equal(searchForm("St. John's Rd"), 'st johns road');
    assert.equal(searchForm('Saint Johns Road'), 'st johns road');
    assert.equal(searchForm('St Marys St'), 'st marys street');
  });

  it('drops case, accents and punctuation, and tidies spaces', () => {
    assert.equal(searchForm('  Café   Row;  '), 'cafe row');
    assert.equal(searchForm('Smith & Sons Yard'), 'smith and sons yard');
    assert.equal(searchForm('12, Bradgate Road, Sale, M33 4AB'), '12 bradgate road sale m33 4ab');
    assert.equal(searchForm("'); drop table place; --"), 'drop table place');
    assert.equal(searchForm('   '), '');
  });

  it('is bounded in length', () => {
    assert.ok(searchForm('a'.repeat(10_000)).length <= MAX_NAME_LENGTH);
  });
});

describe('expandAbbreviations', () => {
  it('writes out abbreviations for display and keeps the rest as given', () => {
    assert.equal(expandAbbreviations('Bradgate Rd'), 'Bradgate Road');
    assert.equal(expandAbbreviations('CHURCH ST.'), 'CHURCH STREET');
    assert.equal(expandAbbreviations('St Johns  Rd'), 'St Johns Road');
    assert.equal(expandAbbreviations('Moorside Road'), 'Moorside Road');
    assert.equal(expandAbbreviations('the Cres'), 'the Crescent');
  });
});
