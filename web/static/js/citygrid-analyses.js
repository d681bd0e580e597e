/*
 * citygrid map: analysis layers (hot spots, trends, density, coverage gaps) with their
 * parameters. Needs citygrid-map.js (L.citygrid.BboxLayer) loaded first.
 *
 * L.citygrid.analysisLayer(options) is a bbox layer (see citygrid-map.js) whose URL
 * carries the analysis parameters (`?cells=grids&since=2026-01-01`) and whose features
 * are coloured by the style's categories. Extra options (built by
 * citygrid/web/map_analyses.py): analysis (its name), kind ("polygon", "line",
 * "point"), categories ({field, values: [{value, color, label}]} or null),
 * parameters ([{name, label, type, help, minimum, maximum, choices, default,
 * suggestions}]), filtered (true: the analysis reads problems and takes the map's problem
 * filters, L.citygrid.filters(), as parameters too; it reloads when they change).
 * L.citygrid.analysisPanel({texts}) adds the parameters form of the analysis layer
 * ticked last (of those still on), a legend of every ticked analysis layer with its count and the
 * parameters the API chose. Layers of one analysis share their parameters (one
 * computation serves them all); a change fires "citygrid:query" on L.citygrid.events.
 * What the user typed in the form since the last "Apply" stays there while layers load;
 * only another active layer, or the URL (back, forward), redraws the form then.
 *
 * Everything is put into the page with textContent, never as HTML, and no handler is
 * written into the markup (the page's CSP allows neither).
 */
