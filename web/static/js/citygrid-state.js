/*
 * citygrid map: the problem filter panel, and the map's state kept in the URL.
 * Loaded after citygrid-map.js; adds to L.citygrid (see citygrid/web/map_filters.py):
 *
 * L.citygrid.filterPanel({url, names, texts, choices}) is a side panel with a form of the
 *   problem filters `names` (since, until, category, statuses, overdue, unit, subdistrict,
 *   mine). "Apply" first asks `${url}?bbox=<view>&zoom=0&<filters>` (counts per cell, cheap):
 *   if the server takes the filters, they become L.citygrid.setFilters(query) (every layer
 *   reading problems reloads) and the panel shows how many problems in view match; if it
 *   refuses them, its message shows in the panel and nothing changes. What the user typed
 *   since the last "Apply" stays in the form whatever answer comes late; only the URL
 *   (back, forward) puts other filters into it then. choices: {statuses,
 *   categories, units, subdistricts: [{code, name, depth}], mine: bool}.
 * L.citygrid.urlState(map, {filterNames}) keeps in the URL's fragment the view
 *   (`map=zoom/lat/lon`), the layers on (`layers=grids,problems`), the problem filters and
 *   each analysis's parameters (`a.hotspots=cells%3Dgrids`), so a link or a reload shows the
 *   same map; each change is a history entry, and back/forward restore the map.
 *
 * Everything is put into the page with textContent, never as HTML.
 */
