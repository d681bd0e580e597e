/*
 * citygrid map: layers loaded from citygrid's JSON API by the map's bounding box.
 *
 * L.citygrid.bboxLayer(options) is a GeoJSON layer that fetches
 *   `${options.url}?bbox=minx,miny,maxx,maxy&limit=N&lang=L&properties=a,b`
 * when it is added to the map and whenever the map stops moving outside the
 * area it already holds in full. The bbox is the view padded by a quarter and widened to
 * whole tiles of the zoom, so panning back asks for a URL the server (and the browser's
 * cache, by ETag) already answered; a request already under way for the same URL is not
 * sent again. Options (built by citygrid/web/map_page.py):
 *   name, title, url, limit, lang, style (Leaflet path options, `radius` for
 *   points), popup ([{name, label, choices: {value: label}}]), pane, zIndex,
 *   whole (true: the layer fits in one response; it is fetched once, without a bbox,
 *   and kept while the map moves), properties (the fields to fetch, or null for all),
 *   loadMinZoom (below it the layer asks the user to zoom in instead of loading;
 *   not `minZoom`, which would make the layer control disable the layer),
 *   messages ({loading, truncated, failed, zoomIn} with {title}, {count}, {message}),
 *   group (the registry's group: "base", "work", "analysis"), label ({field, minZoom}:
 *   show that field of each feature as a label from minZoom in, or null).
 * A response of more than CANVAS_ABOVE features is drawn on a canvas (one per layer, in
 * its pane), fewer as SVG paths.
 * The layer fires "citygrid:loaded" ({count, matched, truncated, parameters}) after each
 * load and "citygrid:failed" ({message}) when the API refuses or cannot be reached.
 * L.citygrid.legend({heading, entries: [{title, kind, style}]}) draws a legend;
 * L.citygrid.swatch(kind, style) is its SVG swatch of a style.
 * L.citygrid.register(layer) records a layer (its options.name and options.group) for the
 * layer control's group headings and for the URL state; L.citygrid.layers() lists them.
 * L.citygrid.cartography(map, {groups: {group: heading}}) adds a metric scale bar and a
 * heading above each group's first layer in the layer control.
 * L.citygrid.events fires "citygrid:filters" ({query, history}) when the problem filters
 * change (L.citygrid.setFilters(query, history); history is true when they come from the
 * URL; L.citygrid.filters() gives a copy of the current ones)
 * and "citygrid:query" when an analysis layer's parameters change.
 * L.citygrid.withQuery(url, query) adds a query's parameters to a URL object.
 *
 * Feature values are put into the page with textContent, never as HTML.
 */