(function (L) {
  "use strict";

  var layers = [];

  function queryString(query) {
    var params = new URLSearchParams();
    Object.keys(query).forEach(function (name) { params.set(name, query[name]); });
    var text = params.toString();
    return text ? "?" + text : "";
  }

  var element = L.citygrid.element;

  var AnalysisLayer = L.citygrid.BboxLayer.extend({
    initialize: function (options) {
      L.citygrid.BboxLayer.prototype.initialize.call(this, options);
      var categories = options.categories;
      var colours = {};
      (categories ? categories.values : []).forEach(function (entry) {
        colours[entry.value] = entry.color;
      });
      function coloured(style, feature) {
        var value = categories && feature.properties[categories.field];
        var colour = value === null || value === undefined ? undefined : colours[String(value)];
        if (!colour) {
          return style;
        }
        // Areas keep their outline and take the colour as fill; lines and points take it all.
        return L.extend({}, style, style.fillColor ? { fillColor: colour } : { color: colour, fillColor: colour });
      }
      var baseStyle = this.options.style;
      this.options.style = function (feature) { return coloured(baseStyle(feature), feature); };
      this.options.pointToLayer = function (feature, latlng) {
        return L.circleMarker(latlng, L.extend({ pane: options.pane }, coloured(options.style, feature)));
      };
      this._baseUrl = options.url;
      this.query = {};
      if (options.filtered) {
        L.citygrid.events.on("citygrid:filters", function () { this.setQuery(this.query, true); }, this);
      }
      this.goodQuery = {};
      this.parameters = null;
      this.matched = null;
      this.on("citygrid:loaded", function (event) {
        this.goodQuery = this.query;
        this.parameters = event.parameters || null;
        this.matched = event.matched === undefined ? event.count : event.matched;
      }, this);
      layers.push(this);
    },

    /* Use `query` (parameter name -> text) from now on; reload if on the map and `reload`. */
    setQuery: function (query, reload) {
      var changed = queryString(query) !== queryString(this.query);
      this.query = query;
      var sent = this.options.filtered ? L.extend({}, L.citygrid.filters(), query) : query;
      this.options.url = this._baseUrl + queryString(sent);
      this._loaded = null;
      if (changed) {
        L.citygrid.events.fire("citygrid:query", { analysis: this.options.analysis, query: query });
      }
      if (reload && this._map) {
        this._reload();
      }
    }
  });

  function fieldInput(field, value, texts) {
    var input;
    if (field.type === "bool" || field.choices.length) {
      input = element("select");
      var options = field.type === "bool"
        ? [["", texts.default], ["true", texts.yes], ["false", texts.no]]
        : [["", texts.default]].concat(field.choices.map(function (c) { return [c, c]; }));
      options.forEach(function (pair) {
        var option = element("option", null, pair[1]);
        option.value = pair[0];
        input.appendChild(option);
      });
    } else {
      input = element("input");
      input.type = { int: "number", float: "number", date: "date" }[field.type] || "text";
      if (input.type === "number") {
        input.step = field.type === "int" ? "1" : "any";
      }
      if (field.default !== null && field.default !== undefined) {
        input.placeholder = texts.default + ": " + field.default;
      }
    }
    input.name = field.name;
    input.title = field.help;
    input.value = value === undefined ? "" : value;
    return input;
  }

  function suggestions(field, id) {
    var list = element("datalist");
    list.id = id;
    field.suggestions.forEach(function (value) {
      var option = element("option");
      option.value = value;
      list.appendChild(option);
    });
    return list;
  }

  /* "label: value, ..." of the parameters the API answered, those with a value. */
  function parametersLine(layer, texts) {
    var given = layer.parameters || {};
    return layer.options.parameters
      .filter(function (field) { return given[field.name] !== null && given[field.name] !== undefined; })
      .map(function (field) {
        var value = given[field.name];
        if (value === true || value === false) {
          value = value ? texts.yes : texts.no;
        }
        return field.label + ": " + value;
      })
      .join(", ");
  }

  var AnalysisPanel = L.Control.extend({
    options: { position: "topleft", texts: {} },

    onAdd: function (map) {
      this._active = null;
      this._on = [];  // the analysis layers on the map, in the order they were ticked
      this._error = "";
      this._div = L.DomUtil.create("div", "citygrid-analyses");
      this._form = element("form", "citygrid-analysis-form");
      this._form.noValidate = true;  // bad values go to the API, whose message is shown
      this._form.addEventListener("submit", this._apply.bind(this));
      this._edited = false;  // the user changed the form since the last "Apply"
      this._shown = null;  // the layer whose parameters the form shows
      var edit = function () { this._edited = true; }.bind(this);
      this._form.addEventListener("input", edit);
      this._form.addEventListener("change", edit);
      this._onHistory = function () {
        this._edited = false;
        this._render();
      }.bind(this);
      window.addEventListener("popstate", this._onHistory);
      this._legend = L.DomUtil.create("div", "citygrid-analysis-legend");
      this._legendControl = L.control({ position: "topleft" });  // above the panel
      var legend = this._legend;
      this._legendControl.onAdd = function () { return legend; };
      this._legendControl.addTo(map);
      this._div.appendChild(this._form);
      L.DomEvent.disableClickPropagation(this._div);
      L.DomEvent.disableScrollPropagation(this._div);
      L.DomEvent.disableClickPropagation(legend);
      layers.forEach(function (layer) {
        layer.on("add", function () {
          this._on.push(layer);
          this._active = layer;
          this._error = "";
          this._render();
        }, this);
        layer.on("remove", function () {  // fired while layer._map is still set
          this._on = this._on.filter(function (other) { return other !== layer; });
          if (this._active === layer) {
            this._active = this._on.length ? this._on[this._on.length - 1] : null;
            this._error = "";
          }
          this._render();
        }, this);
        layer.on("citygrid:loaded", function () {
          if (this._active === layer) {
            this._error = "";
          }
          this._render();
        }, this);
        layer.on("citygrid:failed", function (event) { this._failed(layer, event.message); }, this);
      }, this);
      this._render();
      return this._div;
    },

    onRemove: function () {
      window.removeEventListener("popstate", this._onHistory);
      this._legendControl.remove();
    },

    /* Send the form's values to every layer of the active layer's analysis. */
    _apply: function (event) {
      event.preventDefault();
      var active = this._active;
      if (!active) {
        return;
      }
      this._edited = false;
      var query = {};
      new FormData(this._form).forEach(function (value, name) {
        var text = String(value).trim();
        if (text) {
          query[name] = text;
        }
      });
      this._error = "";
      layers.forEach(function (layer) {
        if (layer.options.analysis === active.options.analysis) {
          layer.setQuery(query, true);
        }
      });
      this._render();
    },

    /* Show the API's message and go back to the last parameters that worked. */
    _failed: function (layer, message) {
      this._error = message;
      var good = layer.goodQuery;
      layers.forEach(function (other) {
        if (other.options.analysis === layer.options.analysis) {
          other.setQuery(good, false);
        }
      });
      this._renderError();
    },

    _render: function () {
      this._renderForm();
      this._renderLegend();
    },

    _renderForm: function () {
      var texts = this.options.texts;
      var active = this._active;
      this._div.style.display = active ? "" : "none";
      if (this._edited && active === this._shown) {
        this._renderError();  // keep what the user is typing
        return;
      }
      this._edited = false;
      this._shown = active;
      if (!active) {
        this._form.replaceChildren();
        return;
      }
      var heading = element("div", "citygrid-analysis-heading", texts.heading + " · " + active.options.title);
      var rows = active.options.parameters.map(function (field) {
        var row = element("label", "citygrid-analysis-field");
        var input = fieldInput(field, active.query[field.name], texts);
        row.append(element("span", null, field.label), input);
        if (field.suggestions.length) {
          var id = "citygrid-suggest-" + field.name;
          input.setAttribute("list", id);
          row.appendChild(suggestions(field, id));
        }
        return row;
      });
      var buttons = element("div", "citygrid-analysis-buttons");
      var apply = element("button", null, texts.apply);
      apply.type = "submit";
      var defaults = element("button", null, texts.defaults);
      defaults.type = "button";
      defaults.addEventListener("click", this._defaults.bind(this));
      buttons.append(apply, defaults);
      this._errorLine = element("div", "citygrid-analysis-error");
      this._errorLine.setAttribute("role", "alert");
      this._form.replaceChildren.apply(this._form, [heading].concat(rows, [buttons, this._errorLine]));
      this._renderError();
    },

    _defaults: function () {
      Array.prototype.forEach.call(this._form.elements, function (input) {
        if (input.name) {
          input.value = "";
        }
      });
      this._form.requestSubmit();
    },

    _renderError: function () {
      if (this._errorLine) {
        this._errorLine.textContent = this._error;
        this._errorLine.style.display = this._error ? "" : "none";
      }
    },

    _renderLegend: function () {
      var texts = this.options.texts;
      var sections = this._on.map(function (layer) {
        var section = element("div", "citygrid-analysis-section");
        section.dataset.layer = layer.options.name;
        var title = element("div", "citygrid-legend-heading", layer.options.title);
        section.appendChild(title);
        if (layer.matched !== null) {
          title.appendChild(element("span", "citygrid-analysis-count", " · " + texts.count.replace("{count}", layer.matched)));
        }
        var categories = layer.options.categories;
        var entries = categories
          ? categories.values.map(function (entry) {
            var style = L.extend({}, layer.options.style, { fillColor: entry.color, fillOpacity: 0.8 });
            if (!layer.options.style.fillColor) {
              style.color = entry.color;
            }
            return { label: entry.label, style: style };
          })
          : [{ label: layer.options.title, style: layer.options.style }];
        entries.forEach(function (entry) {
          var row = element("div", "citygrid-legend-row");
          row.append(L.citygrid.swatch(layer.options.kind, entry.style), element("span", null, entry.label));
          section.appendChild(row);
        });
        var line = parametersLine(layer, texts);
        if (line) {
          section.appendChild(element("div", "citygrid-analysis-parameters", line));
        }
        return section;
      });
      this._legend.replaceChildren.apply(this._legend, sections);
      this._legend.style.display = sections.length ? "" : "none";
    }
  });

  L.citygrid.AnalysisLayer = AnalysisLayer;
  L.citygrid.analysisLayer = function (options) { return new AnalysisLayer(options); };
  L.citygrid.AnalysisPanel = AnalysisPanel;
  L.citygrid.analysisPanel = function (options) { return new AnalysisPanel(options); };
})(window.L);
