// What every Civicdesk map has: Leaflet in a labelled region, the configured tiles with their credit,
// and the zoom buttons. Shared by location-map.js and area-map.js (each bundles its own copy).
import * as L from 'leaflet';
import { attributionHtml, numberAttribute } from './helpers.js';

export const DEFAULT_TILE_URL = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';

/**
 * Makes `container` a Leaflet map from its data attributes: data-tile-url, data-attribution,
 * data-max-zoom, data-label (the map's accessible name; default "Map").
 */
export function createMap(container, options = {}) {
  const maxZoom = numberAttribute(container, 'data-max-zoom') ?? 19;
  container.classList.add('app-map');
  // A named region, so the map has a name when the keyboard reaches it (Leaflet makes it focusable so
  // the arrow keys can pan it).
  container.setAttribute('role', 'region');
  container.setAttribute('aria-label', container.getAttribute('data-label') || 'Map');

  const map = L.map(container, { maxZoom, ...options });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  // Without tiles (no network, or the tile server is down) the map is plain grey and still works: the
  // pin, the clicks and the form do not depend on them.
  L.tileLayer(container.getAttribute('data-tile-url') || DEFAULT_TILE_URL, {
    maxZoom,
    attribution: attributionHtml(container.getAttribute('data-attribution') || ''),
  }).addTo(map);
  return map;
}
