// Performance charts (kefu.performance): trends with a click-through to the tickets behind a point,
// a table view toggle per chart, and the agent's own trend on the scorecard.
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("pf-chart-data");
  document.querySelectorAll(".pf-toggle").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var chart = document.getElementById(btn.dataset.target);
      var table = document.getElementById(btn.dataset.target + "-table");
      var showTable = table.hidden;
      table.hidden = !showTable;
      chart.hidden = showTable;
    });
  });
  if (typeof echarts === "undefined") return;
  if (el) {
    var d = JSON.parse(el.textContent);
    document.querySelectorAll(".pf-chart[data-metric]").forEach(function (holder) {
      var data = d[holder.dataset.kind];
      var metric = holder.dataset.metric;
      var chart = echarts.init(holder);
      chart.setOption({
        tooltip: { trigger: "axis" },
        grid: { left: 48, right: 16, top: 16, bottom: 28 },
        xAxis: { type: "category", data: data.periods },
        yAxis: { type: "value", scale: true },
        series: [{ name: data.labels[metric], type: "line", data: data.series[metric], symbolSize: 8, connectNulls: false }]
      });
      // A click anywhere in a period's column of the plot (not only on the small symbol) opens its tickets.
      chart.getZr().on("click", function (e) {
        var at = [e.offsetX, e.offsetY];
        if (!chart.containPixel("grid", at)) return;
        var index = Math.round(chart.convertFromPixel({ seriesIndex: 0 }, at)[0]);
        if (index < 0 || index >= data.periods.length) return;
        var q = new URLSearchParams({ metric: metric, period: data.periods[index], group: d.group, key: d.key });
        window.location.href = d.drill + "?" + q.toString();
      });
      holder.dataset.ready = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  var mine = document.getElementById("pf-trend-data");
  var holder = document.getElementById("pf-my-trend");
  if (mine && holder) {
    var t = JSON.parse(mine.textContent);
    var chart = echarts.init(holder);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: Object.keys(t.series).map(function (m) { return t.labels[m]; }) },
      grid: { left: 48, right: 16, top: 32, bottom: 28 },
      xAxis: { type: "category", data: t.periods },
      yAxis: { type: "value", scale: true },
      series: Object.keys(t.series).map(function (m) { return { name: t.labels[m], type: "line", data: t.series[m] }; })
    });
  }
});
