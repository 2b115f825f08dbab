// The toy GAN's drawable target (demos/gan/target.py). props.value = {points: [[x, y], ...]} in the
// plane's units, [-props.extent, props.extent] on both axes, y up. Pressing and dragging (mouse, pen
// or finger: pointer events) lays a point every props.spacing canvas pixels along the stroke, up to
// props.max_points in all; the stroke's end sets props.value to every point drawn and fires `input`.
// "Clear the drawing" sends no points.
const canvas = element.querySelector("canvas");
const ctx = canvas.getContext("2d");
const count = element.querySelector(".count");
let points = [], stroke = null;

const toPlane = (col, row) => {
  const e = props.extent, side = canvas.width;
  return [Math.round((col / side * 2 * e - e) * 1000) / 1000, Math.round((e - row / side * 2 * e) * 1000) / 1000];
};
const toCanvas = ([x, y]) => {
  const e = props.extent, side = canvas.width;
  return [(x + e) / (2 * e) * side, (e - y) / (2 * e) * side];
};

function draw() {
  const side = canvas.width;
  ctx.fillStyle = "#fcfcfc";
  ctx.fillRect(0, 0, side, side);
  ctx.strokeStyle = "#d7d7d7"; ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(0, side / 2); ctx.lineTo(side, side / 2);
  ctx.moveTo(side / 2, 0); ctx.lineTo(side / 2, side);
  ctx.stroke();
  ctx.fillStyle = "rgba(26, 122, 26, 0.8)";  // the live view's green: real points
  for (const p of points) {
    const [col, row] = toCanvas(p);
    ctx.beginPath(); ctx.arc(col, row, 2.5, 0, 2 * Math.PI); ctx.fill();
  }
  count.textContent = points.length ? `${points.length} points` : "";
  element.dataset.points = String(points.length);
}
function shown() {
  const value = props.value;
  points = value && Array.isArray(value.points) ? value.points.filter((p) => Array.isArray(p) && p.length === 2) : [];
  draw();
}
function at(e) {  // canvas pixels, whatever size the page gives the canvas
  const box = canvas.getBoundingClientRect();
  const left = box.left + canvas.clientLeft, top = box.top + canvas.clientTop;  // inside the border
  return [(e.clientX - left) * canvas.width / canvas.clientWidth, (e.clientY - top) * canvas.height / canvas.clientHeight];
}
function lay(here) {  // points every `spacing` pixels from the last one laid to `here`
  if (!stroke.last) { add(here); stroke.last = here; return; }
  let [x0, y0] = stroke.last;
  const distance = Math.hypot(here[0] - x0, here[1] - y0);
  for (let travelled = props.spacing; travelled <= distance; travelled += props.spacing) {
    const t = travelled / distance;
    add([x0 + (here[0] - x0) * t, y0 + (here[1] - y0) * t]);
    stroke.last = [x0 + (here[0] - x0) * t, y0 + (here[1] - y0) * t];
  }
}
function add([col, row]) {
  if (points.length >= props.max_points) return;
  const side = canvas.width;
  if (col < 0 || row < 0 || col > side || row > side) return;
  points.push(toPlane(col, row));
}
function send() {
  props.value = { points: points.slice() };
  trigger("input");
}
canvas.addEventListener("pointerdown", (e) => {
  if (stroke) return;  // one pointer at a time
  e.preventDefault();
  canvas.setPointerCapture(e.pointerId);
  stroke = { id: e.pointerId, last: null, kind: e.pointerType };
  lay(at(e));
  draw();
});
canvas.addEventListener("pointermove", (e) => {
  if (!stroke || e.pointerId !== stroke.id) return;
  for (const c of e.getCoalescedEvents ? e.getCoalescedEvents() : [e]) lay(at(c));
  draw();
});
function up(e) {
  if (!stroke || e.pointerId !== stroke.id) return;
  element.dataset.lastPointer = stroke.kind;  // "mouse", "pen" or "touch": what drew the last stroke
  stroke = null;
  send();
}
canvas.addEventListener("pointerup", up);
canvas.addEventListener("pointercancel", up);
element.querySelector("button.clear").addEventListener("click", () => { points = []; draw(); send(); });
watch("value", shown);
shown();
element.dataset.ready = "true";
