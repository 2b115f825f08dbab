// Shared by the live views: a line chart on a <canvas>, drawn from arrays (no library, no image file).
// lineChart(canvas, {series: [{x, y, colour, width, dash}], xMax, yMin, yMax, xLabel, yLabel, marker}), on the
// canvas; or, given `ctx`, on that context instead (export.js's SvgContext: the same chart as SVG).
function lineChart(canvas, options, ctx) {
  if (!ctx) {
    ctx = canvas.getContext("2d");
    if (typeof remember === "function") remember(canvas, canvas.width, canvas.height, (again) => lineChart(canvas, options, again));
  }
  const W = canvas.width, H = canvas.height, left = 46, right = 10, top = 10, bottom = 30;
  const xMax = Math.max(options.xMax || 1, 1);
  let yMin = options.yMin, yMax = options.yMax;
  if (yMin === undefined || yMax === undefined) {
    const values = options.series.flatMap((s) => s.y.filter((v) => v !== null && Number.isFinite(v)));
    yMin = values.length ? Math.min(0, ...values) : 0;
    yMax = values.length ? Math.max(...values) * 1.05 : 1;
    if (yMax <= yMin) yMax = yMin + 1;
  }
  const px = (x) => left + (x / xMax) * (W - left - right);
  const py = (y) => top + (1 - (y - yMin) / (yMax - yMin)) * (H - top - bottom);
  ctx.clearRect(0, 0, W, H);
  ctx.font = "11px sans-serif";
  const ink = getComputedStyle(canvas).color || "#555";  // the theme's text colour, light or dark
  ctx.strokeStyle = "rgba(128, 128, 128, 0.3)";
  ctx.fillStyle = ink;
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {  // horizontal grid lines with their values
    const y = yMin + ((yMax - yMin) * i) / 4;
    ctx.beginPath(); ctx.moveTo(left, py(y)); ctx.lineTo(W - right, py(y)); ctx.stroke();
    ctx.textAlign = "right"; ctx.fillText(y.toPrecision(2), left - 4, py(y) + 4);
  }
  for (let i = 0; i <= 4; i++) {
    const x = Math.round((xMax * i) / 4);
    ctx.textAlign = "center"; ctx.fillText(String(x), px(x), H - bottom + 14);
  }
  ctx.fillText(options.xLabel || "", (left + W - right) / 2, H - 3);
  for (const s of options.series) {
    ctx.strokeStyle = s.colour; ctx.lineWidth = s.width || 2; ctx.setLineDash(s.dash || []);
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i < s.x.length; i++) {
      const y = s.y[i];
      if (y === null || !Number.isFinite(y)) { pen = false; continue; }
      const cy = Math.min(Math.max(py(y), top), H - bottom);  // a spike is clipped at the frame
      if (pen) ctx.lineTo(px(s.x[i]), cy); else ctx.moveTo(px(s.x[i]), cy);
      pen = true;
    }
    ctx.stroke();
  }
  ctx.setLineDash([]);
  if (options.marker) {  // a dashed vertical line with its words
    ctx.strokeStyle = options.marker.colour; ctx.lineWidth = 1.5; ctx.setLineDash([5, 4]);
    ctx.beginPath(); ctx.moveTo(px(options.marker.x), top); ctx.lineTo(px(options.marker.x), H - bottom); ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = options.marker.colour; ctx.textAlign = "left";
    ctx.fillText(options.marker.text, Math.min(px(options.marker.x) + 4, W - 140), top + 12);
  }
}

function legendHtml(items) {  // [[colour, words, dashed?]] -> the legend's HTML
  return items.map(([colour, words, dashed]) =>
    `<span class="key"><i style="border-top: 3px ${dashed ? "dashed" : "solid"} ${colour}"></i>${words}</span>`).join("");
}
