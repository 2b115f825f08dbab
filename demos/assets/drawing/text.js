// reading_text: props.value = text_value's {seq, text, final}; **bold** is shown bold, a final text is read aloud. Ends with fresh.js.
const shown = element.querySelector('.shown'), spoken = element.querySelector('.spoken');
function fill(node, text) {  // **bold** -> <strong>, everything else as text
  node.replaceChildren(...String(text).split('**').map((part, i) => {
    if (i % 2 === 0) return document.createTextNode(part);
    const strong = document.createElement('strong'); strong.textContent = part; return strong;
  }));
}
function draw(value) {
  if (!value) return;
  fill(shown, value.text);
  if (value.final) spoken.textContent = String(value.text).split('**').join('');  // read aloud once, not at 15 a second
}
