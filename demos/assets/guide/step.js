// guided_path's step panel: props.value = step_value's {index, number, count, title, setup, point, answered, right, before}.
// Shows the step, and while the path is open, outlines the part of the page the step is about and scrolls it into view.
// While open, the panel floats at the window's bottom left (a bottom sheet on a phone), so the question and the reveal stay
// on screen beside the output they are about: the pages keep their outputs on the right, their controls on the left
// (Gradio's container clips overflow, so `sticky` cannot work here).
const root = element.querySelector('.guide-step');
const panel = element.closest('[id$="-path"]');
let spotted = null;

function unspot() {
  if (spotted) { spotted.style.outline = ''; spotted.style.outlineOffset = ''; spotted.style.scrollMarginTop = ''; }
  spotted = null;
}

function open() { return element.offsetParent !== null && element.getClientRects().length > 0; }

const phone = matchMedia('(max-width: 640px)');
function stick(on) {
  if (!panel) return;
  const narrow = phone.matches;
  Object.assign(panel.style, on
    ? { position: 'fixed', left: narrow ? '0' : '12px', bottom: narrow ? '0' : '12px', width: narrow ? '100vw' : 'min(420px, calc(100vw - 24px))',
        maxHeight: narrow ? '45vh' : '60vh', overflowY: 'auto', zIndex: '50', background: 'var(--background-fill-primary)', boxShadow: 'var(--shadow-drop-lg)' }
    : { position: '', left: '', bottom: '', width: '', maxHeight: '', overflowY: '', zIndex: '', background: '', boxShadow: '' });
  // Room below the page, so that even its last part can scroll up clear of the floating panel.
  document.body.style.paddingBottom = on ? panel.offsetHeight + 'px' : '';
}

function spot() {
  unspot();
  const on = open();
  stick(on);
  const value = props.value;
  if (!on || !value || !value.point) return;
  const scope = element.closest('.gradio-container') || document;
  const target = scope.querySelector('#' + CSS.escape(value.point));
  if (!target) return;
  target.style.outline = '3px solid var(--color-accent)';
  target.style.outlineOffset = '4px';
  target.style.scrollMarginTop = '12px';
  spotted = target;
  target.scrollIntoView({ block: 'start', behavior: 'smooth' });
}

function draw(value) {
  if (!value) return;
  root.dataset.step = String(value.number);
  root.dataset.point = value.point || '';
  root.querySelector('.where').textContent = `Step ${value.number} of ${value.count}`;
  root.querySelector('.title').textContent = value.title;
  root.querySelector('.setup').textContent = value.setup;
  root.querySelector('.before').textContent = value.before || '';
  root.querySelector('.score').textContent = value.answered
    ? `Answered ${value.answered} of ${value.count}; ${value.right} matched what the run showed.` : '';
}

let shownStep = null;
function show() {
  draw(props.value);
  const number = props.value ? props.value.number : null;
  if (number !== shownStep) { shownStep = number; spot(); }  // a new step: point at its part (a new score only: stay put)
}
watch('value', show);
show();
// Opening or closing the path (the accordion) changes this panel's size: point, or stop pointing.
let wasOpen = open();
new ResizeObserver(() => { const now = open(); if (now !== wasOpen) { wasOpen = now; spot(); } }).observe(element);
