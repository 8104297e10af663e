// Small helpers the components share. Bundled into each component by esbuild (scripts/build-assets.ts).
/* global fetch, AbortController, setTimeout, clearTimeout */

/** Text made safe to put in HTML (Leaflet popups and attributions, autocomplete suggestions take HTML). */
export function escapeHtml(text) {
  return String(text ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
}

/**
 * The map attribution setting (plain text, with links written as [text](https://...)) as HTML: the
 * text escaped, and only http(s) links made into links.
 */
export function attributionHtml(text) {
  const parts = [];
  const link = /\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g;
  let last = 0;
  for (let match = link.exec(text); match; match = link.exec(text)) {
    parts.push(escapeHtml(text.slice(last, match.index)));
    parts.push(`<a href="${escapeHtml(match[2])}">${escapeHtml(match[1])}</a>`);
    last = match.index + match[0].length;
  }
  parts.push(escapeHtml(text.slice(last)));
  return parts.join('');
}

/** A number from a data attribute, or undefined if it is missing or not a number. */
export function numberAttribute(element, name) {
  const value = element.getAttribute(name);
  if (value === null || value.trim() === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

/** "minLon,minLat,maxLon,maxLat" → [[minLat, minLon], [maxLat, maxLon]] for Leaflet, or undefined. */
export function boundsAttribute(element, name) {
  const value = element.getAttribute(name);
  if (!value) return undefined;
  const numbers = value.split(',').map(Number);
  if (numbers.length !== 4 || !numbers.every(Number.isFinite)) return undefined;
  const [minLon, minLat, maxLon, maxLat] = numbers;
  return [
    [minLat, minLon],
    [maxLat, maxLon],
  ];
}

/** A same-site path (not "//host"), so a link from JSON cannot lead off the site. */
export function isLocalPath(url) {
  return typeof url === 'string' && url.startsWith('/') && !url.startsWith('//') && !url.startsWith('/\\');
}

/**
 * Fetches JSON, cancelling the previous request made through the same `fetcher` (only the latest answer
 * matters when the map moves or the resident types). Resolves to undefined when superseded or failed.
 */
export function latestJson() {
  let controller;
  return async function fetcher(url) {
    if (controller) controller.abort();
    const mine = new AbortController();
    controller = mine;
    try {
      const response = await fetch(url, { headers: { accept: 'application/json' }, signal: mine.signal });
      if (!response.ok) return undefined;
      const body = await response.json();
      return controller === mine ? body : undefined;
    } catch {
      return undefined;
    }
  };
}

/** Calls `fn` once calls have stopped for `ms` milliseconds. */
export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Lat/lon with 6 decimal places (about 0.1 m), as the hidden inputs carry them. */
export function coordinate(value) {
  return (Math.round(value * 1e6) / 1e6).toFixed(6);
}
