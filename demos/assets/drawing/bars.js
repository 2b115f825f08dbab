// probability_bars: props.value = bars_value's {seq, probabilities}; draws ten bars and the top digit. Ends with fresh.js.
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
}
// Readings made in the browser (reader.js) reach the bars that read that surface (data-reads="surface:model").
const [readsFrom, readsModel] = (root.dataset.reads || ':').split(':');
if (readsFrom) (element.closest('.gradio-container') || element.getRootNode()).addEventListener('digit-reading', e => {
  if (e.detail.surface === readsFrom) show({ seq: e.detail.seq, probabilities: e.detail[readsModel] });
});
