// The playground's network, drawn as TensorFlow Playground draws it (demos/overfit/network.py).
// props.value: {seq, grid: [rows, cols], colours: {negative, positive}, layers: [{units, names}],
//   scales: JSON [one per drawn neuron], maps: base64 uint8 (a neuron's map after another, 127.5 = 0),
//   links: JSON [{weight, width, opacity} per pair of layers, row by row (to, from)]}, or {seq, note}, or null.
// The neurons are built once per shape and kept, so hovering, focus and a tap survive each update.
// Its download (export.js, loaded first): the drawing painted again on one context, the links as paths, each
// neuron's map as its pixels, as PNG or SVG.
const root = element.querySelector(".live-network");
const stage = root.querySelector(".stage");
const svg = root.querySelector("svg.links");
const note = root.querySelector(".note");
const legend = root.querySelector(".legend");
const large = root.querySelector(".large");
const largeCanvas = large.querySelector("canvas");
const largeCaption = large.querySelector("figcaption");
const tools = root.querySelector(".export-tools");
const SVG = "http://www.w3.org/2000/svg";
const EMPTY = note.textContent;  // the template's words for a page with no run yet
const HINT = "Hover, focus (Tab) or tap a neuron to see its output here, large.";
const TOP = 18, GAP = 10;  // px: room for the layers' names; between two neurons of a layer
let shape = "", nodes = [], links = [], names = [], levels = null, value = null, scales = [], styles = [];
let hovered = null, focused = null, tapped = null, keysShown = "", place = null;

function rgb(hex) { return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)); }

