// The playground's painter. props.value = core.playground.paint.view(csv):
// {side, radius, box, origin: [col, row], regression, points: [{x, y, label, col, row}]}, in canvas pixels.
// A click adds a point ({col, row, label}: the server places it in data units; the class is the one
// checked in the radio whose id is props.class_radio at the moment of the click); pressing and dragging erases every point within `radius` pixels of the pointer's path.
// Each gesture sets props.value to the points now shown and fires `input` once.
const canvas = element.querySelector("canvas");
const ctx = canvas.getContext("2d");
const COLOURS = { 0: "rgb(31, 119, 180)", 1: "rgb(255, 127, 14)" };  // the playground's class colours (tab10's first two)
const MOVED = 4;  // CSS pixels: a press that moves farther is a drag (erase), not a click
let value = null, gesture = null;

function paint(ctx, shown) {  // on the canvas, or on export.js's SvgContext (the points as SVG)
  const side = canvas.width;
  ctx.fillStyle = "#fcfcfc";
  ctx.fillRect(0, 0, side, side);
  if (!shown) return;
  ctx.strokeStyle = "#d7d7d7"; ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(0, shown.origin[1]); ctx.lineTo(side, shown.origin[1]);
  ctx.moveTo(shown.origin[0], 0); ctx.lineTo(shown.origin[0], side);
  ctx.stroke();
  for (const p of shown.points) {
    const placed = p.x !== undefined;  // a new point is a ring until the server places it
    ctx.beginPath(); ctx.arc(p.col, p.row, 5, 0, 2 * Math.PI);
    if (placed) { ctx.fillStyle = shown.regression ? "rgb(128, 128, 128)" : COLOURS[p.label] || "rgb(128, 128, 128)"; ctx.fill(); }
    ctx.strokeStyle = "rgb(30, 30, 30)"; ctx.lineWidth = placed ? 1 : 2; ctx.stroke();
  }
}
function draw() {
  const side = value ? value.side : canvas.width, shown = value;
  if (canvas.width !== side) canvas.width = canvas.height = side;
  paint(ctx, shown);
  if (typeof remember === "function") remember(canvas, side, side, (again) => paint(again, shown));
  if (value) element.dataset.points = String(value.points.length);
}
function shown() {
  value = props.value && Array.isArray(props.value.points) ? props.value : null;
  draw();
}
function at(e) {  // canvas pixels, whatever size the page gives the canvas
  const box = canvas.getBoundingClientRect();
  const left = box.left + canvas.clientLeft, top = box.top + canvas.clientTop;  // inside the border
  return [(e.clientX - left) * canvas.width / canvas.clientWidth, (e.clientY - top) * canvas.height / canvas.clientHeight];
}
function distance(p, a, b) {  // from point p to the segment a-b: a fast drag skips no point between two events
  const dx = b[0] - a[0], dy = b[1] - a[1], length = dx * dx + dy * dy;
  const t = length ? Math.max(0, Math.min(1, ((p.col - a[0]) * dx + (p.row - a[1]) * dy) / length)) : 0;
  return Math.hypot(p.col - a[0] - t * dx, p.row - a[1] - t * dy);
}
function send() {
  props.value = value;
  trigger("input");
}
canvas.addEventListener("pointerdown", (e) => {
  if (gesture || !value) return;  // one pointer at a time
  e.preventDefault();
  canvas.setPointerCapture(e.pointerId);
  gesture = { id: e.pointerId, start: [e.clientX, e.clientY], last: at(e), dragging: false, erased: 0 };
});
canvas.addEventListener("pointermove", (e) => {
  if (!gesture || e.pointerId !== gesture.id) return;
  for (const c of e.getCoalescedEvents ? e.getCoalescedEvents() : [e]) {
    gesture.dragging ||= Math.hypot(c.clientX - gesture.start[0], c.clientY - gesture.start[1]) > MOVED;
    if (!gesture.dragging) continue;
    const here = at(c), kept = value.points.filter((p) => distance(p, gesture.last, here) > value.radius);
    gesture.erased += value.points.length - kept.length;
    if (kept.length !== value.points.length) { value = { ...value, points: kept }; draw(); }
    gesture.last = here;
  }
});
function up(e) {
  if (!gesture || e.pointerId !== gesture.id) return;
  const { dragging, erased } = gesture;
  gesture = null;
  if (!dragging && e.type === "pointerup") {
    const [col, row] = at(e);
    const checked = document.querySelector(`#${props.class_radio} input:checked`);
    value = { ...value, points: [...value.points, { col, row, label: checked ? checked.value : "0" }] };
    draw();
    send();
  } else if (erased) send();
}
canvas.addEventListener("pointerup", up);
canvas.addEventListener("pointercancel", up);
watch("value", shown);
shown();
element.dataset.ready = "true";
