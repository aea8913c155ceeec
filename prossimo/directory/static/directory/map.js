// The directory's map: draws the points of the page (JSON in `data-points`) with Leaflet. The page is a
// complete list without it; this file only adds the map, and "Show on the map" links in the
// list. When no tile can be loaded, the map is hidden again and a notice points to the list.
(function () {
  "use strict";

  var INFORMAL_ICON_CLASS = "directory-marker-informal";

  function readPoints(container) {
    try { return JSON.parse(container.getAttribute("data-points") || "[]") || []; } catch (e) {
      return [];
    }
  }

  // Popups are built from DOM nodes with text only: names and addresses come from data
  // imported from other directories and are never read as HTML.
  function text(tag, value, className) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (className) { el.className = className; }
    return el;
  }

  function popupFor(point) {
    var box = document.createElement("div");
    box.className = "directory-popup";
    if (point.url) {
      var title = text("a", point.title);
      title.href = point.url;
      title.className = "fw-semibold";
      box.appendChild(title);
    } else {
      box.appendChild(text("strong", point.title));
    }
    if (point.subtitle) { box.appendChild(text("div", point.subtitle, "small")); }
    if (point.address) { box.appendChild(text("div", point.address, "small")); }
    if (point.items && point.items.length) {
      var list = document.createElement("ul");
      list.className = "list-unstyled mb-0 mt-1";
      point.items.forEach(function (item) {
        var li = document.createElement("li");
        var link = text("a", item.name);
        link.href = item.anchor;
        li.appendChild(link);
        list.appendChild(li);
      });
      box.appendChild(list);
    }
    return box;
  }

  function showUnavailable(block, container, map) {
    var notice = block.querySelector("#directory-map-unavailable");
    if (notice && !notice.textContent) {
      notice.textContent = notice.getAttribute("data-message");
      notice.className = "alert alert-info py-2 mt-2";
    }
    container.hidden = true;
    container.directoryMarkers = null;
    container.directoryMap = null;
    block.querySelectorAll(".visually-hidden-focusable").forEach(function (a) { a.hidden = true; });
    document.querySelectorAll("[data-map-point]").forEach(function (link) { link.hidden = true; });
    // Not while the tile layer is still firing its events.
    window.setTimeout(function () {
      map.remove();
      container.removeAttribute("style");
    }, 0);
  }

  function init(container) {
    if (container.hasAttribute("data-map-ready") || !window.L) { return; }
    var points = readPoints(container).filter(function (p) {
      return typeof p.lat === "number" && typeof p.lon === "number";
    });
    if (!points.length) { return; }
    container.setAttribute("data-map-ready", "");
    container.hidden = false;
    var block = container.closest("[data-map-block]") || container.parentNode;
    var map = L.map(container, { scrollWheelZoom: false });
    var tiles = L.tileLayer(container.getAttribute("data-tiles-url"), {
      attribution: container.getAttribute("data-tiles-attribution") || "",
      maxZoom: 19,
    });
    var loaded = 0;
    var failed = false;
    tiles.on("tileload", function () { loaded += 1; });
    tiles.on("tileerror", function () {
      // One tile failing among loaded ones is a hiccup; none loaded means no tile server.
      if (loaded === 0 && !failed) {
        failed = true;
        showUnavailable(block, container, map);
      }
    });
    tiles.addTo(map);

    var informalIcon = new L.Icon.Default({ className: INFORMAL_ICON_CLASS });
    var markers = {};
    var bounds = [];
    points.forEach(function (point) {
      var options = { alt: point.title, title: point.title, keyboard: true };
      if (point.kind === "informal") { options.icon = informalIcon; }
      var marker = L.marker([point.lat, point.lon], options).addTo(map);
      marker.bindPopup(popupFor(point));
      markers[point.key] = marker;
      bounds.push([point.lat, point.lon]);
    });
    if (bounds.length === 1) {
      map.setView(bounds[0], 15);
    } else {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
    }
    container.directoryMarkers = markers;
    container.directoryMap = map;

    document.querySelectorAll("[data-map-point]").forEach(function (link) {
      if (markers[link.getAttribute("data-map-point")]) { link.hidden = false; }
    });
  }

  function initAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var found = scope.matches && scope.matches("[data-directory-map]") ? [scope] : [];
    scope.querySelectorAll("[data-directory-map]").forEach(function (c) { found.push(c); });
    found.forEach(init);
  }

  // "Show on the map": centre the marker, open its popup and move the focus to it, so that
  // keyboard and screen-reader users continue from there (Enter on a marker opens it again).
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-map-point]") : null;
    if (!link) { return; }
    var container = document.getElementById("directory-map");
    var markers = container && !container.hidden && container.directoryMarkers;
    var marker = markers && markers[link.getAttribute("data-map-point")];
    if (!marker) { return; }
    event.preventDefault();
    var map = container.directoryMap;
    map.setView(marker.getLatLng(), Math.max(map.getZoom(), 15));
    container.scrollIntoView({ block: "nearest" });
    marker.openPopup();
    var icon = marker.getElement();
    if (icon) { icon.focus({ preventScroll: true }); }
  });

  // Before htmx replaces the results, free the map they hold; the new ones bring their own.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.querySelectorAll) { return; }
    target.querySelectorAll("[data-map-ready]").forEach(function (container) {
      if (container.directoryMap) {
        container.directoryMap.remove();
        container.directoryMap = null;
      }
      // htmx gives the new map container the old one's style while it settles: Leaflet's
      // styles would then be applied as an inline style attribute, which the CSP refuses.
      container.removeAttribute("style");
    });
  });
  document.addEventListener("htmx:load", function (event) { initAll(event.detail.elt); });
  initAll(document);
})();