function paint(canvas, at) {  // the neuron at index `at` of the maps, on the palette's diverging scale (white at 0)
  const [rows, cols] = value.grid, size = rows * cols;
  const negative = rgb(value.colours.negative), positive = rgb(value.colours.positive);
  if (canvas.width !== cols || canvas.height !== rows) { canvas.width = cols; canvas.height = rows; }
  const ctx = canvas.getContext("2d"), image = ctx.createImageData(cols, rows);
  for (let i = 0; i < size; i++) {
    const t = levels[at * size + i] / 127.5 - 1, end = t < 0 ? negative : positive, a = Math.abs(t);
    for (let k = 0; k < 3; k++) image.data[4 * i + k] = 255 + (end[k] - 255) * a;
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

function build() {  // the neurons and links for this shape, laid out by layout()
  for (const node of nodes) node.remove();
  for (const name of names) name.remove();
  svg.replaceChildren();
  nodes = []; links = []; names = [];
  let at = 0;
  value.layers.forEach((layer, l) => {
    const last = l === value.layers.length - 1, shown = layer.names.length;
    const heading = document.createElement("div");
    heading.className = "layer-name";
    heading.textContent = l === 0 ? "inputs" : last ? "outputs" : `layer ${l}` + (layer.units > shown ? ` (${shown} of ${layer.units})` : "");
    stage.appendChild(heading); names.push(heading);
    layer.names.forEach((label, i) => {
      const node = document.createElement("button");
      node.type = "button"; node.className = "node";
      if (l > 0 && !last) node.dataset.neuron = `${l}-${i + 1}`; else node.dataset.node = `${l === 0 ? "in" : "out"}-${i + 1}`;
      node.setAttribute("aria-label", `${label}: show its output over the plane large`);
      node.dataset.label = label; node.dataset.at = String(at++); node.dataset.layer = String(l); node.dataset.unit = String(i);
      node.appendChild(document.createElement("canvas"));
      node.addEventListener("mouseenter", () => { hovered = node; choose(); });
      node.addEventListener("mouseleave", () => { hovered = null; choose(); });
      node.addEventListener("focus", () => { focused = node; choose(); });
      node.addEventListener("blur", () => { focused = null; choose(); });
      node.addEventListener("click", () => { tapped = node; choose(); });  // a tap on a phone, which may not focus
      stage.appendChild(node); nodes.push(node);
    });
  });
  styles.forEach((pair, l) => {
    const from = value.layers[l].names.length;
    pair.weight.forEach((_, k) => {
      const path = document.createElementNS(SVG, "path");
      path.setAttribute("fill", "none");
      path.dataset.link = `${l}:${k % from}-${Math.floor(k / from)}`;
      svg.appendChild(path); links.push({ path, l, from: k % from, to: Math.floor(k / from) });
    });
  });
  hovered = focused = tapped = null;
  layout();
}

function layout() {  // places the neurons in columns and draws the links between their centres
  if (!nodes.length) return;
  const columns = value.layers.length, width = stage.clientWidth || 480, column = width / columns;
  const size = Math.max(18, Math.min(40, column * 0.55));
  const tallest = Math.max(...value.layers.map((layer) => layer.names.length));
  stage.style.height = `${TOP + tallest * (size + GAP)}px`;
  const centre = (l, i) => {
    const shown = value.layers[l].names.length, offset = ((tallest - shown) * (size + GAP)) / 2;
    return [column * (l + 0.5), TOP + offset + i * (size + GAP) + size / 2];
  };
  place = { centre, size, column };
  for (const node of nodes) {
    const [x, y] = centre(+node.dataset.layer, +node.dataset.unit);
    Object.assign(node.style, { left: `${x - size / 2}px`, top: `${y - size / 2}px`, width: `${size}px`, height: `${size}px` });
  }
  names.forEach((name, l) => { name.style.left = `${column * (l + 0.5)}px`; });
  for (const link of links) {
    const [x1, y1] = centre(link.l, link.from), [x2, y2] = centre(link.l + 1, link.to), mid = (x1 + x2) / 2;
    link.path.setAttribute("d", `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`);
  }
  remember(".stage", Math.round(width), TOP + tallest * (size + GAP), paintNetwork);
}

function paintNetwork(ctx) {  // the stage as drawn (links, layers' names, neurons) on a 2-D context or export.js's SvgContext
  const { centre, size, column } = place;
  for (const link of links) {
    const [x1, y1] = centre(link.l, link.from), [x2, y2] = centre(link.l + 1, link.to), mid = (x1 + x2) / 2;
    ctx.strokeStyle = link.path.getAttribute("stroke"); ctx.lineWidth = +link.path.getAttribute("stroke-width");
    ctx.globalAlpha = +link.path.getAttribute("stroke-opacity");
    ctx.beginPath(); ctx.moveTo(x1, y1); ctx.bezierCurveTo(mid, y1, mid, y2, x2, y2); ctx.stroke();
  }
  ctx.globalAlpha = 1;
  ctx.font = "11px sans-serif"; ctx.textAlign = "center"; ctx.fillStyle = getComputedStyle(root).color || "#555";
  names.forEach((name, l) => ctx.fillText(name.textContent, column * (l + 0.5), 11));
  ctx.imageSmoothingEnabled = false;  // a map's cells stay square
  ctx.strokeStyle = "#888"; ctx.lineWidth = 1;
  for (const node of nodes) {
    const [x, y] = centre(+node.dataset.layer, +node.dataset.unit);
    ctx.drawImage(node.firstChild, x - size / 2, y - size / 2, size, size);
    ctx.strokeRect(x - size / 2 + 0.5, y - size / 2 + 0.5, size - 1, size - 1);
  }
}

function choose() {  // the neuron shown large: the one under the pointer, else the focused one, else the last tapped
  const node = hovered || focused || tapped;
  for (const other of nodes) other.classList.toggle("chosen", other === node);
  if (!node || !value || !levels) {
    delete large.dataset.shown; largeCaption.textContent = levels ? HINT : "";
    largeCanvas.getContext("2d").clearRect(0, 0, largeCanvas.width, largeCanvas.height);
    return;
  }
  large.dataset.shown = node.dataset.neuron || node.dataset.node;
  paint(largeCanvas, +node.dataset.at);
  const scale = scales[+node.dataset.at];
  largeCaption.textContent = scale > 0 ? `${node.dataset.label}: white at 0, full colour at ±${scale.toPrecision(2)}`
    : `${node.dataset.label}: 0 everywhere on the plane (a dead unit)`;
}

function draw() {
  value = props.value;
  root.dataset.frame = value && value.seq !== undefined ? value.seq : "";
  if (!value || !value.layers) {
    shape = ""; levels = null;
    for (const node of [...nodes, ...names]) node.remove();
    nodes = []; names = []; links = []; svg.replaceChildren(); stage.style.height = "0px";
    note.textContent = value && value.note ? value.note : EMPTY;
    legend.innerHTML = keysShown = ""; delete large.dataset.shown; large.hidden = true;
    tools.style.visibility = "hidden";  // nothing drawn, nothing to download
    return;
  }
  note.textContent = ""; large.hidden = false; tools.style.visibility = "";
  levels = Uint8Array.from(atob(value.maps), (c) => c.charCodeAt(0));
  scales = JSON.parse(value.scales); styles = JSON.parse(value.links);
  const now = JSON.stringify([value.grid, value.layers.map((layer) => [layer.units, layer.names])]);
  if (now !== shape) { shape = now; build(); }
  for (const node of nodes) paint(node.firstChild, +node.dataset.at);
  for (const link of links) {
    const style = styles[link.l], k = link.to * value.layers[link.l].names.length + link.from, w = style.weight[k];
    link.path.setAttribute("stroke", w < 0 ? value.colours.negative : value.colours.positive);
    link.path.setAttribute("stroke-width", String(style.width[k]));
    link.path.setAttribute("stroke-opacity", String(style.opacity[k]));
    link.path.dataset.weight = String(w);
  }
  const { negative, positive } = value.colours;
  const keys = `<span class="key"><i class="box" style="background:${negative}"></i>below 0</span>`
    + `<span class="key"><i class="box" style="background:#fff"></i>0</span>`
    + `<span class="key"><i class="box" style="background:${positive}"></i>above 0 (each map on its own scale)</span>`
    + `<span class="key"><i style="border-top: 3px solid ${positive}"></i>positive weight</span>`
    + `<span class="key"><i style="border-top: 3px solid ${negative}"></i>negative weight (wider: larger)</span>`;
  if (keys !== keysShown) { legend.innerHTML = keys; keysShown = keys; }
  choose();
}

new ResizeObserver(() => requestAnimationFrame(layout)).observe(stage);  // outside the observer's callback: no resize loop
watch("value", draw);
draw();
