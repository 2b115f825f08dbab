// picture: props.value = picture_value's {seq, width, height, rgb: base64 of uint8 RGB, alt}. Ends with fresh.js.
const canvas = element.querySelector('canvas');
const label = canvas.getAttribute('aria-label');
function draw(value) {
  canvas.setAttribute('aria-label', (value && value.alt) || label);
  if (!value || !value.rgb) { canvas.width = canvas.height = 1; canvas.classList.add('empty'); return; }
  const bytes = atob(value.rgb), n = value.width * value.height;
  const rgba = new Uint8ClampedArray(4 * n);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    rgba[4 * i] = bytes.charCodeAt(j); rgba[4 * i + 1] = bytes.charCodeAt(j + 1); rgba[4 * i + 2] = bytes.charCodeAt(j + 2); rgba[4 * i + 3] = 255;
  }
  canvas.width = value.width; canvas.height = value.height;
  canvas.getContext('2d').putImageData(new ImageData(rgba, value.width, value.height), 0, 0);
  canvas.classList.remove('empty');
}
