import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FormErrors } from '../../lib/forms.js';
import type { Service } from '../services/services.service.js';
import {
  choosePlace,
  chooseService,
  searchPlaces,
  type PlaceLookups,
  type ReportDraft,
} from './journey-steps.js';

const service = (code: string) => ({ code, name: code }) as Service;

/** Two places: the mill (potholes and bins) and the park (bins only); anywhere else is outside. */
const PLACES: Record<string, { lat: number; lon: number; label: string; offers: string[] }> = {
  mill: { lat: 53.45, lon: -2.35, label: 'Mill Lane, Sale', offers: ['pothole', 'bins'] },
  park: { lat: 53.46, lon: -2.3, label: 'Walton Park, Sale', offers: ['bins'] },
};

const lookups: PlaceLookups = {
  gazetteer: {
    search: async (q) =>
      Object.entries(PLACES)
        .filter(([, p]) => p.label.toLowerCase().includes(q.trim().toLowerCase()))
        .map(([id, p]) => ({ id, label: p.label, detail: 'Street' })),
    find: async (id) => PLACES[id] ?? null,
    describePoint: async () => null,
  },
  routing: {
    servicesAt: async (lon, lat) => ({
      services: (Object.values(PLACES).find((p) => p.lat === lat && p.lon === lon)?.offers ?? []).map(
        service,
      ),
    }),
    outsideAreaContact: async () => ({ message: 'This is not in our area: contact the county' }),
  },
};

describe('choosePlace', () => {
  it('asks for a search, then for a choice from the list, before anything is set', async () => {
    const draft: ReportDraft = {};
    const nothing = await choosePlace(lookups, draft, {}, { pin: true });
    assert.deepEqual(nothing?.summary, [{ text: 'Enter a postcode, street or place', href: '#q' }]);
    const unchosen = await choosePlace(lookups, draft, { q: 'Mill' }, { pin: true });
    assert.deepEqual(unchosen?.summary, [{ text: 'Select the place from the list', href: '#place' }]);
    assert.deepEqual(draft, {});
  });

  it('refuses a place no service is offered at, with the council’s message', async () => {
    const draft: ReportDraft = {};
    const outside = await choosePlace(lookups, draft, { lat: '51.5', lon: '-0.12' }, { pin: true });
    assert.deepEqual(outside?.summary, [{ text: 'This is not in our area: contact the county', href: '#q' }]);
    assert.equal(draft.lat, undefined);
  });

  it('takes a pin only in a channel that has a map', async () => {
    const pin = { lat: '53.45', lon: '-2.35' };
    const web: ReportDraft = {};
    assert.equal(await choosePlace(lookups, web, pin, { pin: true }), undefined);
    assert.deepEqual(web, { lat: 53.45, lon: -2.35, placeLabel: 'The place marked on the map' });
    const phone: ReportDraft = {};
    assert.ok(await choosePlace(lookups, phone, pin, { pin: false }));
    assert.deepEqual(phone, {});
  });

  it('sends a report whose place moved out of its service’s area back to choosing the service', async () => {
    const draft: ReportDraft = { serviceCode: 'pothole', nearbyChecked: true };
    assert.equal(await choosePlace(lookups, draft, { q: 'Mill', place: 'mill' }, { pin: false }), undefined);
    assert.equal(draft.serviceCode, 'pothole');
    assert.equal(draft.nearbyChecked, false, 'a new place has other reports nearby');
    draft.nearbyChecked = true;
    assert.equal(await choosePlace(lookups, draft, { q: 'Mill', place: 'mill' }, { pin: false }), undefined);
    assert.equal(draft.nearbyChecked, true, 'the same place keeps its nearby check');
    assert.equal(
      await choosePlace(lookups, draft, { q: 'Walton', place: 'park' }, { pin: false }),
      undefined,
    );
    assert.equal(draft.placeLabel, 'Walton Park, Sale');
    assert.equal(draft.serviceCode, undefined, 'potholes are not reported in the park');
  });
});

/** A draft placed at one of the places. */
const at = (place: string): ReportDraft => ({ lat: PLACES[place]!.lat, lon: PLACES[place]!.lon });

describe('chooseService', () => {
  it('takes only a service offered at the place, and starts its answers again when it changes', async () => {
    const draft: ReportDraft = {
      ...PLACES.mill,
      answers: { depth: '10' },
      nearbyChecked: true,
      reachedCheck: true,
    };
    assert.equal(await chooseService(lookups, at('park'), 'pothole'), false);
    assert.equal(await chooseService(lookups, draft, 'pothole'), true);
    assert.deepEqual(draft.answers, {});
    assert.equal(draft.nearbyChecked, false);
    assert.equal(draft.reachedCheck, false);
    draft.answers = { depth: '10' };
    assert.equal(await chooseService(lookups, draft, 'pothole'), true);
    assert.deepEqual(draft.answers, { depth: '10' }, 'choosing the same service again keeps its answers');
  });

  it('adds nothing to a draft that keeps no answers (the phone report)', async () => {
    const draft: ReportDraft = { ...at('mill'), serviceCode: 'bins' };
    assert.equal(await chooseService(lookups, draft, 'pothole'), true);
    assert.deepEqual(Object.keys(draft).sort(), ['lat', 'lon', 'serviceCode']);
  });

  it('offers nothing before a place is chosen', async () => {
    assert.equal(await chooseService(lookups, {}, 'pothole'), false);
  });
});

describe('searchPlaces', () => {
  it('lists matches, and says why a search found nothing in the channel’s words', async () => {
    const errors = new FormErrors();
    const found = await searchPlaces(lookups, 'mill', errors, 'Try a street name');
    assert.deepEqual(found, [{ value: 'mill', text: 'Mill Lane, Sale', hint: { text: 'Street' } }]);
    assert.equal(errors.any, false);
    await searchPlaces(lookups, 'x', errors, 'Try a street name');
    assert.deepEqual(errors.byField.q, {
      text: 'Enter at least 2 characters of a postcode, street or place',
    });
    const none = new FormErrors();
    await searchPlaces(lookups, ' Nowhere ', none, 'Try a street name');
    assert.deepEqual(none.byField.q, { text: 'No places match ‘Nowhere’. Try a street name' });
  });
});
