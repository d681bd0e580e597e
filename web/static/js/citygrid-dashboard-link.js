/*
 * The map's link to the dashboard (templates/map_planner.html) carries the map's problem
 * filters and its hot-spot and gap analysis parameters, which citygrid-state.js keeps in
 * the URL's fragment (`statuses=open&a.hotspots=cells%3Dgrids`), as the dashboard's query
 * string, so the dashboard counts and downloads for what the map shows.
 */
(function () {
  "use strict";

  var FILTERS = ["since", "until", "category", "statuses", "overdue", "unit", "subdistrict", "mine"];
  var ANALYSES = ["hotspots", "gaps"];

  function dashboardQuery(fragment) {
    var state = new URLSearchParams(fragment.replace(/^#/, ""));
    var query = new URLSearchParams();
    ANALYSES.forEach(function (analysis) {
      new URLSearchParams(state.get("a." + analysis) || "").forEach(function (value, name) {
        query.set(name, value);
      });
    });
    FILTERS.forEach(function (name) {
      if (state.get(name)) {
        query.set(name, state.get(name));
      }
    });
    return query.toString();
  }

  var link = document.querySelector(".citygrid-dashboard-link");
  if (link) {
    link.addEventListener("click", function () {
      var query = dashboardQuery(window.location.hash);
      link.search = query ? "?" + query : "";
    });
  }
})();
