// The QA results trend: pass rate and average score per week (kefu.quality).
document.addEventListener("DOMContentLoaded", function () {
  var holder = document.getElementById("qa-trend");
  var data = document.getElementById("qa-trend-data");
  if (!holder || !data || typeof echarts === "undefined") return;
  var d = JSON.parse(data.textContent);
  var chart = echarts.init(holder);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: [d.t_rate, d.t_average] },
    grid: { left: 40, right: 16, top: 32, bottom: 24 },
    xAxis: { type: "category", data: d.weeks },
    yAxis: { type: "value", min: 0, max: 100 },
    series: [
      { name: d.t_rate, type: "line", data: d.rate, itemStyle: { color: "#16a34a" } },
      { name: d.t_average, type: "bar", data: d.average, itemStyle: { color: "#3b82f6" } }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
