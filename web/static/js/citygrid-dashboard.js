/*
 * citygrid dashboard: draws the monthly trend chart with uPlot (vendor/uplot, served by
 * the app) from <script type="application/json" id="citygrid-trend-data">:
 *   {months: ["2025-01", ...], reported: [...], closed: [...], labels: {reported, closed}}.
 * The chart element gets data-drawn="true" once drawn.
 */
(function (uPlot) {
  "use strict";

  var box = document.getElementById("citygrid-trend");
  var data = JSON.parse(document.getElementById("citygrid-trend-data").textContent);
  /* Months as the middle of each month in Unix seconds, for uPlot's time axis. */
  var times = data.months.map(function (month) {
    var parts = month.split("-");
    return Date.UTC(Number(parts[0]), Number(parts[1]) - 1, 15) / 1000;
  });
  var options = {
    width: Math.max(320, box.clientWidth || 800),
    height: 280,
    series: [
      {},
      { label: data.labels.reported, stroke: "#d7301f", width: 2 },
      { label: data.labels.closed, stroke: "#2b8cbe", width: 2 }
    ],
    axes: [{}, {}],
    scales: { x: { time: true } }
  };
  new uPlot(options, [times, data.reported, data.closed], box);
  box.dataset.drawn = "true";
})(window.uPlot);
