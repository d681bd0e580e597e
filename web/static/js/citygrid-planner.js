/*
 * citygrid planner: the planner's actions on the map (see citygrid/web/planner.py).
 *
 * Loaded after the map's own script, only for roles that change responsibility, with
 * its settings in <script type="application/json" id="citygrid-planner-config">:
 *   urls ({feature, history, choices, assign, apply, features} with LAYER, CODE, FIX
 *   to replace), lang, layers ({name: title} of the layers the role changes), texts.
 * A click on a feature of those layers selects it: the panel shows its unit and head by
 * name, a form to assign them (sent with the feature's version; a stale edit is refused
 * and the server's message shown) and its history. The panel also steps through the
 * unassigned features, the uncovered areas and the gap proposals (the map flies to each)
 * and applies a reviewed proposal after the user confirms.
 *
 * Needs citygrid-map.js (L.citygrid.BboxLayer and its helpers). Values are put into the
 * page with textContent, never as HTML.
 */
(function (L) {
  "use strict";

  var config = JSON.parse(document.getElementById("citygrid-planner-config").textContent);
  var texts = config.texts;
  var format = L.citygrid.format;
  var element = L.citygrid.element;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var STEPS = ["gap_unassigned", "gap_uncovered", "gap_proposals"];
  var STEP_TEXTS = { gap_unassigned: "unassigned", gap_uncovered: "uncovered", gap_proposals: "proposals" };
  /* The analysis of each gap layer, whose parameters citygrid-state.js keeps in the URL's
   * fragment as `a.<analysis>=<query>`: the steps use the parameters the map shows. */
  var STEP_ANALYSES = { gap_unassigned: "gaps", gap_uncovered: "gaps", gap_proposals: "gap_proposals" };
  var HIGHLIGHT = { color: "#ff7f00", weight: 4, dashArray: "6 4", fillOpacity: 0.15, radius: 9 };

  function urlFor(template, values) {
    return template.replace(/\b(LAYER|CODE|FIX)\b/g, function (key) {
      return encodeURIComponent(values[key]);
    });
  }

  function answer(response) {
    return response.json().then(function (body) {
      if (!response.ok) {
        var error = new Error(body.message || String(response.status));
        error.status = response.status;
        throw error;
      }
      return body;
    });
  }

  function getJson(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(answer);
  }

  function postJson(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    }).then(answer);
  }

  function nameOf(ref) {
    return ref ? ref.name + " (" + ref.code + ")" : texts.none;
  }

  function option(value, label, selected) {
    var node = element("option", null, label);
    node.value = value;
    node.selected = Boolean(selected);
    return node;
  }

  function button(label, className, onClick) {
    var node = element("button", className, label);
    node.type = "button";
    L.DomEvent.on(node, "click", onClick);
    return node;
  }

  var Panel = L.Control.extend({
    options: { position: "topleft" },

    onAdd: function (map) {
      var div = L.DomUtil.create("div", "citygrid-planner");
      div.setAttribute("aria-label", texts.heading);
      div.appendChild(element("div", "citygrid-planner-heading", texts.heading));
      this._feature = element("div", "citygrid-planner-feature", texts.hint);
      this._message = element("p", "citygrid-planner-message");
      this._message.setAttribute("role", "status");
      this._history = element("div", "citygrid-planner-history");
      // The steps come first: the feature, its form and its history below them load
      // after each step, and would move the step buttons under the pointer.
      this._steps = {};
      STEPS.forEach(function (name) { div.appendChild(this._stepper(name)); }, this);
      div.append(this._feature, this._message, this._history);
      this._highlight = L.featureGroup().addTo(map);
      this._choices = null;
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    },

    /* Select a feature: its unit, head, form and history. */
    select: function (layer, code) {
      var self = this;
      this._selected = { layer: layer, code: code };
      this._feature.replaceChildren(element("span", null, texts.loading));
      this._say("");
      var choices = this._choices || getJson(config.urls.choices).then(function (body) {
        self._choices = Promise.resolve(body);
        return body;
      });
      return Promise.all([getJson(urlFor(config.urls.feature, { LAYER: layer, CODE: code })), choices])
        .then(function (parts) {
          if (self._selected.layer === layer && self._selected.code === code) {
            self._show(parts[0], parts[1]);
            self._loadHistory(layer, code);
          }
        })
        .catch(function (error) {
          self._feature.replaceChildren(element("span", "citygrid-planner-error", format(texts.failed, { message: error.message })));
        });
    },

    _say: function (text, kind) {
      this._message.textContent = text;
      this._message.className = "citygrid-planner-message" + (kind ? " citygrid-planner-" + kind : "");
      this._message.setAttribute("role", kind === "error" ? "alert" : "status");
    },

    _show: function (feature, choices) {
      var self = this;
      var nodes = [
        element("div", "citygrid-planner-title", feature.title + " · " + (feature.name || feature.code) + " (" + feature.code + ")"),
        element("div", "citygrid-planner-unit", texts.unit + ": " + nameOf(feature.unit))
      ];
      if (feature.has_head) {
        nodes.push(element("div", "citygrid-planner-head", texts.head + ": " + nameOf(feature.head)));
      }
      if (feature.writable) {
        nodes.push(this._form(feature, choices));
      }
      this._feature.replaceChildren.apply(this._feature, nodes);
      self._current = feature;
    },

    _form: function (feature, choices) {
      var self = this;
      var form = element("form", "citygrid-planner-form");
      var unit = element("select", "citygrid-planner-unit-select");
      unit.name = "unit";
      unit.setAttribute("aria-label", texts.unit);
      choices.units.forEach(function (u) {
        unit.appendChild(option(u.code, u.name + " (" + u.code + ")", feature.unit && feature.unit.code === u.code));
      });
      var head = element("select", "citygrid-planner-head-select");
      head.name = "head";
      head.setAttribute("aria-label", texts.head);
      function fillHeads() {
        head.replaceChildren(option("", texts.noHead, !feature.head));
        choices.people.forEach(function (p) {
          if (p.unit_code === unit.value) {
            head.appendChild(option(p.code, p.name + " (" + p.code + ")", feature.head && feature.head.code === p.code));
          }
        });
      }
      fillHeads();
      unit.addEventListener("change", fillHeads);
      var reason = element("input", "citygrid-planner-reason");
      reason.name = "reason";
      reason.placeholder = texts.reason;
      reason.setAttribute("aria-label", texts.reason);
      var submit = element("button", "citygrid-planner-assign", texts.assign);
      submit.type = "submit";
      form.append(element("label", null, texts.unit), unit);
      if (feature.has_head) {
        form.append(element("label", null, texts.head), head);
      }
      form.append(reason, submit);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        submit.disabled = true;
        var body = { layer: feature.layer, code: feature.code, unit: unit.value, version: feature.version };
        if (feature.has_head && head.value) {
          body.head = head.value;
        }
        if (reason.value.trim()) {
          body.reason = reason.value.trim();
        }
        postJson(config.urls.assign, body)
          .then(function (result) {
            var note = result.changed ? format(texts.saved, { version: result.version }) : texts.unchanged;
            return self.select(feature.layer, feature.code).then(function () { self._say(note, "ok"); });
          })
          .catch(function (error) {
            submit.disabled = false;
            self._say(format(texts.failed, { message: error.message }), "error");
          });
      });
      return form;
    },

    _loadHistory: function (layer, code) {
      var self = this;
      var box = this._history;
      box.replaceChildren(element("div", "citygrid-planner-subheading", texts.history));
      getJson(urlFor(config.urls.history, { LAYER: layer, CODE: code }))
        .then(function (body) {
          if (!body.entries.length) {
            box.appendChild(element("p", null, texts.noHistory));
            return;
          }
          var list = element("ol", "citygrid-planner-entries");
          body.entries.forEach(function (entry) {
            var item = element("li", "citygrid-planner-entry");
            item.appendChild(element("div", "citygrid-planner-when",
              format(texts.by, { at: entry.at, name: entry.actor.name }) + " · " + entry.action_label));
            entry.changes.forEach(function (change) {
              item.appendChild(element("div", "citygrid-planner-change",
                change.label + ": " + (change.before || "—") + " → " + (change.after || "—")));
            });
            if (entry.reason) {
              item.appendChild(element("div", "citygrid-planner-reason-text", entry.reason));
            }
            list.appendChild(item);
          });
          box.appendChild(list);
        })
        .catch(function (error) {
          if (self._selected && self._selected.code === code) {
            box.appendChild(element("p", "citygrid-planner-error", format(texts.failed, { message: error.message })));
          }
        });
    },

    /* A row stepping through the features of one gap layer. */
    _stepper: function (name) {
      var self = this;
      var row = element("div", "citygrid-planner-step citygrid-planner-step-" + name);
      var state = { name: name, items: null, index: -1 };
      state.position = element("span", "citygrid-planner-position");
      state.detail = element("div", "citygrid-planner-step-detail");
      row.append(
        element("span", "citygrid-planner-step-label", texts[STEP_TEXTS[name]]),
        button(texts.previous, "citygrid-planner-previous", function () { self._step(state, -1); }),
        button(texts.next, "citygrid-planner-next", function () { self._step(state, 1); }),
        state.position,
        state.detail
      );
      this._steps[name] = state;
      return row;
    },

    _step: function (state, delta) {
      var self = this;
      var loaded = state.items ? Promise.resolve(state.items) : this._loadStep(state);
      loaded
        .then(function (items) {
          if (!items.length) {
            state.position.textContent = texts.nothing;
            return;
          }
          state.index = (state.index + delta + items.length) % items.length;
          state.position.textContent = format(texts.position, { index: state.index + 1, count: items.length });
          self._goTo(state, items[state.index]);
        })
        .catch(function (error) {
          state.position.textContent = format(texts.failed, { message: error.message });
        });
    },

    _loadStep: function (state) {
      var url = new URL(urlFor(config.urls.features, { LAYER: state.name }), window.location.href);
      var shown = new URLSearchParams(window.location.hash.replace(/^#/, "")).get("a." + STEP_ANALYSES[state.name]);
      new URLSearchParams(shown || "").forEach(function (value, name) { url.searchParams.set(name, value); });
      url.searchParams.set("limit", "1000");
      url.searchParams.set("lang", config.lang);
      state.url = url;
      return getJson(url).then(function (body) {
        state.items = body.features.filter(function (f) { return f.geometry; });
        state.index = -1;
        return state.items;
      });
    },

    _goTo: function (state, feature) {
      var map = this._map;
      var shape = L.geoJSON(feature, {
        style: function () { return HIGHLIGHT; },
        pointToLayer: function (f, latlng) { return L.circleMarker(latlng, HIGHLIGHT); }
      });
      this._highlight.clearLayers();
      this._highlight.addLayer(shape);
      map.flyToBounds(shape.getBounds(), { maxZoom: 17, duration: 0.6 });
      var props = feature.properties;
      state.detail.replaceChildren();
      if (state.name === "gap_uncovered") {
        state.detail.textContent = Math.round(props.area_m2 || 0) + " m²";
        return;
      }
      if (config.layers[props.layer]) {
        this.select(props.layer, props.feature_code);
      }
      var label = (config.layers[props.layer] || props.layer) + " " + props.feature_code;
      if (state.name === "gap_unassigned") {
        state.detail.textContent = label;
        return;
      }
      var what = props.action + (props.field ? " " + props.field + " → " + (props.after || "—") : "") +
        (props.area_m2 ? " (" + Math.round(props.area_m2) + " m²)" : "");
      state.detail.append(element("div", null, props.id + ": " + label + " · " + what));
      if (config.layers[props.layer]) {
        state.detail.appendChild(button(texts.apply, "citygrid-planner-apply", this._apply.bind(this, state, props)));
      }
    },

    _apply: function (state, props) {
      var self = this;
      var question = format(texts.confirm, { fix: props.id, layer: config.layers[props.layer] || props.layer, code: props.feature_code });
      if (!window.confirm(question)) {
        return;
      }
      var parameters = new URLSearchParams(state.url.search);
      ["limit", "lang", "bbox", "next"].forEach(function (name) { parameters.delete(name); });
      var body = { layer: props.layer, code: props.feature_code, version: props.version, parameters: parameters.toString() };
      postJson(urlFor(config.urls.apply, { FIX: props.id }), body)
        .then(function () {
          state.items = null;  // the proposals change once one is applied
          state.position.textContent = "";
          state.detail.replaceChildren();
          return self.select(props.layer, props.feature_code);
        })
        .then(function () {
          self._say(format(texts.applied, { fix: props.id }), "ok");
        })
        .catch(function (error) {
          self._say(format(texts.failed, { message: error.message }), "error");
        });
    }
  });

  var mapDiv = document.querySelector(".folium-map");
  var map = mapDiv && window[mapDiv.id];
  if (!map) {
    return;
  }
  var panel = new Panel().addTo(map);

  function onClick(event) {
    var feature = event.layer && event.layer.feature;
    var source = event.target;
    if (feature && feature.properties && feature.properties.code) {
      panel.select(source.options.name, feature.properties.code);
    }
  }

  function watch(layer) {
    if (layer instanceof L.citygrid.BboxLayer && config.layers[layer.options.name] && !layer._citygridPlanner) {
      layer._citygridPlanner = true;
      layer.on("click", onClick);
    }
  }

  map.eachLayer(watch);
  map.on("layeradd", function (event) { watch(event.layer); });
  L.citygrid.plannerPanel = panel;
})(window.L);
