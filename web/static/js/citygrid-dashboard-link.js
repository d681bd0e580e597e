/*
 * The map's link to the dashboard (templates/map_planner.html) takes the map's current query
 * string, so the dashboard counts and downloads with the filters the map shows.
 */
(function () {
  "use strict";

  var link = document.querySelector(".citygrid-dashboard-link");
  if (link) {
    link.addEventListener("click", function () {
      link.search = window.location.search;
    });
  }
})();
