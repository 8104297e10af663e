// "Where is it?": a map with a pin the resident moves to the spot, for data-module="app-location-map".
// The page works without it (search, then choose from a list); see README.md in this folder for the
// markup it expects and the events it sends and receives.
/* global navigator, CustomEvent */
import * as L from 'leaflet';
import { createMap } from './lib/map.js';
import {
  boundsAttribute,
  coordinate,
  debounce,
  escapeHtml,
  isLocalPath,
  latestJson,
  numberAttribute,
} from './lib/helpers.js';

/** Sent to the map element to move the pin: detail { lat, lon }. */
export const MOVE_EVENT = 'app-location-map:move';
/** Sent from the map element whenever the pin moves: detail { lat, lon } (the values put in the form). */
export const CHANGE_EVENT = 'app-location-map:change';

const PIN_ZOOM = 17;
/** With no pin and no bounds: the whole of Great Britain. */
const GREAT_BRITAIN = { center: [54.2, -2.6], zoom: 5 };
/** Pixels an arrow key moves the pin; with Shift held, five times as far. */
const STEP = 10;
/** Existing reports are fetched only this close in (at lower zooms the box would cover a county). */
const NEARBY_MIN_ZOOM = 13;

const GEOLOCATION_ERRORS = {
  1: 'You have not allowed this site to use your location. Search for the place or move the pin on the map instead.',
  2: 'Your location is not available at the moment. Search for the place or move the pin on the map instead.',
  3: 'Finding your location took too long. Try again, or search for the place or move the pin on the map instead.',
};

let instances = 0;

/** "Pin placed near Bradgate Road, Sale", from the reverse lookup's answer. */
export function pinSentence(lead, place) {
  const description = place && place.description;
  if (!description) return `${lead} on the map`;
  if (/^Near /.test(description)) return `${lead} near ${description.slice(5)}`;
  if (place.address && place.address === description) return `${lead} at ${description}`;
  return `${lead} near ${description}`;
}

