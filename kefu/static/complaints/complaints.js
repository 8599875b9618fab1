// The warning chart: complaints against the detector's expectation (kefu.complaints).
document.addEventListener("DOMContentLoaded", function () {
  var holder = document.getElementById("warning-chart");
  var data = document.getElementById("warning-chart-data");
  if (!holder || !data || typeof echarts === "undefined") return;
  var d = JSON.parse(data.textContent);
  var chart = echarts.init(holder);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: [d.t_observed, d.t_expected] },
    grid: { left: 40, right: 16, top: 32, bottom: 24 },
    xAxis: { type: "category", data: d.labels },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: d.t_observed, type: "bar", data: d.observed, itemStyle: { color: "#dc2626" } },
      { name: d.t_expected, type: "line", data: d.expected, itemStyle: { color: "#6b7280" } }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
