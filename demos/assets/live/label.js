// A gr.Label's confidences as a bar chart, for its downloads (demos/live.py's label_chart): the same drawing
// calls on a canvas (PNG) or on svg.js's SvgContext (SVG). value: the Label's value as the browser holds it,
// {label, confidences: [{label, confidence}]} (most confident first), or null before the first reading.
const LABEL_WIDTH = 380, LABEL_ROW = 22, LABEL_FIRST = 28, LABEL_NAME = 150;

function labelRows(value) {
  return value && Array.isArray(value.confidences) ? value.confidences : [];
}

function labelSize(value) {
  return [LABEL_WIDTH, LABEL_FIRST + Math.max(1, labelRows(value).length) * LABEL_ROW + 6];
}

function paintLabel(ctx, value, title) {
  const rows = labelRows(value), [width, height] = labelSize(value), length = LABEL_WIDTH - LABEL_NAME - 50;
  const short = (name) => (name.length > 22 ? name.slice(0, 21) + "…" : name);
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, width, height);
  ctx.font = "bold 13px sans-serif"; ctx.fillStyle = "#222"; ctx.textAlign = "left";
  ctx.fillText(title + (value && value.label !== undefined && value.label !== null ? ": " + value.label : ""), 4, 17);
  ctx.font = "12px sans-serif";
  if (!rows.length) { ctx.fillText("No reading yet.", 4, LABEL_FIRST + 13); return; }
  rows.forEach((row, i) => {
    const y = LABEL_FIRST + i * LABEL_ROW, share = Math.max(0, Math.min(1, row.confidence));
    ctx.fillStyle = "#222"; ctx.textAlign = "right"; ctx.fillText(short(String(row.label)), LABEL_NAME - 6, y + 13);
    ctx.fillStyle = "#eee"; ctx.fillRect(LABEL_NAME, y + 2, length, 14);  // the track
    ctx.fillStyle = i === 0 ? "#ea580c" : "#9ca3af"; ctx.fillRect(LABEL_NAME, y + 2, share * length, 14);
    ctx.fillStyle = "#222"; ctx.textAlign = "left"; ctx.fillText(Math.round(100 * share) + "%", LABEL_NAME + length + 6, y + 13);
  });
}

function saveLabel(value, title, kind, file) {  // kind: "png" or "svg"
  const [width, height] = labelSize(value);
  if (kind === "svg") {
    const ctx = new SvgContext(width, height);
    paintLabel(ctx, value, title);
    saveFile(new Blob([ctx.document()], { type: "image/svg+xml" }), `${file}.svg`);
    return;
  }
  const canvas = document.createElement("canvas");
  canvas.width = width; canvas.height = height;
  paintLabel(canvas.getContext("2d"), value, title);
  canvas.toBlob((blob) => blob && saveFile(blob, `${file}.png`), "image/png");
}
