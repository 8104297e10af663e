// Progressive enhancement only: every page works without this file.
//
// The one script every page loads. It starts GOV.UK Frontend's components, then finds our own
// components (data-module="app-...") and loads each one's script only on pages that have it, so the map
// library is never downloaded for a page without a map. Each component script exports init(element).
// GOV.UK Frontend is served as its own file (not bundled here), so it is cached apart from our code.
import { initAll } from '/static/govuk/govuk-frontend.min.js';

initAll();

const COMPONENTS = {
  'app-location-map': '/static/location-map.js',
  'app-place-autocomplete': '/static/place-autocomplete.js',
  'app-area-map': '/static/area-map.js',
  'app-case-map': '/static/case-map.js',
};

for (const element of document.querySelectorAll('[data-module^="app-"]')) {
  const name = element.getAttribute('data-module');
  const url = COMPONENTS[name];
  if (!url || element.hasAttribute('data-app-init')) continue;
  element.setAttribute('data-app-init', 'loading');
  import(url)
    .then((component) => component.init(element))
    .then(
      () => element.setAttribute('data-app-init', 'ready'),
      (error) => {
        // The page still works as it would without JavaScript.
        element.setAttribute('data-app-init', 'failed');
        console.error(`${name} could not start:`, error);
      },
    );
}
