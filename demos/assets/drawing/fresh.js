// Appended to each output's script, after its draw(value): draws every new value, except an answer older than the one shown.
let latest = -Infinity;
function fresh(value) {
  // An answer carries the seq of the drawing it read; one older than what is shown is dropped.
  if (!value || typeof value.seq !== 'number') return true;
  if (value.seq < latest) return false;
  latest = value.seq;
  return true;
}
function show(value) {
  if (!fresh(value)) return;
  draw(value);
  if (value && typeof value.seq === 'number') element.dataset.seq = String(value.seq);
  // A value that carries a model's layers (the sketcher's MLP bars) hands them on to the view that draws them (demos/sketcher/mlp.py).
  if (value && value.layers !== undefined) {
    const detail = { reads: (element.querySelector('[data-reads]') || element).dataset.reads, seq: value.seq, probabilities: value.probabilities, layers: value.layers };
    (element.closest('.gradio-container') || element.getRootNode()).dispatchEvent(new CustomEvent('model-layers', { detail }));
  }
}
watch('value', () => show(props.value));
show(props.value);
