/* Progressive enhancement for maps: pages render a plain list of places first; this adds a
   Leaflet map when the script loads. Tiles come from the configured tile server; when none
   load the pins still show on a blank background.

   <div class="map" data-map data-centre="lat,lng" data-zoom="14" data-points="points-id"
        data-pick-lat="id_lat" data-pick-lng="id_lng" data-tiles="url" data-attribution="…"></div>
   <script type="application/json" id="points-id">[{"lat":..,"lng":..,"title":..,"url":..,"kind":..}]</script>
*/
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }
  L.Icon.Default.imagePath = document.querySelector("link[data-leaflet-images]")?.href || L.Icon.Default.imagePath;

  function escapeText(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span.innerHTML;
  }

  document.querySelectorAll("[data-map]").forEach(function (el) {
    var centre = (el.dataset.centre || "0,0").split(",").map(Number);
    var map = L.map(el, { scrollWheelZoom: false }).setView(centre, Number(el.dataset.zoom || 14));
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution || "" }).addTo(map);
    }
    el.setAttribute("role", "region");
    var points = [];
    if (el.dataset.points) {
      var source = document.getElementById(el.dataset.points);
      points = source ? JSON.parse(source.textContent) : [];
    }
    var bounds = [];
    points.forEach(function (p) {
      var marker = L.circleMarker([p.lat, p.lng], {
        radius: 8, weight: 2, color: p.kind === "request" ? "#9c3d00" : "#1d6b4f", fillOpacity: 0.7
      }).addTo(map);
      var label = p.url ? '<a href="' + encodeURI(p.url) + '">' + escapeText(p.title) + "</a>" : escapeText(p.title);
      marker.bindPopup(label);
      marker.bindTooltip(escapeText(p.title));
      bounds.push([p.lat, p.lng]);
    });
    if (bounds.length > 1 && !el.dataset.keepView) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 16 }); }

    if (el.dataset.pickLat && el.dataset.pickLng) {
      var lat = document.getElementById(el.dataset.pickLat);
      var lng = document.getElementById(el.dataset.pickLng);
      var picked = null;
      function show(latlng) {
        if (picked) { picked.setLatLng(latlng); } else { picked = L.marker(latlng).addTo(map); }
      }
      if (lat && lng && lat.value && lng.value) { show([Number(lat.value), Number(lng.value)]); }
      // People's places are rounded to about 100 m before they leave the browser (DESIGN
      // rule 7); a problem's place (data-pick-digits="5", about 1 m) is not a person's.
      var digits = Number(el.dataset.pickDigits || 3);
      map.on("click", function (e) {
        lat.value = e.latlng.lat.toFixed(digits);
        lng.value = e.latlng.lng.toFixed(digits);
        show(e.latlng);
      });
    }
  });
})();
