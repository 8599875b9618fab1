// Workforce charts: every <div data-wf-chart="<json>"> becomes an ECharts line chart. No inline JS (strict CSP).
(function () {
  function init(root) {
    root.querySelectorAll("[data-wf-chart]").forEach(function (el) {
      if (el.dataset.wfReady || !window.echarts) return;
      el.dataset.wfReady = "1";
      var spec = JSON.parse(el.dataset.wfChart);
      var chart = window.echarts.init(el);
      chart.setOption({
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 40, right: 16, top: 32, bottom: 56 },
        dataZoom: [{ type: "slider", bottom: 8 }, { type: "inside" }],
        xAxis: { type: "category", data: spec.labels },
        yAxis: { type: "value" },
        series: spec.series.map(function (s) {
          return { name: s.name, type: "line", step: s.step ? "end" : false, showSymbol: false, data: s.data, areaStyle: s.step ? { opacity: 0.15 } : undefined };
        }),
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (e) { init(e.target); });
})();
