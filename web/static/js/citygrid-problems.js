/*
 * citygrid map: the problem picture and the "who answers here" panel.
 * Loaded after citygrid-map.js; adds to L.citygrid (see citygrid/web/map_problems.py):
 *
 * L.citygrid.problemsLayer({url, title, lang, pane, zIndex, statuses: [{status, label,
 *   colour}], overdueColour, labels: [[property, label]], messages, aggregateBelowZoom}) fetches
 *   `${url}?bbox=...&zoom=Z&lang=L&<filters>` whenever the map stops moving or the problem
 *   filters change (L.citygrid.setFilters); the bbox is widened to whole tiles of the zoom,
 *   and a URL already drawn or under way is not asked again. Nor is a view that lies
 *   inside the area drawn last when that answer holds for it: counts per cell below
 *   `aggregateBelowZoom`, or every problem of the area (not truncated) at or above it, so
 *   panning and zooming within what is drawn asks the server nothing. The server answers with
 *   counts per grid cell (`aggregated: true`: drawn as labelled circles) or with the
 *   problems themselves: circles filled by status with a white ring (larger than the
 *   inventory's points), overdue ones ringed in black, popups with names; many of them are
 *   drawn on a canvas.
 * L.citygrid.problemsLegend({heading, statuses, overdue, overdueColour, count}).
 * L.citygrid.whoPanel({url, labels}): a click on the map asks `${url}?lon=..&lat=..`
 *   and shows the responsibility chain in a side panel (on "preclick": a feature with a
 *   popup stops the "click"; problems and popups themselves do not open it).
 *
 * Values from the server are put into the page with textContent, never as HTML.
 */
