// Type-ahead for the place search box, for data-module="app-place-autocomplete" (on the <input>, or on an
// element around it). Suggestions come from GET /api/v1/places. Choosing one moves the pin when the page
// has a location map, or else submits the search form with the chosen place, as pressing the search
// button would. Without JavaScript the box is an ordinary search field. See README.md in this folder.
/* global CustomEvent, MutationObserver, setTimeout */
import accessibleAutocomplete from 'accessible-autocomplete';
import { coordinate, debounce, escapeHtml, latestJson } from './lib/helpers.js';

const MOVE_EVENT = 'app-location-map:move';
const MIN_LENGTH = 2;

export function init(element) {
  const input = element.matches('input') ? element : element.querySelector('input');
  if (!input || !input.id) throw new Error('app-place-autocomplete: no <input> with an id to enhance');
  const sourceUrl = element.getAttribute('data-source-url') || '/api/v1/places';
  const limit = element.getAttribute('data-limit') || '8';
  const form = input.form;

  const places = latestJson();
  const search = debounce(async (query, populate) => {
    const url = new URL(sourceUrl, document.baseURI);
    url.searchParams.set('q', query);
    url.searchParams.set('limit', limit);
    const body = await places(url.toString());
    if (body && Array.isArray(body.results)) populate(body.results);
  }, 200);

  // The library draws its own input inside a wrapper: it takes the place of ours, with the same id (so
  // the <label for> still names it), name and value.
  const wrapper = document.createElement('div');
  input.before(wrapper);
  const { id, name, value } = input;
  // What describes our box (its hint, and its error message after a failed search) must describe the
  // library's box too, or a screen reader no longer hears the error.
  const describedBy = (input.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
  const hasError = input.classList.contains('govuk-input--error');
  input.remove();

  accessibleAutocomplete({
    element: wrapper,
    id,
    name,
    defaultValue: value,
    minLength: MIN_LENGTH,
    showNoOptionsFound: true,
    confirmOnBlur: false,
    displayMenu: 'overlay',
    inputClasses: hasError ? 'govuk-input--error' : null,
    tNoResults: () => 'No places found',
    tStatusQueryTooShort: (n) => `Type in ${n} or more characters for places`,
    source: (query, populate) => {
      if (query.trim().length < MIN_LENGTH || query.length > 100) populate([]);
      else search(query, populate);
    },
    templates: {
      inputValue: (place) => (place && typeof place === 'object' ? place.label : (place ?? '')),
      suggestion: (place) =>
        place && typeof place === 'object'
          ? `${escapeHtml(place.label)}<span class="govuk-visually-hidden">,</span> ` +
            `<span class="app-autocomplete__detail">${escapeHtml(place.detail)}</span>`
          : escapeHtml(place),
    },
    onConfirm: (place) => {
      if (!place || typeof place !== 'object') return;
      const map = document.querySelector('[data-module="app-location-map"]');
      if (map) {
        // The form's inputs first, so the choice counts even if the map could not start.
        const locationForm = document.getElementById(map.getAttribute('data-form') || 'location-form');
        const lat = locationForm && locationForm.elements.namedItem('lat');
        const lon = locationForm && locationForm.elements.namedItem('lon');
        if (lat && lon) {
          lat.value = coordinate(place.lat);
          lon.value = coordinate(place.lon);
        }
        map.dispatchEvent(new CustomEvent(MOVE_EVENT, { detail: { lat: place.lat, lon: place.lon } }));
        return;
      }
      if (!form) return;
      // After the library has written the chosen label into the box.
      setTimeout(() => {
        const box = form.elements.namedItem(name);
        if (box) box.value = place.label;
        if (form.requestSubmit) form.requestSubmit();
        else form.submit();
      }, 0);
    },
  });
  const box = wrapper.querySelector('input');
  if (box && describedBy.length) keepDescribedBy(box, describedBy);
}

// The library renders aria-describedby itself (its own usage hint, dropped once the user types), so on
// every change it makes, our ids are put back.
function keepDescribedBy(box, ids) {
  const apply = () => {
    const current = (box.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
    const missing = ids.filter((id) => !current.includes(id));
    if (missing.length) box.setAttribute('aria-describedby', [...current, ...missing].join(' '));
  };
  apply();
  new MutationObserver(apply).observe(box, { attributes: true, attributeFilter: ['aria-describedby'] });
}
