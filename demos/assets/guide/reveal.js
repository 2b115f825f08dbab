// guided_path's reveal: props.value = reveal_value's {correct, outcome, verdict, happened, unusual, explain}.
// The root keeps data-correct ("true"/"false", "" before a run) and data-outcome; it is a live region, so the verdict is read aloud.
const root = element.querySelector('.guide-reveal');
function draw(value) {
  const v = value || {};
  root.dataset.correct = v.correct === true ? 'true' : v.correct === false ? 'false' : '';
  root.dataset.outcome = v.outcome || '';
  root.dataset.held = v.held || '';  // in a class: the step whose verdict waits for the teacher's reveal
  for (const part of ['verdict', 'happened', 'unusual', 'explain']) root.querySelector('.' + part).textContent = v[part] || '';
}
const panel = element.closest('[id$="-path"]');
watch('value', () => {
  draw(props.value);
  if (panel && props.value && props.value.verdict) panel.scrollTop = panel.scrollHeight;  // the floating panel shows its verdict
});
draw(props.value);
