/*
 * Charts drawn with Apache ECharts (static/vendor/echarts-*), from data islands.
 *
 * A chart's container names, in data-chart-data, the id of a JSON script element written
 * by Django's json_script filter; the page holds no inline script. Every chart has its
 * numbers in a table next to it as well, and marks the place it is about by shape and
 * label, not by colour alone.
 *
 * data-chart="comparison": the spread of a peer group (templates/benchmarks/includes/
 * comparison_result.html). The island holds unit, box ([minimum, lower quartile, median,
 * upper quartile, maximum]), values (every place's value, or none when the group is large),
 * place ({name, value} or null) and labels (translated words).
 *
 * data-chart="series": one indicator of a place over the years (templates/site/includes/
 * place_values.html), or its percentile among its peers (templates/benchmarks/includes/
 * place_by_year.html). The island holds name, unit, years and values, oldest first (null
 * for a year without one), and optionally min and max of the value axis.
 */
(function () {
  "use strict";

  var INK = "#1a1a1a";
  var BOX_LINE = "#0b4f8a";
  var BOX_FILL = "#d6e6f5";
  var DOT = "#4d4d4d";
  var CHOSEN = "#a1002a";

  function reducedMotion() {
    return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  function numberFormat() {
    var language = document.documentElement.lang || undefined;
    var format = new Intl.NumberFormat(language, { maximumSignificantDigits: 4 });
    return function (value) {
      return format.format(value);
    };
  }

  function readData(container) {
    var island = document.getElementById(container.dataset.chartData || "");
    if (!island) {
      return null;
    }
    try {
      return JSON.parse(island.textContent);
    } catch (error) {
      return null;
    }
  }

  function boxTooltip(data, format) {
    var labels = data.labels;
    var names = ["minimum", "lower_quartile", "median", "upper_quartile", "maximum"];
    return names
      .map(function (name, index) {
        return labels[name] + ": " + format(data.box[index]);
      })
      .join("<br>");
  }

  function comparisonOption(data) {
    var format = numberFormat();
    var labels = data.labels;
    var series = [
      {
        name: labels.box,
        type: "boxplot",
        data: [data.box],
        boxWidth: [12, 40],
        itemStyle: { color: BOX_FILL, borderColor: BOX_LINE, borderWidth: 2 },
        tooltip: {
          formatter: function () {
            return boxTooltip(data, format);
          }
        }
      }
    ];
    if (data.values && data.values.length) {
      series.push({
        name: labels.strip,
        type: "scatter",
        large: data.values.length > 2000,
        symbolSize: 6,
        itemStyle: { color: DOT, opacity: 0.45 },
        data: data.values.map(function (value) {
          return [value, 1];
        }),
        tooltip: {
          formatter: function (point) {
            return labels.value + ": " + format(point.value[0]);
          }
        }
      });
    }
    if (data.place) {
      series.push({
        name: data.place.name,
        type: "scatter",
        symbol: "diamond",
        symbolSize: 18,
        z: 10,
        itemStyle: { color: CHOSEN, borderColor: INK, borderWidth: 1.5 },
        // Named once, below its dot among the places, where nothing else is written.
        data: [
          [data.place.value, 0],
          {
            value: [data.place.value, 1],
            label: {
              show: true,
              position: "bottom",
              distance: 8,
              color: INK,
              fontWeight: "bold",
              formatter: function () {
                return data.place.name + ": " + format(data.place.value);
              }
            }
          }
        ],
        tooltip: {
          formatter: function () {
            return data.place.name + ": " + format(data.place.value);
          }
        }
      });
    }
    return {
      animation: !reducedMotion(),
      aria: { enabled: true, label: { enabled: false }, decal: { show: true } },
      grid: { left: 8, right: 24, top: 16, bottom: 44, containLabel: true },
      tooltip: { trigger: "item", confine: true },
      xAxis: {
        type: "value",
        scale: true,
        name: data.unit,
        nameLocation: "middle",
        nameGap: 28,
        axisLabel: { color: INK, formatter: format },
        nameTextStyle: { color: INK },
        splitLine: { lineStyle: { color: "#d9d9d9" } }
      },
      yAxis: {
        type: "category",
        inverse: true,
        data: [labels.box, labels.strip],
        axisLabel: { color: INK }
      },
      series: series
    };
  }

  function seriesOption(data) {
    var format = numberFormat();
    return {
      animation: !reducedMotion(),
      aria: { enabled: true, label: { enabled: false } },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      tooltip: {
        trigger: "axis",
        confine: true,
        valueFormatter: function (value) {
          if (value === null || value === undefined || value === "-") {
            return "–";
          }
          return (format(value) + " " + data.unit).trim();
        }
      },
      xAxis: {
        type: "category",
        data: data.years,
        boundaryGap: false,
        axisLabel: { color: INK }
      },
      yAxis: {
        type: "value",
        scale: data.min === undefined,
        min: data.min,
        max: data.max,
        name: data.unit,
        nameTextStyle: { color: INK, align: "left" },
        axisLabel: { color: INK, formatter: format },
        splitLine: { lineStyle: { color: "#d9d9d9" } }
      },
      series: [
        {
          name: data.name,
          type: "line",
          data: data.values,
          symbol: "circle",
          symbolSize: 6,
          lineStyle: { color: BOX_LINE, width: 2 },
          itemStyle: { color: BOX_LINE }
        }
      ]
    };
  }

  var OPTIONS = { comparison: comparisonOption, series: seriesOption };

  function draw(container) {
    var build = OPTIONS[container.dataset.chart];
    var data = readData(container);
    if (!build || !data) {
      return;
    }
    // The fallback text says the chart needs JavaScript: it has it now.
    container.textContent = "";
    var chart = echarts.init(container, null, { renderer: "canvas" });
    chart.setOption(build(data));
    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        chart.resize();
      }).observe(container);
    }
  }

  function drawAll() {
    if (typeof echarts === "undefined") {
      return;
    }
    document.querySelectorAll("[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