(function (L) {
  "use strict";

  var format = L.citygrid.format;
  var clamp = L.citygrid.clamp;
  var element = L.citygrid.element;

  var getJson = L.citygrid.getJson;

  /* One status line per key, at the bottom left (shared by this file's controls). */
  var Notes = L.Control.extend({
    options: { position: "bottomleft" },
    onAdd: function () {
      this._div = element("div", "citygrid-status citygrid-problems-status");
      this._div.style.display = "none";
      return this._div;
    },
    show: function (text, kind) {
      this._div.replaceChildren();
      if (text) {
        this._div.appendChild(element("div", "citygrid-status-" + kind, text));
      }
      this._div.style.display = text ? "" : "none";
    }
  });

  function popupContent(props, options) {
    var box = element("div", "citygrid-popup citygrid-problem-popup");
    var title = options.title + " · " + (props.catalogue_name || props.catalogue_code || props.code);
    box.appendChild(element("div", "citygrid-popup-title", title));
    var table = document.createElement("table");
    options.labels.forEach(function (row) {
      var name = row[0];
      var value = props[name];
      if ((name === "days_overdue" || name === "closed_at_text") && (value === null || value === undefined)) {
        return;
      }
      var tr = table.insertRow();
      tr.appendChild(element("th", "", row[1]));
      var shown = value === null || value === undefined || value === "" ? "—" : String(value);
      tr.insertCell().textContent = shown;
      if (name === "days_overdue") {
        tr.className = "citygrid-problem-overdue-row";
      }
    });
    box.appendChild(table);
    return box;
  }

  /* Which problems are drawn first, so that the later ones lie above: closed ones at the
   * bottom, then the open ones, the overdue on top (a city's many closed problems must
   * not hide the few that need work). */
  function drawRank(props) {
    if (props.overdue === true) {
      return 2;
    }
    return props.status === "closed" ? 0 : 1;
  }

  function countIcon(props, messages) {
    var size = Math.round(clamp(18 + 6 * Math.log(props.count + 1), 22, 64));
    var box = element("div", "citygrid-problem-count-inner");
    box.appendChild(element("span", "citygrid-problem-count-number", String(props.count)));
    if (props.overdue) {
      box.classList.add("citygrid-problem-count-overdue");
      box.title = format(messages.overdue, { count: props.overdue });
    }
    box.style.width = box.style.height = size + "px";
    return L.divIcon({ className: "citygrid-problem-count", html: box, iconSize: [size, size] });
  }

  /* The query of a problems URL without its view (bbox and zoom). */
  function withoutView(url) {
    var copy = new URL(url.href);
    copy.searchParams.delete("bbox");
    copy.searchParams.delete("zoom");
    return copy.href;
  }

  /* "minx,miny,maxx,maxy" (degrees) as LatLngBounds. */
  function bboxBounds(text) {
    var v = text.split(",").map(Number);
    return L.latLngBounds([v[1], v[0]], [v[3], v[2]]);
  }

  var ProblemsLayer = L.LayerGroup.extend({
    initialize: function (options) {
      L.LayerGroup.prototype.initialize.call(this, []);
      L.setOptions(this, options);
      this._colours = {};
      var self = this;
      options.statuses.forEach(function (s) { self._colours[s.status] = s.colour; });
      this._controller = null;
      this._url = null; // of the answer drawn or under way
      L.citygrid.register(this);
    },

    onAdd: function (map) {
      if (!map.getPane(this.options.pane)) {
        map.createPane(this.options.pane).style.zIndex = String(this.options.zIndex);
      }
      this._notes = new Notes().addTo(map);
      L.LayerGroup.prototype.onAdd.call(this, map);
      map.on("moveend", this._reload, this);
      L.citygrid.events.on("citygrid:filters", this._reload, this);
      var self = this;
      setTimeout(function () {
        if (self._map) {
          self._reload();
        }
      }, 0);
    },

    onRemove: function (map) {
      map.off("moveend", this._reload, this);
      L.citygrid.events.off("citygrid:filters", this._reload, this);
      if (this._controller) {
        this._controller.abort();
        this._controller = null;
      }
      this._url = null;
      this._drawn = null;
      this._notes.remove();
      L.LayerGroup.prototype.onRemove.call(this, map);
    },

    _reload: function () {
      var map = this._map;
      var opts = this.options;
      var url = L.citygrid.withQuery(new URL(opts.url, window.location.href), L.citygrid.filters());
      url.searchParams.set("bbox", L.citygrid.snappedBboxText(map.getBounds().pad(0.1), map.getZoom()));
      url.searchParams.set("zoom", String(Math.floor(map.getZoom())));
      url.searchParams.set("lang", opts.lang);
      if (url.href === this._url || this._holds(url, map)) {
        return; // drawn already, or under way
      }
      if (this._controller) {
        this._controller.abort();
      }
      var controller = new AbortController();
      this._controller = controller;
      this._url = url.href;
      this._notes.show(format(opts.messages.loading, { title: opts.title }), "loading");
      var self = this;
      getJson(url, controller.signal)
        .then(function (body) {
          if (controller !== self._controller) {
            return;
          }
          self._controller = null;
          self._drawn = { query: withoutView(url), bounds: bboxBounds(url.searchParams.get("bbox")),
                          aggregated: body.aggregated, truncated: body.truncated };
          self._draw(body);
        })
        .catch(function (error) {
          if (error.name === "AbortError") {
            return;
          }
          self._controller = null;
          self._url = null;
          self._notes.show(format(opts.messages.failed, { title: opts.title, message: error.message }), "error");
        });
    },

    /* Whether the answer drawn (none under way) holds for the view ``url`` asks for. */
    _holds: function (url, map) {
      var drawn = this._drawn;
      if (this._controller || !drawn || drawn.query !== withoutView(url) ||
          !drawn.bounds.contains(map.getBounds())) {
        return false;
      }
      var counting = map.getZoom() < this.options.aggregateBelowZoom;
      return drawn.aggregated ? counting : !counting && !drawn.truncated;
    },

    _draw: function (body) {
      var opts = this.options;
      this.clearLayers();
      var self = this;
      this._renderer = body.aggregated ? undefined : L.citygrid.rendererFor(this, body.features.length);
      var features = body.aggregated ? body.features : body.features.slice().sort(function (a, b) {
        return drawRank(a.properties) - drawRank(b.properties);
      });
      features.forEach(function (feature) {
        var c = feature.geometry.coordinates;
        var latlng = L.latLng(c[1], c[0]);
        var props = feature.properties;
        if (body.aggregated) {
          self.addLayer(L.marker(latlng, { icon: countIcon(props, opts.messages), pane: opts.pane,
                                           title: (props.name || props.grid_code) + ": " + props.count }));
        } else {
          self.addLayer(self._problem(latlng, props));
        }
      });
      var note = null;
      if (body.aggregated && body.withoutCell) {
        note = format(opts.messages.withoutCell, { count: body.withoutCell });
      } else if (!body.aggregated && body.truncated) {
        note = format(opts.messages.truncated, { count: body.features.length });
      }
      this._notes.show(note, "warning");
      this.fire("citygrid:loaded", { aggregated: body.aggregated, count: body.features.length });
    },

    _problem: function (latlng, props) {
      var opts = this.options;
      var overdue = props.overdue === true;
      var marker = L.circleMarker(latlng, {
        pane: opts.pane,
        renderer: this._renderer,
        radius: overdue ? 9 : 7,
        fillColor: this._colours[props.status] || "#888888",
        fillOpacity: 0.95,
        color: overdue ? opts.overdueColour : "#ffffff",
        weight: overdue ? 3 : 2,
        bubblingMouseEvents: false,
        className: "citygrid-problem citygrid-problem-" + props.status + (overdue ? " citygrid-problem-overdue" : "")
      });
      marker.bindPopup(function () { return popupContent(props, opts); });
      return marker;
    }
  });

  var ProblemsLegend = L.Control.extend({
    options: { position: "bottomright" },
    onAdd: function () {
      var opts = this.options;
      var div = element("div", "citygrid-problems-legend");
      div.appendChild(element("div", "citygrid-legend-heading", opts.heading));
      function row(swatchClass, colour, outline, label) {
        var line = element("div", "citygrid-legend-row");
        var swatch = element("span", "citygrid-problem-swatch " + swatchClass);
        swatch.style.backgroundColor = colour;
        swatch.style.borderColor = outline;
        line.append(swatch, element("span", "", label));
        div.appendChild(line);
      }
      opts.statuses.forEach(function (s) { row("", s.colour, "#ffffff", s.label); });
      row("citygrid-problem-swatch-overdue", "#ffffff", opts.overdueColour, opts.overdue);
      row("citygrid-problem-swatch-count", "#1f78b4", "#ffffff", opts.count);
      L.DomEvent.disableClickPropagation(div);
      return div;
    }
  });

  var WhoPanel = L.Control.extend({
    options: { position: "topleft" },
    onAdd: function (map) {
      var div = element("aside", "citygrid-who-panel");
      div.setAttribute("aria-live", "polite");
      div.style.display = "none";
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      this._div = div;
      this._controller = null;
      map.on("preclick", this._ask, this); // features with popups stop "click"
      return div;
    },
    onRemove: function (map) {
      map.off("preclick", this._ask, this);
    },
    _frame: function () {
      var labels = this.options.labels;
      var div = this._div;
      div.replaceChildren();
      var head = element("div", "citygrid-who-heading");
      head.appendChild(element("span", "", labels.heading));
      var close = element("button", "citygrid-who-close", "×");
      close.type = "button";
      close.title = labels.close;
      close.setAttribute("aria-label", labels.close);
      var self = this;
      L.DomEvent.on(close, "click", function () { self._div.style.display = "none"; });
      head.appendChild(close);
      div.appendChild(head);
      div.style.display = "";
      return div;
    },
    _ask: function (event) {
      var labels = this.options.labels;
      if (this._controller) {
        this._controller.abort();
      }
      var controller = new AbortController();
      this._controller = controller;
      var div = this._frame();
      var body = element("div", "citygrid-who-body", labels.loading);
      div.appendChild(body);
      var url = new URL(this.options.url, window.location.href);
      var at = event.latlng.wrap();
      url.searchParams.set("lon", at.lng.toFixed(6));
      url.searchParams.set("lat", at.lat.toFixed(6));
      var self = this;
      getJson(url, controller.signal)
        .then(function (answer) {
          if (controller === self._controller) {
            body.replaceChildren.apply(body, self._answer(answer));
          }
        })
        .catch(function (error) {
          if (error.name !== "AbortError") {
            body.textContent = format(labels.failed, { message: error.message });
          }
        });
    },
    _answer: function (answer) {
      var labels = this.options.labels;
      var nodes = [];
      if (answer.routed_by === "outside") {
        var out = answer.outside || {};
        nodes.push(element("p", "citygrid-who-outside",
          format(labels.outside, { name: out.name || out.nearest_subdistrict || "—", distance: Math.round(out.distance_m || 0) })));
        return nodes;
      }
      nodes.push(element("p", "citygrid-who-unit", answer.unit && answer.unit.name
        ? format(labels.answers, { unit: answer.unit.name }) : labels.nobody));
      var list = element("ol", "citygrid-who-chain");
      answer.chain.forEach(function (link) {
        var item = element("li", "citygrid-who-link" + (link.decides ? " citygrid-who-decides" : ""));
        item.appendChild(element("strong", "", (labels[link.layer] || link.layer) + ": "));
        item.appendChild(element("span", "citygrid-who-name", link.name || link.code));
        if (link.decides) {
          item.appendChild(element("em", "", " (" + labels.decides + ")"));
        }
        if (link.unit && link.unit.name) {
          item.appendChild(element("div", "", format(labels.answers, { unit: link.unit.name })));
        }
        if (link.head && link.head.name) {
          item.appendChild(element("div", "", format(labels.head, { name: link.head.name })));
          if (link.head.phone && labels.phone) {
            item.appendChild(element("div", "citygrid-who-phone", format(labels.phone, { phone: link.head.phone })));
          }
        }
        list.appendChild(item);
      });
      nodes.push(list);
      return nodes;
    }
  });

  L.extend(L.citygrid, {
    ProblemsLayer: ProblemsLayer,
    problemsLayer: function (options) { return new ProblemsLayer(options); },
    problemsLegend: function (options) { return new ProblemsLegend(options); },
    whoPanel: function (options) { return new WhoPanel(options); }
  });
})(window.L);
