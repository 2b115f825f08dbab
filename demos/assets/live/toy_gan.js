// The toy GAN's live view: points over D's surface, G's manifold, the gradient arrows, and both losses.
// props.value per frame:
// {seq, run, from, surface: base64 uint8 (R x R, row 0 = y = -extent), resolution, extent,
//  fake: base64 int16 thousandths x0 y0 x1 y1 ..., real (a press's first frame only),
//  manifold: G on the noise grid (grid x grid points, row by row), grid,
//  arrows_at: the points that carry an arrow, arrows: each arrow over the longest one's length, arrow_scale: that length,
//  steps, d_loss, g_loss: the loss points from index `from` on, total_steps, title}
const plane = element.querySelector("canvas.plane");
const losses = element.querySelector("canvas.losses");
const title = element.querySelector(".title");
const showManifold = element.querySelector("input.show-manifold");
const showArrows = element.querySelector("input.show-arrows");
const surface = document.createElement("canvas");
const ARROW_UNITS = 0.6;  // the longest arrow is drawn this long in the plane's units; the others in proportion
let run = null, real = [], history = { step: [], d_loss: [], g_loss: [] }, last = null;

// matplotlib's RdBu, seen at alpha 0.55 over white, for D's score 0..255: red (fake), white, blue (real)
const RDBU = Array.from({ length: 256 }, (_, level) => {
  const stops = [[103, 0, 31], [214, 96, 77], [247, 247, 247], [67, 147, 195], [5, 48, 97]];
  const f = (level / 255) * (stops.length - 1), i = Math.min(Math.floor(f), stops.length - 2), w = f - i;
  return stops[i].map((a, k) => 255 - (255 - (a + (stops[i + 1][k] - a) * w)) * 0.55);
});

function points(base64) {  // int16 thousandths -> coordinates
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return Array.from(new Int16Array(bytes.buffer), (v) => v / 1000);
}

function dots(ctx, points, colour, extent) {
  const scale = plane.width / (2 * extent);
  ctx.fillStyle = colour;
  for (let i = 0; i + 1 < points.length; i += 2) {
    ctx.fillRect((points[i] + extent) * scale - 1.5, (extent - points[i + 1]) * scale - 1.5, 3, 3);
  }
}

function manifold(ctx, grid, n, extent) {  // the warped noise grid: a line along each row and each column
  const scale = plane.width / (2 * extent), px = (k) => [(grid[2 * k] + extent) * scale, (extent - grid[2 * k + 1]) * scale];
  ctx.strokeStyle = "rgba(122, 26, 160, 0.45)"; ctx.lineWidth = 1;
  ctx.beginPath();
  for (let line = 0; line < n; line++) {
    for (const along of [(i) => line * n + i, (i) => i * n + line]) {  // row `line`, then column `line`
      for (let i = 0; i < n; i++) { const [x, y] = px(along(i)); i ? ctx.lineTo(x, y) : ctx.moveTo(x, y); }
    }
  }
  ctx.stroke();
}

function arrows(ctx, at, unit, extent) {  // from each point, along -dL_G/dx, the longest ARROW_UNITS long
  const scale = plane.width / (2 * extent);
  ctx.strokeStyle = "rgba(20, 20, 20, 0.85)"; ctx.lineWidth = 1.2;
  ctx.beginPath();
  for (let i = 0; i + 1 < at.length; i += 2) {
    const x = (at[i] + extent) * scale, y = (extent - at[i + 1]) * scale;
    const dx = unit[i] * ARROW_UNITS * scale, dy = -unit[i + 1] * ARROW_UNITS * scale, length = Math.hypot(dx, dy);
    if (length < 0.5) continue;
    const tx = x + dx, ty = y + dy, head = Math.min(4, length / 2), ux = dx / length, uy = dy / length;
    ctx.moveTo(x, y); ctx.lineTo(tx, ty);
    ctx.moveTo(tx - head * (ux - uy * 0.6), ty - head * (uy + ux * 0.6)); ctx.lineTo(tx, ty);
    ctx.lineTo(tx - head * (ux + uy * 0.6), ty - head * (uy - ux * 0.6));
  }
  ctx.stroke();
}

function ingest() {  // a new value: keep its run's real points and loss history
  const value = props.value;
  last = value && value.seq !== undefined ? value : null;
  if (!last) return;
  if (value.run !== run) { run = value.run; real = []; history = { step: [], d_loss: [], g_loss: [] }; }
  if (value.real) real = points(value.real);
  const from = value.from ?? history.step.length;
  for (const key of ["step", "d_loss", "g_loss"]) history[key].length = Math.min(history[key].length, from);
  history.step.push(...value.steps); history.d_loss.push(...value.d_loss); history.g_loss.push(...value.g_loss);
}

function render() {
  const value = last;
  const ctx = plane.getContext("2d");
  if (!value) {
    ctx.clearRect(0, 0, plane.width, plane.height); losses.getContext("2d").clearRect(0, 0, losses.width, losses.height);
    title.textContent = "Press Train, or Step D / Step G.";
    return;
  }
  const R = value.resolution, grey = Uint8Array.from(atob(value.surface), (c) => c.charCodeAt(0));
  surface.width = surface.height = R;
  const sctx = surface.getContext("2d"), image = sctx.createImageData(R, R);
  for (let row = 0; row < R; row++) {
    for (let col = 0; col < R; col++) {
      const [r, g, b] = RDBU[grey[row * R + col]], at = 4 * ((R - 1 - row) * R + col);  // y up
      image.data[at] = r; image.data[at + 1] = g; image.data[at + 2] = b; image.data[at + 3] = 255;
    }
  }
  sctx.putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(surface, 0, 0, plane.width, plane.height);
  if (value.manifold && showManifold.checked) manifold(ctx, points(value.manifold), value.grid, value.extent);
  ctx.globalAlpha = 0.6;
  dots(ctx, real, "#1a7a1a", value.extent);
  dots(ctx, points(value.fake), "#7a1aa0", value.extent);
  ctx.globalAlpha = 1;
  if (value.arrows && showArrows.checked) arrows(ctx, points(value.arrows_at), points(value.arrows), value.extent);
  lineChart(losses, {
    series: [
      { x: history.step, y: history.d_loss, colour: "#1f5fa8" },
      { x: history.step, y: history.g_loss, colour: "#a81f5f" },
    ],
    xMax: Math.max(value.total_steps, 1), xLabel: "step",
  });
  title.textContent = value.title;
  const view = element.querySelector(".live-gan");
  view.dataset.step = String(history.step[history.step.length - 1] ?? 0);
  view.dataset.arrowScale = String(value.arrow_scale ?? "");
}

showManifold.addEventListener("change", render);
showArrows.addEventListener("change", render);
watch("value", () => { ingest(); render(); });
ingest();
render();
