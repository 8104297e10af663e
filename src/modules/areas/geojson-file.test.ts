import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { describeJsonError, readGeoJsonFile } from './geojson-file.js';

describe('describeJsonError', () => {
  it('points at the first character that cannot be JSON', () => {
    assert.equal(
      describeJsonError('{\n  "type": "FeatureCollection",\n  "features": [,]\n}'),
      'unexpected "," at line 3, column 16',
    );
    assert.equal(describeJsonError('{"a": 1,}'), 'unexpected "}" at line 1, column 9');
    assert.equal(describeJsonError('{"a": [1, 2]'), 'the file ends before the JSON does');
    assert.equal(describeJsonError('{"a": tru}'), 'unexpected "t" at line 1, column 7');
    assert.equal(describeJsonError('{"a": "x\\q"}'), 'unexpected "q" at line 1, column 10');
    assert.equal(describeJsonError('{} {}'), 'unexpected "{" at line 1, column 4');
    assert.equal(describeJsonError("{'a': 1}"), `unexpected "'" at line 1, column 2`);
  });

  it('finds nothing wrong with valid JSON', () => {
    assert.equal(describeJsonError('{"a": [1, -2.5e3, true, null, "\\u00e9\\n"], "b": {}}'), undefined);
  });
});

describe('readGeoJsonFile', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'civicdesk-geojson-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('parses a file, ignoring a byte order mark', async () => {
    const file = path.join(dir, 'bom.geojson');
    fs.writeFileSync(file, '\uFEFF{"type": "FeatureCollection", "features": []}');
    assert.deepEqual(await readGeoJsonFile(file), {
      ok: true,
      value: { type: 'FeatureCollection', features: [] },
    });
  });

  it('explains a missing file, a folder and bad JSON', async () => {
    assert.deepEqual(await readGeoJsonFile(path.join(dir, 'none.geojson')), {
      ok: false,
      message: `cannot read ${path.join(dir, 'none.geojson')}: there is no such file`,
    });
    assert.deepEqual(await readGeoJsonFile(dir), {
      ok: false,
      message: `cannot read ${dir}: it is a folder, not a file`,
    });
    const file = path.join(dir, 'bad.geojson');
    fs.writeFileSync(file, '{"type": "FeatureCollection",\n"features": [}');
    assert.deepEqual(await readGeoJsonFile(file), {
      ok: false,
      message: `${file} is not valid JSON: unexpected "}" at line 2, column 14`,
    });
  });
});
