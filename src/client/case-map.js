// The case page's map, for data-module="app-case-map": where the problem was reported, with a pin that
// stays put (officers read the place; they do not move it). Without JavaScript the page gives the place
// in words and coordinates, and this element stays hidden.
import * as L from 'leaflet';
import { createMap } from './lib/map.js';
import { numberAttribute } from './lib/helpers.js';

export function init(container) {
  const lat = numberAttribute(container, 'data-lat');
  const lon = numberAttribute(container, 'data-lon');
  if (lat === undefined || lon === undefined) throw new Error('app-case-map needs data-lat and data-lon');
  const map = createMap(container);
  map.setView([lat, lon], 17);
  L.marker([lat, lon], {
    keyboard: false,
    title: container.getAttribute('data-label') || 'Reported here',
  }).addTo(map);
  return map;
}
