// The GAN's moved digit: props.value = {seq, width, height, pixels: base64 of uint8 grey, row by row}.
const canvas = element.querySelector("canvas");
function draw() {
  const value = props.value;
  const ctx = canvas.getContext("2d");
  if (!value || !value.pixels) { ctx.clearRect(0, 0, canvas.width, canvas.height); return; }
  const grey = Uint8Array.from(atob(value.pixels), (c) => c.charCodeAt(0));
  if (canvas.width !== value.width || canvas.height !== value.height) { canvas.width = value.width; canvas.height = value.height; }
  const image = ctx.createImageData(value.width, value.height);
  for (let i = 0; i < grey.length; i++) {
    image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = grey[i];
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}
watch("value", draw);
draw();
