// picture: props.value = picture_value's {seq, width, height, png: base64 PNG, zoom, alt}: the PNG drawn
// `zoom` times its size, each pixel a square (no smoothing). Ends with fresh.js.
const canvas = element.querySelector('canvas');
const label = canvas.getAttribute('aria-label');
let pending = 0;  // the latest value asked for: a PNG decoded after a newer one arrived is not drawn
function draw(value) {
  const asked = ++pending;
  canvas.setAttribute('aria-label', (value && value.alt) || label);
  if (!value || !value.png) { canvas.width = canvas.height = 1; canvas.classList.add('empty'); return; }
  const image = new Image();
  image.onload = () => {
    if (asked !== pending) return;
    const zoom = value.zoom || 1;
    canvas.width = value.width * zoom; canvas.height = value.height * zoom;
    const context = canvas.getContext('2d');
    context.imageSmoothingEnabled = false;
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    canvas.classList.remove('empty');
  };
  image.src = 'data:image/png;base64,' + value.png;
}
