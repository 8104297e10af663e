import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, mapTileSource, mapTileUrlProblem } from './config.js';

describe('map tile settings', () => {
  it('default to OpenStreetMap, its credit and its closest zoom', () => {
    const config = loadConfig({});
    assert.equal(config.CIVICDESK_MAP_TILE_URL, 'https://tile.openstreetmap.org/{z}/{x}/{y}.png');
    assert.match(config.CIVICDESK_MAP_ATTRIBUTION, /OpenStreetMap contributors/);
    assert.equal(config.CIVICDESK_MAP_MAX_ZOOM, 19);
  });

  it('accept https and http templates, subdomains, retina tiles and paths on this site', () => {
    for (const url of [
      'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
      'https://{s}.tile.example.org/{z}/{x}/{y}{r}.png?key=abc',
      'http://localhost:8080/tiles/{z}/{x}/{y}.png',
      '/tiles/{z}/{x}/{y}.png',
    ]) {
      assert.equal(mapTileUrlProblem(url), undefined, url);
    }
  });

  it('refuse templates without the placeholders, other schemes, or placeholders elsewhere in the host', () => {
    assert.match(mapTileUrlProblem('https://tile.example.org/{z}/{x}.png')!, /no \{y\}/);
    assert.match(mapTileUrlProblem('ftp://tile.example.org/{z}/{x}/{y}.png')!, /https/);
    assert.match(mapTileUrlProblem('//tile.example.org/{z}/{x}/{y}.png')!, /https/);
    assert.match(mapTileUrlProblem('https://tile.{s}.example.org/{z}/{x}/{y}.png')!, /only \{s\}/);
    assert.match(mapTileUrlProblem('https://user@tile.example.org/{z}/{x}/{y}.png')!, /only \{s\}/);
    assert.throws(
      () => loadConfig({ CIVICDESK_MAP_TILE_URL: 'https://tile.example.org/tiles.png' }),
      (error: unknown) =>
        error instanceof ConfigError && error.problems.some((p) => p.startsWith('CIVICDESK_MAP_TILE_URL:')),
    );
    assert.throws(() => loadConfig({ CIVICDESK_MAP_MAX_ZOOM: '30' }), ConfigError);
  });

  it('give the Content Security Policy the tile host alone', () => {
    assert.equal(
      mapTileSource('https://tile.openstreetmap.org/{z}/{x}/{y}.png'),
      'https://tile.openstreetmap.org',
    );
    assert.equal(mapTileSource('https://{s}.Tile.Example.org/{z}/{x}/{y}.png'), 'https://*.tile.example.org');
    assert.equal(mapTileSource('http://localhost:8080/t/{z}/{x}/{y}.png'), 'http://localhost:8080');
    assert.equal(mapTileSource('/tiles/{z}/{x}/{y}.png'), "'self'");
  });
});
