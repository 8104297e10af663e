// An area's boundary on a map, for data-module="app-area-map" on the admin area page. Reads the GeoJSON
// from data-geojson-url and fits the map to it (to data-bounds, "minLon,minLat,maxLon,maxLat", until it
// has loaded). Without JavaScript the page shows the bounding box and a download link instead.
import * as L from 'leaflet';
import { createMap } from './lib/map.js';
import { boundsAttribute, latestJson } from './lib/helpers.js';

export async function init(container) {
  const map = createMap(container);
  const bounds = boundsAttribute(container, 'data-bounds');
  if (bounds) map.fitBounds(bounds, { padding: [20, 20] });
  else map.setView([54.2, -2.6], 5);

  const status = document.createElement('p');
  status.className = 'govuk-body app-map__status';
  status.setAttribute('role', 'status');
  container.after(status);

  const url = container.getAttribute('data-geojson-url');
  const feature = url ? await latestJson()(url) : undefined;
  if (!feature || !feature.geometry) {
    status.textContent = 'The boundary could not be drawn. Download it below to see it in a GIS.';
    return { map };
  }
  const layer = L.geoJSON(feature, {
    interactive: false,
    style: { color: '#1d70b8', weight: 3, fillColor: '#1d70b8', fillOpacity: 0.15 },
  }).addTo(map);
  map.fitBounds(layer.getBounds(), { padding: [20, 20] });
  container.setAttribute('data-loaded', 'true');
  return { map, layer };
}
