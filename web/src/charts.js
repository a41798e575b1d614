// The dashboards' charts (ECharts, self-hosted, loaded on these pages only). The numbers
// come from the page's JSON block (#chart-data), the same the tables beside the charts
// show; a chart is a picture of its table, and the table is what screen readers read.
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  var palette = ["#07a150", "#2b6cb0", "#c05621", "#6b46c1"];

  function draw(element) {
    var spec = data[element.dataset.chart];
    if (!spec || !spec.labels.length) { element.hidden = true; return; }
    var zh = (document.documentElement.lang || "zh").toLowerCase().indexOf("zh") === 0;
    var chart = window.echarts.init(element, dark ? "dark" : null,
                                    { renderer: "canvas", locale: zh ? "ZH" : "EN" });
    chart.setOption({
      color: palette,
      backgroundColor: "transparent",
      animation: false,
      aria: { enabled: true },
      grid: { left: 40, right: 12, top: 36, bottom: 48, containLabel: true },
      legend: { top: 0, textStyle: { fontSize: 13 } },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: spec.labels, axisLabel: { fontSize: 12, interval: 0,
        rotate: spec.labels.length > 6 ? 40 : 0 } },
      yAxis: { type: "value", minInterval: 1, axisLabel: { fontSize: 12 } },
      series: spec.series.map(function (s) {
        return { name: s.name, type: element.dataset.chart === "trend" ? "line" : "bar",
                 data: s.data, smooth: false, symbolSize: 6 };
      }),
    });
    element.dataset.drawn = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.querySelectorAll("[data-chart]").forEach(draw);
})();