export function init(container) {
  const id = container.id || `app-location-map-${++instances}`;
  container.id = id;
  const form = document.getElementById(container.getAttribute('data-form') || 'location-form');
  const latInput = form && form.elements.namedItem('lat');
  const lonInput = form && form.elements.namedItem('lon');
  if (!latInput || !lonInput) {
    throw new Error(`${id}: no form #location-form with "lat" and "lon" inputs for the map to fill in`);
  }
  const reverseUrl = container.getAttribute('data-reverse-url') || '/api/v1/places/reverse';
  const nearbyUrl = container.getAttribute('data-nearby-url');

  // What the resident can do with the map, said before it; the controls and the live status after.
  const hint = document.createElement('p');
  hint.className = 'govuk-hint';
  hint.id = `${id}-hint`;
  hint.textContent =
    'Drag the pin, or click or tap the map, to show exactly where it is. With a keyboard, select the pin ' +
    'and move it with the arrow keys, or select the map, move it with the arrow keys and press Enter to ' +
    'put the pin in the middle.';
  container.before(hint);
  const controls = document.createElement('div');
  controls.className = 'app-map__controls';
  container.after(controls);
  const status = document.createElement('p');
  status.className = 'govuk-body app-map__status';
  status.id = `${id}-status`;
  status.setAttribute('role', 'status');
  controls.after(status);

  container.setAttribute('aria-describedby', hint.id);
  const map = createMap(container);

  function say(text, isError = false) {
    status.textContent = text;
    status.classList.toggle('app-map__status--error', isError);
  }

  // ------------------------------------------------------------------ the pin
  let pin;
  const reverse = latestJson();
  let lookups = 0;
  const describe = debounce(async (latlng, lead) => {
    const mine = ++lookups;
    const place = await reverse(`${reverseUrl}?lat=${coordinate(latlng.lat)}&lon=${coordinate(latlng.lng)}`);
    if (mine === lookups) say(pinSentence(lead, place));
  }, 400);

  function setPin(where, { announce = true, lead = 'Pin placed' } = {}) {
    const latlng = L.latLng(where);
    if (!pin) {
      pin = L.marker(latlng, {
        draggable: true,
        keyboard: true,
        title: 'Location pin',
        alt: 'Location pin',
        zIndexOffset: 1000,
      }).addTo(map);
      pin.on('dragend', () => setPin(pin.getLatLng()));
      const element = pin.getElement();
      element.setAttribute('aria-describedby', hint.id);
      element.addEventListener('keydown', onPinKey);
    } else {
      pin.setLatLng(latlng);
    }
    latInput.value = coordinate(latlng.lat);
    lonInput.value = coordinate(latlng.lng);
    container.dispatchEvent(
      new CustomEvent(CHANGE_EVENT, { bubbles: true, detail: { lat: latlng.lat, lon: latlng.lng } }),
    );
    if (announce) describe(latlng, lead);
  }

  const ARROWS = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };
  function onPinKey(event) {
    const direction = ARROWS[event.key];
    if (!direction) return;
    // The pin's own keys: the map must not pan as well.
    event.preventDefault();
    event.stopPropagation();
    const step = event.shiftKey ? STEP * 5 : STEP;
    const point = map.latLngToContainerPoint(pin.getLatLng()).add([direction[0] * step, direction[1] * step]);
    const latlng = map.containerPointToLatLng(point);
    setPin(latlng);
    map.panInside(latlng, { padding: [30, 30] });
  }

  map.on('click', (event) => setPin(event.latlng));
  // The map itself focused (not the pin or a button on it): Enter or Space puts the pin in the middle.
  container.addEventListener('keydown', (event) => {
    if (event.target !== container || (event.key !== 'Enter' && event.key !== ' ')) return;
    event.preventDefault();
    setPin(map.getCenter());
  });
  // From the place search (place-autocomplete.js) or the page's own code.
  container.addEventListener(MOVE_EVENT, (event) => {
    const { lat, lon } = event.detail || {};
    if (!Number.isFinite(lat) || !Number.isFinite(lon)) return;
    map.setView([lat, lon], Math.max(map.getZoom(), PIN_ZOOM));
    setPin([lat, lon]);
  });

  // ------------------------------------------------------------------ where to start
  const startLat = numberAttribute(container, 'data-lat') ?? numberAttribute(latInput, 'value');
  const startLon = numberAttribute(container, 'data-lon') ?? numberAttribute(lonInput, 'value');
  const bounds = boundsAttribute(container, 'data-bounds');
  if (startLat !== undefined && startLon !== undefined) {
    map.setView([startLat, startLon], numberAttribute(container, 'data-zoom') ?? PIN_ZOOM);
    setPin([startLat, startLon], { announce: false });
  } else if (bounds) {
    map.fitBounds(bounds);
  } else {
    map.setView(GREAT_BRITAIN.center, numberAttribute(container, 'data-zoom') ?? GREAT_BRITAIN.zoom);
  }

  // ------------------------------------------------------------------ use my location
  if (navigator.geolocation) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'govuk-button govuk-button--secondary';
    button.textContent = 'Use my location';
    button.addEventListener('click', () => {
      say('Finding your location…');
      navigator.geolocation.getCurrentPosition(
        (position) => {
          const latlng = [position.coords.latitude, position.coords.longitude];
          map.setView(latlng, Math.max(map.getZoom(), PIN_ZOOM));
          setPin(latlng, { lead: 'Pin placed at your location,' });
        },
        (error) => say(GEOLOCATION_ERRORS[error.code] || GEOLOCATION_ERRORS[2], true),
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
      );
    });
    controls.append(button);
  }

  // ------------------------------------------------------------------ reports already made nearby
  if (nearbyUrl) {
    const reports = L.layerGroup().addTo(map);
    const fetchNearby = latestJson();
    const icon = L.divIcon({ className: 'app-map__report-marker', iconSize: [20, 20] });
    const load = debounce(async () => {
      if (map.getZoom() < NEARBY_MIN_ZOOM) {
        reports.clearLayers();
        return;
      }
      const view = map.getBounds();
      const url = new URL(nearbyUrl, document.baseURI);
      url.searchParams.set(
        'bbox',
        [view.getWest(), view.getSouth(), view.getEast(), view.getNorth()].map(coordinate).join(','),
      );
      const body = await fetchNearby(url.toString());
      if (!body || !Array.isArray(body.reports)) return;
      reports.clearLayers();
      for (const report of body.reports) {
        if (!Number.isFinite(report.lat) || !Number.isFinite(report.lon)) continue;
        const name = `Reported already: ${report.serviceName} (${report.reference}), ${report.status}`;
        const marker = L.marker([report.lat, report.lon], { icon, keyboard: true, title: name }).addTo(
          reports,
        );
        marker.getElement().setAttribute('aria-label', name);
        marker.bindPopup(
          `<p class="govuk-body-s govuk-!-margin-bottom-1"><strong>${escapeHtml(report.serviceName)}</strong></p>` +
            `<p class="govuk-body-s govuk-!-margin-bottom-1">${escapeHtml(report.status)}</p>` +
            (isLocalPath(report.url)
              ? `<p class="govuk-body-s govuk-!-margin-bottom-0"><a class="govuk-link" href="${escapeHtml(report.url)}">${escapeHtml(report.reference)}</a></p>`
              : `<p class="govuk-body-s govuk-!-margin-bottom-0">${escapeHtml(report.reference)}</p>`),
        );
      }
    }, 250);
    map.on('moveend', load);
    load();
  }

  return { map, setPin };
}