(function (L) {
  "use strict";

  var element = L.citygrid.element;
  var format = L.citygrid.format;

  function option(value, text) {
    var node = element("option", null, text);
    node.value = value;
    return node;
  }

  function select(name, choices, anyText) {
    var input = element("select");
    input.name = name;
    input.appendChild(option("", anyText));
    choices.forEach(function (choice) {
      var indent = choice.depth ? "\u3000".repeat(choice.depth) : "";
      input.appendChild(option(choice.code, indent + choice.name + " (" + choice.code + ")"));
    });
    return input;
  }

  function labelled(text, input) {
    var row = element("label", "citygrid-filter-field");
    row.append(element("span", null, text), input);
    return row;
  }

  function checkbox(name, value) {
    var input = element("input");
    input.type = "checkbox";
    input.name = name;
    input.value = value;
    return input;
  }

  var FilterPanel = L.Control.extend({
    options: { position: "topright" },

    onAdd: function (map) {
      var opts = this.options;
      var texts = opts.texts;
      var choices = opts.choices;
      this._map = map;
      var details = element("details", "citygrid-filters");
      details.appendChild(element("summary", "citygrid-filters-heading", texts.heading));
      var form = element("form", "citygrid-filter-form");
      form.noValidate = true; // the server checks the values and says what is wrong
      var since = element("input");
      since.type = "date";
      since.name = "since";
      var until = element("input");
      until.type = "date";
      until.name = "until";
      form.append(labelled(texts.since, since), labelled(texts.until, until));
      form.appendChild(labelled(texts.category, select("category", choices.categories, texts.any)));
      var statuses = element("fieldset", "citygrid-filter-statuses");
      statuses.appendChild(element("legend", null, texts.statuses));
      choices.statuses.forEach(function (status) {
        var row = element("label", "citygrid-filter-check");
        row.append(checkbox("statuses", status.code), element("span", null, status.name));
        statuses.appendChild(row);
      });
      form.appendChild(statuses);
      var overdue = element("label", "citygrid-filter-check");
      overdue.append(checkbox("overdue", "true"), element("span", null, texts.overdue));
      form.appendChild(overdue);
      form.appendChild(labelled(texts.unit, select("unit", choices.units, texts.any)));
      form.appendChild(labelled(texts.subdistrict, select("subdistrict", choices.subdistricts, texts.any)));
      if (choices.mine) {
        var mine = element("label", "citygrid-filter-check");
        mine.append(checkbox("mine", "true"), element("span", null, texts.mine));
        form.appendChild(mine);
      }
      var buttons = element("div", "citygrid-filter-buttons");
      var apply = element("button", null, texts.apply);
      apply.type = "submit";
      var clear = element("button", null, texts.clear);
      clear.type = "button";
      buttons.append(apply, clear);
      this._note = element("div", "citygrid-filter-note");
      this._note.setAttribute("role", "status");
      this._error = element("div", "citygrid-filter-error");
      this._error.setAttribute("role", "alert");
      form.append(buttons, this._note, this._error);
      details.appendChild(form);
      this._details = details;
      this._form = form;
      this._controller = null;
      var self = this;
      this._edited = false; // the user changed the form since the last "Apply"
      form.addEventListener("input", function () { self._edited = true; });
      form.addEventListener("change", function () { self._edited = true; });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        self._edited = false;
        self._try(self._read());
      });
      clear.addEventListener("click", function () {
        self._edited = false;
        self._try({});
      });
      L.citygrid.events.on("citygrid:filters", this._show, this);
      L.DomEvent.disableClickPropagation(details);
      L.DomEvent.disableScrollPropagation(details);
      this._show({ query: L.citygrid.filters() });
      return details;
    },

    onRemove: function () {
      L.citygrid.events.off("citygrid:filters", this._show, this);
    },

    /* The form's filters as query parameters (statuses joined by commas). */
    _read: function () {
      var query = {};
      var statuses = [];
      new FormData(this._form).forEach(function (value, name) {
        var text = String(value).trim();
        if (!text) {
          return;
        }
        if (name === "statuses") {
          statuses.push(text);
        } else {
          query[name] = text;
        }
      });
      if (statuses.length) {
        query.statuses = statuses.join(",");
      }
      return query;
    },

    /* Put `event.query` into the form (after a change from here, the URL or history), unless
     * the user has edited the form since the last "Apply" and the change is not the URL's. */
    _show: function (event) {
      if (this._edited && !event.history) {
        return;
      }
      this._edited = false;
      var query = event.query;
      var wanted = (query.statuses || "").split(",");
      Array.prototype.forEach.call(this._form.elements, function (input) {
        if (!input.name) {
          return;
        }
        if (input.type === "checkbox") {
          input.checked = input.name === "statuses"
            ? wanted.indexOf(input.value) >= 0
            : query[input.name] === "true";
        } else {
          input.value = query[input.name] || "";
        }
      });
      if (Object.keys(query).length) {
        this._details.open = true;
      }
      this._details.classList.toggle("citygrid-filters-active", Object.keys(query).length > 0);
    },

    /* Ask the server whether it takes `query`; use it if so, else say why and keep the old. */
    _try: function (query) {
      var opts = this.options;
      var map = this._map;
      if (this._controller) {
        this._controller.abort();
      }
      var controller = new AbortController();
      this._controller = controller;
      var url = L.citygrid.withQuery(new URL(opts.url, window.location.href), query);
      url.searchParams.set("bbox", L.citygrid.bboxText(map.getBounds()));
      url.searchParams.set("zoom", "0");
      url.searchParams.set("lang", opts.lang);
      this._error.textContent = "";
      this._note.textContent = opts.texts.checking;
      var self = this;
      L.citygrid.getJson(url, controller.signal)
        .then(function (body) {
          if (controller !== self._controller) {
            return;
          }
          self._controller = null;
          self._note.textContent = format(opts.texts.matched, { count: body.total });
          L.citygrid.setFilters(query);
        })
        .catch(function (error) {
          if (error.name === "AbortError") {
            return;
          }
          self._note.textContent = "";
          self._error.textContent = error.message;
          self._show({ query: L.citygrid.filters() });
        });
    }
  });

  /* The map's state as URL fragment parameters. */
  function currentState(map, filterNames) {
    var params = new URLSearchParams();
    var centre = map.getCenter();
    params.set("map", [+map.getZoom().toFixed(2), centre.lat.toFixed(5), centre.lng.toFixed(5)].join("/"));
    var on = [];
    var analyses = {};
    L.citygrid.layers().forEach(function (layer) {
      if (map.hasLayer(layer) && on.indexOf(layer.options.name) < 0) {
        on.push(layer.options.name);
      }
      if (layer.options.analysis && layer.query && Object.keys(layer.query).length) {
        analyses[layer.options.analysis] = new URLSearchParams(layer.query).toString();
      }
    });
    params.set("layers", on.join(","));
    var filters = L.citygrid.filters();
    filterNames.forEach(function (name) {
      if (filters[name]) {
        params.set(name, filters[name]);
      }
    });
    Object.keys(analyses).sort().forEach(function (name) { params.set("a." + name, analyses[name]); });
    return params.toString();
  }

  function applyState(map, text, filterNames) {
    var params = new URLSearchParams(text);
    var filters = {};
    filterNames.forEach(function (name) {
      if (params.get(name)) {
        filters[name] = params.get(name);
      }
    });
    var layers = L.citygrid.layers();
    layers.forEach(function (layer) {
      var analysis = layer.options.analysis;
      if (analysis) {
        var query = {};
        new URLSearchParams(params.get("a." + analysis) || "").forEach(function (value, name) {
          query[name] = value;
        });
        layer.setQuery(query, false);
      }
    });
    L.citygrid.setFilters(filters, true);
    var view = (params.get("map") || "").split("/").map(Number);
    if (view.length === 3 && view.every(isFinite)) {
      map.setView([view[1], view[2]], view[0], { animate: false });
    }
    if (params.has("layers")) {
      var names = params.get("layers").split(",");
      layers.forEach(function (layer) {
        var wanted = names.indexOf(layer.options.name) >= 0;
        if (wanted && !map.hasLayer(layer)) {
          map.addLayer(layer);
        } else if (!wanted && map.hasLayer(layer)) {
          map.removeLayer(layer);
        }
      });
    }
  }

  function urlState(map, options) {
    var names = options.filterNames;
    var applying = false;
    function write() {
      if (applying) {
        return;
      }
      var text = currentState(map, names);
      if (text !== window.location.hash.slice(1)) {
        window.history.pushState(null, "", "#" + text);
      }
    }
    function apply() {
      applying = true;
      try {
        applyState(map, window.location.hash.slice(1), names);
      } finally {
        applying = false;
      }
    }
    if (window.location.hash.length > 1) {
      apply();
    }
    window.history.replaceState(null, "", "#" + currentState(map, names));
    map.on("moveend overlayadd overlayremove", write);
    L.citygrid.events.on("citygrid:filters citygrid:query", write);
    window.addEventListener("popstate", apply);
  }

  L.extend(L.citygrid, {
    FilterPanel: FilterPanel,
    filterPanel: function (options) { return new FilterPanel(options); },
    urlState: urlState
  });
})(window.L);
