// Downloads of a chart drawn in the page (issue 30), made in the browser: nothing is asked of the server.
// The buttons are in the component's template (demos/live.py's export_tools): <button data-export="png|svg"
// data-chart="a selector in the component" data-file="page-chart">. One click listener on the component
// serves them all, so a template that Gradio renders again keeps working.
// - PNG: the chart's <canvas> as it is, at its own resolution (canvas.toBlob).
// - SVG: the chart's own drawing function run again on SvgContext, a stand-in for a canvas's 2-D context
//   that writes one SVG element for each path, rectangle and text the function draws: the same drawing
//   calls, never a second drawing. A chart offers it by calling remember(key, width, height, paint) each
//   time it draws, paint(ctx) being the drawing; key is its canvas, or its data-chart selector for a
//   chart shown as HTML (then the PNG is painted from the same function too). Pixel maps remember nothing:
//   a map of pixels has no vector form, and they offer PNG only.
// Loaded (after svg.js) before the component's other scripts, so that they can call remember().
const chartDrawings = new Map();

function remember(key, width, height, paint) {
  chartDrawings.set(key, { width, height, paint });
}

function exportChart(button) {
  const node = element.querySelector(button.dataset.chart);
  const drawing = chartDrawings.get(node) || chartDrawings.get(button.dataset.chart);
  const name = `${button.dataset.file}.${button.dataset.export}`;
  if (button.dataset.export === "svg") {
    if (drawing) saveFile(new Blob([chartSvg(drawing)], { type: "image/svg+xml" }), name);
    return;
  }
  let canvas = node instanceof HTMLCanvasElement ? node : null;
  if (!canvas && drawing) {  // a chart shown as HTML: painted once more, on a canvas of its size
    canvas = document.createElement("canvas");
    canvas.width = drawing.width; canvas.height = drawing.height;
    drawing.paint(canvas.getContext("2d"));
  }
  if (canvas) canvas.toBlob((blob) => blob && saveFile(blob, name), "image/png");
}

element.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("button[data-export]");
  if (button && element.contains(button)) exportChart(button);
});
