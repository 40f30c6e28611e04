// Statistics charts (ECharts, served from static/vendor): each `.chart[data-chart]` is drawn from the table
// named by its data-table, whose cells carry the raw figures in data-value (yuan, counts, percents). No inline
// script (the Content-Security-Policy forbids it) and no second request: the chart shows what the table says.
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var WAN = 10000;
  var COLORS = ["#1f5fa8", "#e8a33d", "#1e8e5a", "#c0392b", "#7b61c4", "#3aa6b9", "#8a9199", "#d4699b",
                "#6b8e23", "#b45309", "#2f4b7c", "#f95d6a"];
  var charts = [];

  function readTable(id) {
    var table = document.getElementById(id);
    if (!table) { return null; }
    var cols = {};
    table.querySelectorAll("thead th[data-col]").forEach(function (th) {
      cols[th.getAttribute("data-col")] = { label: th.textContent.trim(), kind: th.getAttribute("data-kind") };
    });
    var rows = [];
    table.querySelectorAll("tbody tr[data-key]").forEach(function (tr) {
      var row = { key: tr.getAttribute("data-key"), label: tr.getAttribute("data-label") };
      tr.querySelectorAll("td[data-col]").forEach(function (td) {
        var v = td.getAttribute("data-value");
        row[td.getAttribute("data-col")] = v === "" || v === null ? null : Number(v);
      });
      rows.push(row);
    });
    return { cols: cols, rows: rows };
  }

  // Amounts in 万元 on the charts, as in the tables.
  function scaled(kind, v) {
    if (v === null || v === undefined) { return null; }
    return kind === "yuan" ? Math.round(v / WAN * 100) / 100 : v;
  }
  function unitOf(kind) {
    return kind === "yuan" ? "万元" : (kind === "pct" ? "%" : (kind === "hours" ? "小时" : "项"));
  }
  function shortLabel(label) { return label.replace(/（.*?）/g, ""); }
  function fmt(v) {
    if (v === null || v === undefined || isNaN(v)) { return "—"; }
    return Number(v).toLocaleString("zh-CN", { maximumFractionDigits: 2 });
  }

  // Tooltips as text lines, with class-styled markers: ECharts' default markers carry style="" attributes,
  // which the CSP refuses.
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function tooltip(units) {
    return function (params) {
      var list = Array.isArray(params) ? params : [params];
      var head = list.length ? escapeHtml(list[0].name || list[0].axisValueLabel || "") : "";
      var lines = list.map(function (p) {
        var value = Array.isArray(p.value) ? p.value[p.value.length - 1] : p.value;
        var unit = units[p.seriesName] || "";
        var tail = p.percent !== undefined ? "（" + p.percent + "%）" : "";
        return '<div class="tip-line"><span class="tip-dot tip-c' + (p.color ? COLORS.indexOf(p.color) : 0) +
          '"></span>' + escapeHtml(p.seriesName) + "：" + fmt(value) + " " + unit + tail + "</div>";
      });
      return '<div class="tip-head">' + head + "</div>" + lines.join("");
    };
  }

  function base(units) {
    return {
      color: COLORS,
      animation: false,
      textStyle: { fontFamily: "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif" },
      tooltip: { trigger: "axis", confine: true, formatter: tooltip(units) },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 56, bottom: 8, containLabel: true }
    };
  }

  function seriesOf(data, keys) {
    return keys.filter(function (k) { return data.cols[k]; }).map(function (k) {
      var c = data.cols[k];
      return { key: k, name: shortLabel(c.label), kind: c.kind,
               values: data.rows.map(function (r) { return scaled(c.kind, r[k]); }) };
    });
  }

  var builders = {
    // Monthly bars, the cumulative line, the pace line and the target.
    cumulative: function (el, data) {
      var s = seriesOf(data, ["amount", "cumulative", "pace"]);
      var units = {};
      s.forEach(function (x) { units[x.name] = unitOf(x.kind); });
      var target = el.getAttribute("data-target");
      var opt = base(units);
      opt.xAxis = { type: "category", data: data.rows.map(function (r) { return r.label; }) };
      opt.yAxis = { type: "value", name: "万元" };
      opt.series = s.map(function (x) {
        var out = { name: x.name, data: x.values, type: x.key === "amount" ? "bar" : "line" };
        if (x.key === "pace") { out.lineStyle = { type: "dashed" }; out.symbol = "none"; }
        return out;
      });
      if (target) {
        var t = Math.round(Number(target) / WAN * 100) / 100;
        var cum = opt.series.filter(function (x) { return x.name === s[1].name; })[0];
        if (cum) {
          cum.markLine = { symbol: "none", silent: true, data: [{ yAxis: t, name: "全年目标" }],
                           label: { formatter: "全年目标 " + fmt(t) + " 万元", position: "insideEndTop" },
                           lineStyle: { color: "#c0392b" } };
        }
      }
      return opt;
    },
    compare: function (el, data) {
      var keys = (el.getAttribute("data-cols") || "amount").split(",");
      var s = seriesOf(data, keys);
      var units = {};
      s.forEach(function (x) { units[x.name] = unitOf(x.kind); });
      var opt = base(units);
      opt.xAxis = { type: "category", data: data.rows.map(function (r) { return r.label; }),
                    axisLabel: { interval: 0, hideOverlap: true } };
      opt.yAxis = { type: "value", name: unitOf(s[0] && s[0].kind) };
      opt.series = s.map(function (x) { return { name: x.name, type: "bar", data: x.values }; });
      return opt;
    },
    yoy: function (el, data) {
      var s = seriesOf(data, (el.getAttribute("data-cols") || "amount,previous").split(","));
      var units = {};
      s.forEach(function (x) { units[x.name] = unitOf(x.kind); });
      var opt = base(units);
      opt.xAxis = { type: "category", data: data.rows.map(function (r) { return r.label; }) };
      opt.yAxis = { type: "value", name: "万元" };
      opt.series = s.map(function (x, i) {
        return { name: i === 0 ? "本年" : x.name, type: "line", data: x.values, smooth: false };
      });
      units["本年"] = "万元";
      return opt;
    },
    hbar: function (el, data) {
      var keys = (el.getAttribute("data-cols") || "amount").split(",");
      var s = seriesOf(data, keys);
      var units = {};
      s.forEach(function (x) { units[x.name] = unitOf(x.kind); });
      var opt = base(units);
      var labels = data.rows.map(function (r) { return r.label; });
      opt.yAxis = { type: "category", data: labels.slice().reverse(), axisLabel: { width: 110, overflow: "truncate" } };
      opt.xAxis = { type: "value", name: unitOf(s[0] && s[0].kind) };
      opt.series = s.map(function (x) { return { name: x.name, type: "bar", data: x.values.slice().reverse() }; });
      el.style.height = Math.max(260, 60 + labels.length * 26 * Math.max(1, s.length * 0.8)) + "px";
      return opt;
    },
    pie: function (el, data) {
      var s = seriesOf(data, ["amount"])[0];
      var units = {};
      units[s.name] = unitOf(s.kind);
      var opt = base(units);
      opt.tooltip.trigger = "item";
      opt.series = [{ name: s.name, type: "pie", radius: ["35%", "65%"], top: 30,
                      label: { formatter: "{b}\n{d}%" },
                      data: data.rows.map(function (r, i) { return { name: r.label, value: s.values[i] }; })
                        .filter(function (d) { return d.value; }) }];
      return opt;
    },
    pctbar: function (el, data) {
      var s = seriesOf(data, ["share"])[0];
      var units = {};
      units[s.name] = "%";
      var opt = base(units);
      opt.xAxis = { type: "category", data: data.rows.map(function (r) { return r.label; }), axisLabel: { interval: 0 } };
      opt.yAxis = { type: "value", name: "%" };
      opt.series = [{ name: s.name, type: "bar", data: s.values,
                      markLine: { symbol: "none", silent: true, data: [{ yAxis: 100 }], label: { formatter: "100%" },
                                  lineStyle: { color: "#1e8e5a" } } }];
      return opt;
    },
    map: function (el, data, geo) {
      var s = seriesOf(data, ["amount"])[0];
      var units = {};
      units[s.name] = unitOf(s.kind);
      var values = s.values.filter(function (v) { return v !== null; });
      var opt = base(units);
      opt.tooltip.trigger = "item";
      delete opt.legend;
      opt.visualMap = { min: 0, max: Math.max.apply(null, values.concat([1])), left: 0, bottom: 0, calculable: true,
                        text: ["高", "低"], inRange: { color: ["#e8f0fa", "#1f5fa8"] } };
      opt.series = [{ name: s.name, type: "map", map: "jiangxi", roam: false, label: { show: true, fontSize: 11 },
                      data: data.rows.map(function (r, i) { return { name: r.label, value: s.values[i] }; }) }];
      return opt;
    }
  };

  function draw(el, geo) {
    var data = readTable(el.getAttribute("data-table"));
    var build = builders[el.getAttribute("data-chart")];
    if (!data || !build || !data.rows.length) {
      el.classList.add("chart-empty");
      el.textContent = "暂无数据";
      return;
    }
    var option = build(el, data, geo);
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option);
    charts.push(chart);
    el.setAttribute("data-rendered", "1");
  }

  function start() {
    var els = document.querySelectorAll(".chart[data-chart]");
    els.forEach(function (el) {
      if (el.getAttribute("data-chart") !== "map") { draw(el); return; }
      fetch(el.getAttribute("data-map-url"), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (geo) { echarts.registerMap("jiangxi", geo); draw(el, geo); })
        .catch(function () { el.classList.add("chart-empty"); el.textContent = "地图加载失败，数据见下表"; });
    });
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 150);
    });
    // Printing: charts take the printed width.
    window.addEventListener("beforeprint", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
