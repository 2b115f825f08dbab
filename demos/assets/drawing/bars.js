// probability_bars: props.value = bars_value's {seq, probabilities}; draws ten bars and the top digit. Starts with
// export.js (its downloads, as a chart: paintBars) and ends with fresh.js.
const rows = [...element.querySelectorAll('li')];
const root = element.querySelector('.bars');
function draw(value) {
  const p = value && value.probabilities;
  const top = p ? p.indexOf(Math.max(...p)) : -1;
  rows.forEach((row, digit) => {
    const share = p ? p[digit] : 0;
    row.querySelector('.fill').style.width = (100 * share).toFixed(1) + '%';
    row.querySelector('.share').textContent = p ? Math.round(100 * share) + '%' : '';
    row.classList.toggle('top', digit === top);
  });
  root.dataset.digit = top >= 0 ? String(top) : '';
  element.querySelector('.answer').textContent = top >= 0 ? top + ' (' + Math.round(100 * p[top]) + '%)' : '–';
  remember('.bars', BARS_WIDTH, BARS_HEIGHT, ctx => paintBars(ctx, p, top));  // the downloads (export.js)
}
// The same bars as a chart, for the downloads: painted on a canvas (PNG) or on export.js's SvgContext (SVG).
const BARS_WIDTH = 320, BARS_HEIGHT = 250, BAR_COLOUR = '#9ca3af', TOP_COLOUR = '#ea580c';
const barsLabel = element.querySelector('.head span').textContent;
function paintBars(ctx, p, top) {
  const left = 24, right = 44, row = 22, first = 26, length = BARS_WIDTH - left - right;
  ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, BARS_WIDTH, BARS_HEIGHT);
  ctx.font = 'bold 13px sans-serif'; ctx.fillStyle = '#222'; ctx.textAlign = 'left';
  ctx.fillText(barsLabel + (top >= 0 ? ': ' + top : ''), 4, 16);
  ctx.font = '12px sans-serif';
  for (let digit = 0; digit < 10; digit++) {
    const y = first + digit * row, share = p ? p[digit] : 0;
    ctx.fillStyle = '#222'; ctx.textAlign = 'right'; ctx.fillText(String(digit), left - 8, y + 13);
    ctx.fillStyle = '#eee'; ctx.fillRect(left, y + 2, length, 14);  // the track
    ctx.fillStyle = digit === top ? TOP_COLOUR : BAR_COLOUR; ctx.fillRect(left, y + 2, share * length, 14);
    ctx.fillStyle = '#222'; ctx.textAlign = 'left'; ctx.fillText(p ? Math.round(100 * share) + '%' : '', left + length + 6, y + 13);
  }
}
// Readings made in the browser (reader.js) reach the bars that read that surface (data-reads="surface:model").
const [readsFrom, readsModel] = (root.dataset.reads || ':').split(':');
if (readsFrom) (element.closest('.gradio-container') || element.getRootNode()).addEventListener('digit-reading', e => {
  if (e.detail.surface === readsFrom) show({ seq: e.detail.seq, probabilities: e.detail[readsModel] });
});