(function (L) {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var CANVAS_ABOVE = 500;
  var MAX_LABELS = 200;
  var COLUMN_GAP = 10; // px between a top corner's column and the bottom corner below it
  var COLUMN_MIN = 120; // px: on a very short map a column overlaps the corner below it

  var registered = [];
  var events = new (L.Evented.extend({}))();
  var currentFilters = {};

  function register(layer) {
    registered.push(layer);
  }

  /* Use `query` as the problem filters; `history` says they come from the URL (a link,
   * back or forward), which overrides what a form holds. */
  function setFilters(query, history) {
    currentFilters = L.extend({}, query);
    events.fire("citygrid:filters", { query: L.extend({}, query), history: Boolean(history) });
  }

  function withQuery(url, query) {
    Object.keys(query).forEach(function (name) { url.searchParams.set(name, query[name]); });
    return url;
  }

  /* A canvas renderer for a layer's pane (made once), or undefined (SVG) for few features. */
  function rendererFor(layer, count) {
    if (count <= CANVAS_ABOVE) {
      return undefined;
    }
    if (!layer._canvas) {
      layer._canvas = L.canvas({ pane: layer.options.pane });
    }
    return layer._canvas;
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return key in values ? String(values[key]) : whole;
    });
  }

  function clamp(value, low, high) {
    return Math.min(high, Math.max(low, value));
  }

  /* Bounds cut to longitude -180..180 and latitude -90..90, as the API requires. */
  function validBounds(bounds) {
    return L.latLngBounds(
      [clamp(bounds.getSouth(), -90, 90), clamp(bounds.getWest(), -180, 180)],
      [clamp(bounds.getNorth(), -90, 90), clamp(bounds.getEast(), -180, 180)]
    );
  }

  function bboxParam(bounds) {
    return [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
      .map(function (v) { return v.toFixed(6); })
      .join(",");
  }

  /* `bounds` widened to whole tiles (256 px at `zoom`, in degrees of longitude both ways),
   * so that nearby views ask for the same bbox. */
  function snapped(bounds, zoom) {
    var step = 360 / Math.pow(2, Math.floor(zoom));
    function down(v) { return Math.floor(v / step) * step; }
    function up(v) { return Math.ceil(v / step) * step; }
    return validBounds(L.latLngBounds(
      [down(bounds.getSouth()), down(bounds.getWest())],
      [up(bounds.getNorth()), up(bounds.getEast())]
    ));
  }

  /* Whether the layer's label, as drawn, fits across the layer's bounds at the map's zoom. */
  function labelFits(map, layer) {
    var bounds = layer.getBounds();
    var width = map.latLngToLayerPoint(bounds.getNorthEast()).x
      - map.latLngToLayerPoint(bounds.getSouthWest()).x;
    var element = layer.getTooltip().getElement();
    return Boolean(element) && element.offsetWidth <= width;
  }

  /* The JSON body of a GET; an Error with the server's message when it refuses. */
  function getJson(url, signal) {
    return fetch(url, { signal: signal, headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) {
            throw new Error(body.message || String(response.status));
          }
          return body;
        });
      });
  }

  /* A new element with a class and text (set as text, never as HTML). */
  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  /* One line per layer that is loading, truncated or failed. */
  var Status = L.Control.extend({
    options: { position: "bottomleft" },
    onAdd: function () {
      this._lines = new Map();
      this._div = L.DomUtil.create("div", "citygrid-status");
      this._render();
      return this._div;
    },
    set: function (key, text, kind) {
      if (text) {
        this._lines.set(key, { text: text, kind: kind });
      } else {
        this._lines.delete(key);
      }
      this._render();
    },
    _render: function () {
      var lines = [];
      this._lines.forEach(function (line) {
        var p = document.createElement("div");
        p.className = "citygrid-status-" + line.kind;
        p.textContent = line.text;
        lines.push(p);
      });
      this._div.replaceChildren.apply(this._div, lines);
      this._div.style.display = lines.length ? "" : "none";
    }
  });

  function statusOf(map) {
    if (!map._citygridStatus) {
      map._citygridStatus = new Status().addTo(map);
    }
    return map._citygridStatus;
  }

  function ensurePane(map, name, zIndex) {
    if (!map.getPane(name)) {
      map.createPane(name).style.zIndex = String(zIndex);
    }
  }

  /* Lines as declared from zoom FULL_WEIGHT_ZOOM in, thinner further out (at least 1 px). */
  var FULL_WEIGHT_ZOOM = 16;

  function thinner(style, zoom) {
    if (!style.weight || zoom >= FULL_WEIGHT_ZOOM) {
      return style;
    }
    var weight = Math.max(1, style.weight * Math.pow(0.6, FULL_WEIGHT_ZOOM - zoom));
    return L.extend({}, style, { weight: weight });
  }

  function popupContent(feature, options) {
    var props = feature.properties || {};
    var box = document.createElement("div");
    box.className = "citygrid-popup";
    var heading = document.createElement("div");
    heading.className = "citygrid-popup-title";
    heading.textContent = options.title + (props.name ? " · " + props.name : "");
    var table = document.createElement("table");
    options.popup.forEach(function (row) {
      var value = props[row.name];
      var tr = table.insertRow();
      var th = document.createElement("th");
      th.textContent = row.label;
      tr.appendChild(th);
      var shown = value === null || value === undefined || value === "" ? "—" : String(value);
      tr.insertCell().textContent = row.choices[shown] || shown;
    });
    box.append(heading, table);
    return box;
  }

  var BboxLayer = L.GeoJSON.extend({
    initialize: function (options) {
      var style = options.style || {};
      // A point layer (styled with a radius) may hold polygons too: fill them lightly.
      var areaStyle = style.radius === undefined ? style : L.extend({}, style, {
        fillOpacity: Math.min(style.fillOpacity === undefined ? 0.2 : style.fillOpacity, 0.25)
      });
      var self = this;
      L.GeoJSON.prototype.initialize.call(this, null, L.extend({}, options, {
        style: function (feature) {
          var base = feature && /Polygon/.test(feature.geometry.type) ? areaStyle : style;
          return self._map ? thinner(base, self._map.getZoom()) : base;
        },
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, L.extend({ pane: options.pane, renderer: self.options.renderer }, style));
        }
      }));
      // One popup for the whole layer (not one per feature): filled for the feature clicked.
      this.bindPopup(function (layer) { return popupContent(layer.feature, self.options); });
      this._loaded = null;
      this._controller = null;
      this._pending = null;
      register(this);
    },

    onAdd: function (map) {
      ensurePane(map, this.options.pane, this.options.zIndex);
      L.GeoJSON.prototype.onAdd.call(this, map);
      map.on("moveend", this._reload, this);
      map.on("zoomend", this._restyle, this);
      map.on("moveend", this._label, this);
      // Load on the next tick, once the page's script has fitted the map to the data.
      var self = this;
      setTimeout(function () {
        if (self._map && !self._controller) {
          self._reload();
        }
      }, 0);
    },

    onRemove: function (map) {
      map.off("moveend", this._reload, this);
      map.off("zoomend", this._restyle, this);
      map.off("moveend", this._label, this);
      this._cancel();
      statusOf(map).set(this.options.name, null);
      L.GeoJSON.prototype.onRemove.call(this, map);
    },

    _restyle: function () {
      this.eachLayer(this.resetStyle, this);
    },

    /* Labels (options.label.field of each feature in view) from options.label.minZoom in,
     * none before; at most MAX_LABELS at once (the layer may hold a whole city), and only
     * where the label fits across its feature (a wider one would run over its neighbours'). */
    _label: function () {
      var label = this.options.label;
      if (!label || !this._map) {
        return;
      }
      var map = this._map;
      var view = map.getBounds();
      var show = map.getZoom() >= label.minZoom;
      var shown = 0;
      this.eachLayer(function (layer) {
        var text = layer.feature && layer.feature.properties[label.field];
        var wanted = show && text && shown < MAX_LABELS && view.intersects(layer.getBounds());
        if (wanted && !layer.getTooltip()) {
          layer.bindTooltip(String(text), { permanent: true, direction: "center", className: "citygrid-label" });
        }
        if (wanted && labelFits(map, layer)) {
          shown += 1;
        } else if (layer.getTooltip()) {
          layer.unbindTooltip();
        }
      });
    },

    _cancel: function () {
      if (this._controller) {
        this._controller.abort();
        this._controller = null;
        this._pending = null;
      }
    },

    /* The URL of the features around the view (or of the whole layer), and its area. */
    _request: function () {
      var map = this._map;
      var opts = this.options;
      var whole = opts.whole && !(this._loaded && this._loaded.truncated);
      var bounds = whole
        ? L.latLngBounds([-90, -180], [90, 180])
        : snapped(validBounds(map.getBounds().pad(0.25)), map.getZoom());
      var url = new URL(opts.url, window.location.href);
      if (!whole) {
        url.searchParams.set("bbox", bboxParam(bounds));
      }
      url.searchParams.set("limit", String(opts.limit));
      url.searchParams.set("lang", opts.lang);
      if (opts.properties) {
        url.searchParams.set("properties", opts.properties.join(","));
      }
      return { url: url, bounds: bounds };
    },

    /* Fetch the features around the view unless the layer already holds them all. */
    _reload: function () {
      var map = this._map;
      var opts = this.options;
      var status = statusOf(map);
      if (opts.loadMinZoom && map.getZoom() < opts.loadMinZoom) {
        this._cancel();
        this.clearLayers();
        this._loaded = null;
        status.set(opts.name, format(opts.messages.zoomIn, { title: opts.title }), "warning");
        return;
      }
      var view = validBounds(map.getBounds());
      var loaded = this._loaded;
      if (loaded && !loaded.truncated && loaded.bounds.contains(view)) {
        return;
      }
      var wanted = this._request();
      var url = wanted.url;
      var bounds = wanted.bounds;
      if (this._controller && this._pending === url.href) {
        return; // the same request is under way
      }
      this._cancel();
      var controller = new AbortController();
      this._controller = controller;
      this._pending = url.href;
      status.set(opts.name, format(opts.messages.loading, { title: opts.title }), "loading");
      var self = this;
      fetch(url, { signal: controller.signal, headers: { Accept: "application/geo+json" } })
        .then(function (response) {
          return response.json().then(function (body) { return { ok: response.ok, body: body }; });
        })
        .then(function (answer) {
          if (controller !== self._controller) {
            return;
          }
          self._controller = null;
          self._pending = null;
          if (!answer.ok) {
            throw new Error(answer.body.message);
          }
          self.clearLayers();
          self.options.renderer = rendererFor(self, answer.body.features.length);
          self.addData(answer.body);
          self._label();
          self._loaded = { bounds: bounds, truncated: answer.body.truncated };
          status.set(
            opts.name,
            answer.body.truncated
              ? format(opts.messages.truncated, { title: opts.title, count: answer.body.numberReturned })
              : null,
            "warning"
          );
          self.fire("citygrid:loaded", {
            count: answer.body.numberReturned,
            matched: answer.body.numberMatched,
            truncated: answer.body.truncated,
            parameters: answer.body.parameters
          });
        })
        .catch(function (error) {
          if (error.name === "AbortError") {
            return;
          }
          if (controller === self._controller) {
            self._controller = null;
            self._pending = null;
          }
          self.fire("citygrid:failed", { message: error.message });
          status.set(
            opts.name,
            format(opts.messages.failed, { title: opts.title, message: error.message }),
            "error"
          );
        });
    }
  });

  function swatch(kind, style) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("width", "26");
    svg.setAttribute("height", "14");
    svg.setAttribute("aria-hidden", "true");
    var shape;
    if (kind === "line") {
      shape = document.createElementNS(SVG_NS, "line");
      shape.setAttribute("x1", "1");
      shape.setAttribute("y1", "7");
      shape.setAttribute("x2", "25");
      shape.setAttribute("y2", "7");
    } else if (kind === "point") {
      shape = document.createElementNS(SVG_NS, "circle");
      shape.setAttribute("cx", "13");
      shape.setAttribute("cy", "7");
      shape.setAttribute("r", String(Math.min(style.radius || 5, 6)));
    } else {
      shape = document.createElementNS(SVG_NS, "rect");
      shape.setAttribute("x", "1");
      shape.setAttribute("y", "1");
      shape.setAttribute("width", "24");
      shape.setAttribute("height", "12");
    }
    var color = style.color || "#3388ff";
    shape.setAttribute("stroke", color);
    shape.setAttribute("stroke-width", String(Math.min(style.weight || 2, 4)));
    if (style.dashArray) {
      shape.setAttribute("stroke-dasharray", style.dashArray);
    }
    if (kind !== "line") {
      shape.setAttribute("fill", style.fillColor || color);
      shape.setAttribute("fill-opacity", String(style.fillOpacity === undefined ? 0.2 : style.fillOpacity));
    }
    svg.appendChild(shape);
    return svg;
  }

  var Legend = L.Control.extend({
    options: { position: "bottomright", heading: "", entries: [] },
    onAdd: function () {
      var div = L.DomUtil.create("div", "citygrid-legend");
      var heading = document.createElement("div");
      heading.className = "citygrid-legend-heading";
      heading.textContent = this.options.heading;
      div.appendChild(heading);
      this.options.entries.forEach(function (entry) {
        var row = document.createElement("div");
        row.className = "citygrid-legend-row";
        var label = document.createElement("span");
        label.textContent = entry.title;
        row.append(swatch(entry.kind, entry.style || {}), label);
        div.appendChild(row);
      });
      L.DomEvent.disableClickPropagation(div);
      return div;
    }
  });

  /* Keep a heading above the first layer of each group in the layer control (Leaflet
   * rebuilds the control's list whenever a layer is added or removed). `titles` maps a
   * group to its heading. */
  function groupHeadings(map, titles) {
    var list = map.getContainer().querySelector(".leaflet-control-layers-overlays");
    if (!list) {
      return;
    }
    var groups = {};
    registered.forEach(function (layer) { groups[L.Util.stamp(layer)] = layer.options.group; });
    function mark() {
      var seen = {};
      list.querySelectorAll(".citygrid-layer-group").forEach(function (old) { old.remove(); });
      list.querySelectorAll("input").forEach(function (input) {
        var group = groups[input.layerId];
        if (group && !seen[group] && titles[group]) {
          seen[group] = true;
          var heading = element("div", "citygrid-layer-group citygrid-layer-group-" + group, titles[group]);
          list.insertBefore(heading, input.closest("label"));
        }
      });
    }
    var observer = new MutationObserver(function () {
      observer.disconnect();
      mark();
      observer.observe(list, { childList: true });
    });
    mark();
    observer.observe(list, { childList: true });
  }

  /* Keep each top corner's controls (zoom, panels, layers, filters) above the bottom
   * corner's (legends, notes, scale bar) on the same side: each top column gets the height
   * its bottom corner leaves, and its panels scroll inside it (citygrid.css), so every
   * button stays on screen. A page cannot be scrolled to reach a control: Leaflet puts the
   * map's scroll back at once. */
  function fitColumns(map) {
    var container = map.getContainer();
    if (typeof ResizeObserver === "undefined") {
      return;
    }
    ["left", "right"].forEach(function (side) {
      var column = container.querySelector(".leaflet-top.leaflet-" + side);
      var below = container.querySelector(".leaflet-bottom.leaflet-" + side);
      if (!column || !below) {
        return;
      }
      var fit = function () {
        var room = container.clientHeight - below.offsetHeight - COLUMN_GAP;
        column.style.height = Math.max(room, COLUMN_MIN) + "px";
      };
      var observer = new ResizeObserver(fit);
      observer.observe(container);
      observer.observe(below);
      fit();
    });
  }

  /* The map's furniture: a metric scale bar, the layer control's group headings
   * (titles: group -> heading) and the top columns fitted above the bottom corners, once
   * the page's script has added the layer control. */
  function cartography(map, options) {
    L.control.scale({ metric: true, imperial: false, position: "bottomleft" }).addTo(map);
    setTimeout(function () {
      groupHeadings(map, options.groups);
      fitColumns(map);
    }, 0);
  }

  L.citygrid = {
    BboxLayer: BboxLayer,
    bboxLayer: function (options) { return new BboxLayer(options); },
    Legend: Legend,
    legend: function (options) { return new Legend(options); },
    swatch: swatch,
    // Helpers the other map scripts (citygrid-analyses.js, citygrid-problems.js) share.
    format: format,
    clamp: clamp,
    element: element,
    getJson: getJson,
    bboxText: function (bounds) { return bboxParam(validBounds(bounds)); },
    snappedBboxText: function (bounds, zoom) { return bboxParam(snapped(validBounds(bounds), zoom)); },
    rendererFor: rendererFor,
    register: register,
    layers: function () { return registered.slice(); },
    cartography: cartography,
    events: events,
    filters: function () { return L.extend({}, currentFilters); },
    setFilters: setFilters,
    withQuery: withQuery
  };
})(window.L);
