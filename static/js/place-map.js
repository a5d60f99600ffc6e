/*
 * The small map of a place profile (templates/site/includes/place_map.html).
 *
 * Everything the map needs comes from data- attributes of its container: coordinates,
 * zoom, tile URL (settings.MAP_TILE_URL) and attribution. The page holds no inline
 * script, so that a Content-Security-Policy can allow scripts from files only.
 */
(function () {
  "use strict";

  function drawMap(container) {
    var latitude = parseFloat(container.dataset.latitude);
    var longitude = parseFloat(container.dataset.longitude);
    var zoom = parseInt(container.dataset.zoom, 10) || 10;
    if (!isFinite(latitude) || !isFinite(longitude) || !container.dataset.tileUrl) {
      return;
    }
    var map = L.map(container, { scrollWheelZoom: false }).setView([latitude, longitude], zoom);
    L.tileLayer(container.dataset.tileUrl, {
      maxZoom: 19,
      attribution: container.dataset.attribution || ""
    }).addTo(map);
    L.marker([latitude, longitude], {
      title: container.dataset.label || "",
      alt: container.dataset.label || ""
    }).addTo(map);
  }

  function drawAll() {
    if (typeof L === "undefined") {
      return;
    }
    document.querySelectorAll(".place-map[data-tile-url]").forEach(drawMap);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
