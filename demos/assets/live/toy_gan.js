// The toy GAN's live view: points over D's surface, and both losses. props.value per frame:
// {seq, run, surface: base64 uint8 (R x R, row 0 = y = -extent), resolution, extent, fake: base64 int16 thousandths x0 y0 x1 y1 ...,
//  real (first frame of a run only), steps: new loss steps, d_loss, g_loss, total_steps, title}
const plane = element.querySelector("canvas.plane");
const losses = element.querySelector("canvas.losses");
const title = element.querySelector(".title");
const surface = document.createElement("canvas");
let run = null, real = [], history = { step: [], d_loss: [], g_loss: [] };

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

function draw() {
  const value = props.value;
  const ctx = plane.getContext("2d");
  if (!value || value.seq === undefined) {
    ctx.clearRect(0, 0, plane.width, plane.height); losses.getContext("2d").clearRect(0, 0, losses.width, losses.height);
    return;
  }
  if (value.run !== run) { run = value.run; real = []; history = { step: [], d_loss: [], g_loss: [] }; }
  if (value.real) real = points(value.real);
  history.step.push(...value.steps); history.d_loss.push(...value.d_loss); history.g_loss.push(...value.g_loss);
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
  ctx.globalAlpha = 0.6;
  dots(ctx, real, "#1a7a1a", value.extent);
  dots(ctx, points(value.fake), "#7a1aa0", value.extent);
  ctx.globalAlpha = 1;
  lineChart(losses, {
    series: [
      { x: history.step, y: history.d_loss, colour: "#1f5fa8" },
      { x: history.step, y: history.g_loss, colour: "#a81f5f" },
    ],
    xMax: value.total_steps, xLabel: "step",
  });
  title.textContent = value.title;
  element.querySelector(".live-gan").dataset.step = String(history.step[history.step.length - 1] ?? 0);
}

watch("value", draw);
draw();
