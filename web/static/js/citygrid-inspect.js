/* The inspector's form: a small Leaflet map where a tap (or the phone's position) fills in
   the longitude and latitude of the problem, over the places of the inspector's scope. */
(function () {
  "use strict";

  function start() {
    const box = document.getElementById("pick-map");
    if (!box || !window.L) {
      return;
    }
    const lon = document.getElementById("lon");
    const lat = document.getElementById("lat");
    const map = L.map(box, { zoomSnap: 0.25 });
    const places = JSON.parse(box.dataset.places || "null");
    const bbox = box.dataset.bbox ? JSON.parse(box.dataset.bbox) : null;
    if (places && places.features.length) {
      L.geoJSON(places, {
        style: { color: "#1f78b4", weight: 3, opacity: 0.8 },
        pointToLayer: (feature, at) =>
          L.circleMarker(at, { radius: 5, color: "#1f78b4", fillOpacity: 0.6 }),
        onEachFeature: (feature, layer) => layer.bindTooltip(feature.properties.name),
      }).addTo(map);
    }
    if (bbox) {
      map.fitBounds([[bbox[1], bbox[0]], [bbox[3], bbox[2]]]);
      L.rectangle([[bbox[1], bbox[0]], [bbox[3], bbox[2]]], {
        color: "#555", weight: 1, fill: false, dashArray: "4 4", interactive: false,
      }).addTo(map);
    } else {
      map.setView([35, 105], 4);
    }
    let marker = null;

    function place(latitude, longitude, fill) {
      if (marker) {
        marker.setLatLng([latitude, longitude]);
      } else {
        marker = L.circleMarker([latitude, longitude], {
          radius: 8, color: "#b00020", fillColor: "#e31a1c", fillOpacity: 0.9,
          className: "citygrid-picked",
        }).addTo(map);
      }
      if (fill) {
        lon.value = longitude.toFixed(6);
        lat.value = latitude.toFixed(6);
      }
    }

    map.on("click", (event) => place(event.latlng.lat, event.latlng.lng, true));
    for (const input of [lon, lat]) {
      input.addEventListener("change", () => {
        const x = Number(lon.value), y = Number(lat.value);
        if (lon.value && lat.value && Number.isFinite(x) && Number.isFinite(y)) {
          place(y, x, false);
          map.panTo([y, x]);
        }
      });
    }
    if (lon.value && lat.value) {
      place(Number(lat.value), Number(lon.value), false);
    }

    const locate = document.getElementById("locate");
    const failed = document.getElementById("locate-error");
    locate.addEventListener("click", () => {
      failed.hidden = true;
      if (!navigator.geolocation) {
        failed.textContent = failed.dataset.message;
        failed.hidden = false;
        return;
      }
      navigator.geolocation.getCurrentPosition(
        (position) => {
          place(position.coords.latitude, position.coords.longitude, true);
          map.setView([position.coords.latitude, position.coords.longitude], 17);
        },
        () => {
          failed.textContent = failed.dataset.message;
          failed.hidden = false;
        },
        { enableHighAccuracy: true, timeout: 10000 },
      );
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
