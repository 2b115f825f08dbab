// SvgContext: the part of a canvas's 2-D context that the charts use, written out as SVG elements (one for
// each path, rectangle and text drawn), so that a chart's own drawing function makes its SVG. No page state:
// export.js uses it for the charts drawn in the page, and demos/live.py's line_plot_svg for a gr.LinePlot's data.
const SVG_NUMBER = (v) => String(Math.round(v * 100) / 100);
const SVG_TEXT = (text) => String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

class SvgContext {
  constructor(width, height) {
    this.width = width; this.height = height; this.elements = []; this.saved = []; this.d = "";
    Object.assign(this, SvgContext.fresh());
  }
  static fresh() {
    return { strokeStyle: "#000", fillStyle: "#000", lineWidth: 1, lineCap: "butt", lineJoin: "miter", font: "10px sans-serif",
      textAlign: "start", globalAlpha: 1, dash: [], imageSmoothingEnabled: true, imageSmoothingQuality: "low" };
  }
  save() { this.saved.push(Object.fromEntries(Object.keys(SvgContext.fresh()).map((k) => [k, this[k]]))); }
  restore() { if (this.saved.length) Object.assign(this, this.saved.pop()); }
  setLineDash(dash) { this.dash = [...dash]; }
  getLineDash() { return [...this.dash]; }
  clearRect(x, y, w, h) { if (x <= 0 && y <= 0 && x + w >= this.width && y + h >= this.height) this.elements = []; }
  beginPath() { this.d = ""; }
  moveTo(x, y) { this.d += `M${SVG_NUMBER(x)} ${SVG_NUMBER(y)}`; }
  lineTo(x, y) { this.d += `L${SVG_NUMBER(x)} ${SVG_NUMBER(y)}`; }
  closePath() { this.d += "Z"; }
  bezierCurveTo(x1, y1, x2, y2, x, y) { this.d += `C${[x1, y1, x2, y2, x, y].map(SVG_NUMBER).join(" ")}`; }
  rect(x, y, w, h) { this.d += `M${SVG_NUMBER(x)} ${SVG_NUMBER(y)}h${SVG_NUMBER(w)}v${SVG_NUMBER(h)}h${SVG_NUMBER(-w)}Z`; }
  arc(x, y, r, start, end) {  // clockwise, as the charts draw their dots
    const at = (a) => `${SVG_NUMBER(x + r * Math.cos(a))} ${SVG_NUMBER(y + r * Math.sin(a))}`;
    const sweep = end - start;
    this.d += (this.d ? "L" : "M") + at(start);
    if (sweep >= 2 * Math.PI - 1e-9) this.d += `A${SVG_NUMBER(r)} ${SVG_NUMBER(r)} 0 1 1 ${at(start + Math.PI)}A${SVG_NUMBER(r)} ${SVG_NUMBER(r)} 0 1 1 ${at(start)}Z`;
    else this.d += `A${SVG_NUMBER(r)} ${SVG_NUMBER(r)} 0 ${sweep > Math.PI ? 1 : 0} 1 ${at(end)}`;
  }
  opacity() { return this.globalAlpha < 1 ? ` opacity="${SVG_NUMBER(this.globalAlpha)}"` : ""; }
  stroke() {
    if (!this.d) return;
    const dash = this.dash.length ? ` stroke-dasharray="${this.dash.join(" ")}"` : "";
    this.elements.push(`<path d="${this.d}" fill="none" stroke="${SVG_TEXT(this.strokeStyle)}" stroke-width="${SVG_NUMBER(this.lineWidth)}"` +
      ` stroke-linecap="${this.lineCap}" stroke-linejoin="${this.lineJoin}"${dash}${this.opacity()}/>`);
  }
  fill() { if (this.d) this.elements.push(`<path d="${this.d}" fill="${SVG_TEXT(this.fillStyle)}"${this.opacity()}/>`); }
  fillRect(x, y, w, h) {
    this.elements.push(`<rect x="${SVG_NUMBER(x)}" y="${SVG_NUMBER(y)}" width="${SVG_NUMBER(w)}" height="${SVG_NUMBER(h)}" fill="${SVG_TEXT(this.fillStyle)}"${this.opacity()}/>`);
  }
  strokeRect(x, y, w, h) { const d = this.d; this.d = ""; this.rect(x, y, w, h); this.stroke(); this.d = d; }
  drawImage(image, x, y, w, h) {  // a map of pixels (a canvas) inside the vector drawing, kept as its PNG
    const crisp = this.imageSmoothingEnabled ? "" : ` style="image-rendering: pixelated"`;
    this.elements.push(`<image href="${image.toDataURL("image/png")}" x="${SVG_NUMBER(x)}" y="${SVG_NUMBER(y)}" width="${SVG_NUMBER(w)}"` +
      ` height="${SVG_NUMBER(h)}" preserveAspectRatio="none"${crisp}${this.opacity()}/>`);
  }
  fillText(text, x, y) {
    const anchor = { center: "middle", right: "end", end: "end" }[this.textAlign] || "start";
    this.elements.push(`<text x="${SVG_NUMBER(x)}" y="${SVG_NUMBER(y)}" text-anchor="${anchor}" fill="${SVG_TEXT(this.fillStyle)}"` +
      ` style="font: ${SVG_TEXT(this.font)}"${this.opacity()}>${SVG_TEXT(text)}</text>`);
  }
  document() {
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${this.width}" height="${this.height}" viewBox="0 0 ${this.width} ${this.height}">` +
      this.elements.join("") + "</svg>";
  }
}

function chartSvg(drawing) {
  const ctx = new SvgContext(drawing.width, drawing.height);
  drawing.paint(ctx);
  return ctx.document();
}

function saveFile(blob, name) {
  const url = URL.createObjectURL(blob), link = document.createElement("a");
  link.href = url; link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

