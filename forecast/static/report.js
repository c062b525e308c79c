/* Charts of a forecast report, drawn with uPlot (embedded before this script).
 *
 * forecast/report.py writes every number into the JSON block #report-data as a list of
 * chart specs: {id, x, xKind: "time"|"linear"|"log"|"category", xTicks, xLabel, yLabel,
 * height, series: [{label, y, color, dash, width, paths: "line"|"step"|"none", lo, hi}],
 * yLog (a log y axis), marks: [{x, label}] (vertical lines, e.g. fold boundaries), hline
 * (a reference level), pointLabels (write each series' label next to its point)}. Labels
 * reach the page through uPlot, which sets them as text, never as HTML.
 *
 * Drag on a chart to zoom in, double-click to zoom out; hovering shows the values in the
 * legend below it; clicking a legend entry hides or shows that series.
 */
(function () {
  "use strict";
  var specs = JSON.parse(document.getElementById("report-data").textContent).charts;
  var charts = [], drawn = 0;
  window.reportCharts = charts; // the uPlot instances, for tests and the curious

  var ymd = uPlot.fmtDate("{YYYY}-{MM}-{DD}");
  // daily prices carry dates, not instants: show them in UTC so no time zone shifts a day
  function utc(ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); }

  function fade(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + a + ")";
  }

  function number(v) {
    if (v == null || !isFinite(v)) return "--";
    var a = Math.abs(v);
    var digits = a >= 1000 ? 1 : a >= 10 ? 2 : a >= 1 ? 3 : 4;
    return v.toLocaleString("en-US", {maximumFractionDigits: digits});
  }

  function pathsOf(kind) {
    if (kind === "step") return uPlot.paths.stepped({align: 1});
    if (kind === "none") return function () { return null; };
    return undefined; // uPlot's default: straight lines
  }

  // fold boundaries, a reference level and point labels, drawn over the series
  function overlay(spec) {
    return function (u) {
      var ctx = u.ctx, b = u.bbox, dpr = devicePixelRatio || 1;
      ctx.save();
      ctx.beginPath();
      ctx.rect(b.left, b.top, b.width, b.height);
      ctx.clip();
      ctx.font = Math.round(11 * dpr) + "px system-ui, sans-serif";
      ctx.textAlign = "left"; // uPlot leaves the alignment of its last axis label
      ctx.textBaseline = "alphabetic";
      ctx.lineWidth = dpr;
      ctx.strokeStyle = ctx.fillStyle = "#9a9a9a";
      ctx.setLineDash([4 * dpr, 4 * dpr]);
      (spec.marks || []).forEach(function (m) {
        var x = Math.round(u.valToPos(m.x, "x", true));
        ctx.beginPath();
        ctx.moveTo(x, b.top);
        ctx.lineTo(x, b.top + b.height);
        ctx.stroke();
        ctx.fillText(m.label, x + 4 * dpr, b.top + 12 * dpr);
      });
      if (spec.hline != null) {
        var y = Math.round(u.valToPos(spec.hline, "y", true));
        ctx.beginPath();
        ctx.moveTo(b.left, y);
        ctx.lineTo(b.left + b.width, y);
        ctx.stroke();
      }
      ctx.setLineDash([]);
      if (spec.pointLabels) {
        u.series.forEach(function (s, i) {
          if (i === 0 || !s.show) return;
          u.data[i].forEach(function (v, j) {
            if (v == null) return;
            ctx.fillStyle = spec.colors[i] || "#333";
            ctx.fillText(s.label, u.valToPos(u.data[0][j], "x", true) + 7 * dpr,
                         u.valToPos(v, "y", true) - 7 * dpr);
          });
        });
      }
      ctx.restore();
    };
  }

  // Room around the outermost points (for markers and labels) when the whole x range is
  // shown; a zoomed-in range is kept as the user dragged it.
  function padded(xs, pad) {
    var lo = Math.min.apply(null, xs), hi = Math.max.apply(null, xs);
    return function (u, min, max) {
      return min <= lo && max >= hi ? pad(lo, hi) : [min, max];
    };
  }

  function build(spec) {
    var el = document.getElementById(spec.id);
    var xKind = spec.xKind || "linear";
    var xSeries = {label: spec.xLabel || "x"};
    var scales = {x: {time: xKind === "time"}};
    if (spec.yLog) scales.y = {distr: 3}; // losses of later folds sit far below the first's
    var xAxis = {label: xKind === "time" ? "" : spec.xLabel, stroke: "#444"};
    if (xKind === "time") {
      xSeries.value = function (u, v) { return v == null ? "--" : ymd(utc(v)); };
    } else if (xKind === "log") {
      scales.x.distr = 3;
      scales.x.range = padded(spec.x, function (lo, hi) { return [lo / 3, hi * 3]; });
      xSeries.value = function (u, v) { return number(v); };
    } else if (xKind === "category") {
      var n = spec.xTicks.length, ticks = spec.xTicks;
      scales.x.range = padded(spec.x, function (lo, hi) { return [lo - 0.5, hi + 0.5]; });
      xAxis.splits = function () { return ticks.map(function (_, i) { return i; }); };
      xAxis.values = function (u, splits) {
        return splits.map(function (v) { return ticks[v] == null ? "" : ticks[v]; });
      };
      xSeries.value = function (u, v) { return v == null ? "--" : ticks[v]; };
    }
    var data = [spec.x], series = [xSeries], bands = [], bandRows = [];
    spec.colors = [null]; // per uPlot series, for the point labels
    spec.series.forEach(function (s) {
      var idx = series.length;
      series.push({
        label: s.label, stroke: s.color, width: s.width || 1.5, dash: s.dash,
        paths: pathsOf(s.paths),
        points: s.paths === "none" ? {show: true, size: 9, fill: s.color} : {},
        value: function (u, v) { return number(v); }
      });
      data.push(s.y);
      spec.colors.push(s.color);
      if (s.lo && s.hi) {
        // the spread over seeds: two faint edges and the area between them
        [s.hi, s.lo].forEach(function (edge, k) {
          series.push({label: s.label + (k ? " (lowest seed)" : " (highest seed)"),
                       stroke: fade(s.color, 0.35), width: 0.5, points: {show: false},
                       value: function (u, v) { return number(v); }});
          data.push(edge);
          spec.colors.push(null);
          bandRows.push(series.length - 1);
        });
        bands.push({series: [idx + 1, idx + 2], fill: fade(s.color, 0.15)});
      }
    });
    var opts = {
      width: Math.max(320, el.clientWidth),
      height: spec.height || 320,
      tzDate: utc,
      scales: scales,
      series: series,
      bands: bands,
      axes: [xAxis, {label: spec.yLabel, stroke: "#444", size: 64}],
      cursor: {drag: {x: true, y: false}},
      legend: {live: true},
      hooks: {
        draw: [overlay(spec), function () {
          if (el.dataset.drawn) return;
          el.dataset.drawn = "1";
          // uPlot draws after the script ends: the page is ready when every chart has drawn
          if (++drawn === specs.length) {
            performance.mark("charts-drawn");
            document.body.dataset.chartsDrawn = String(drawn);
          }
        }]
      }
    };
    var u = new uPlot(opts, data, el);
    // the band edges are drawing aids: keep them out of the legend
    var rows = u.root.querySelectorAll(".u-legend .u-series");
    bandRows.forEach(function (i) { if (rows[i]) rows[i].style.display = "none"; });
    charts.push({id: spec.id, plot: u});
  }

  specs.forEach(build);

  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      charts.forEach(function (c) {
        var w = Math.max(320, c.plot.root.parentNode.clientWidth);
        if (w !== c.plot.width) c.plot.setSize({width: w, height: c.plot.height});
      });
    }, 100);
  });
})();
