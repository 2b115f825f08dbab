// A page's class strip (demos/guide/classroom.py). props.value = {slug} outside a class; in one,
// {slug, code, student, nickname}: the events that need the membership read it from here.
// - joins the class the address names (?class=CODE), once per page load (the gallery has six strips);
// - keeps an anonymous student id and the membership in localStorage (in memory where storage is blocked);
// - sends each answer the learner picks in this page's guided path to the class;
// - while a verdict is held (the reveal's data-held), asks the class every 2 s whether the teacher has
//   revealed that step, and then clicks itself (Python's show_held shows the verdict);
// - hides the controls the address names (?hide=id,id) and shows the class-only controls (.class-only).
const strip = element.querySelector('.class-strip');
const slug = (props.value && props.value.slug) || '';
const STUDENT = 'gallery-student', CLASS = 'gallery-class', NICKNAME = 'gallery-class-nickname';
const ID = /^[A-Za-z0-9_-]{16,64}$/;
const shared = (window.galleryClass = window.galleryClass || { memory: {} });

function stored(key) {
  try { const text = window.localStorage.getItem(key); return text === null ? shared.memory[key] ?? null : JSON.parse(text); }
  catch (blocked) { return shared.memory[key] ?? null; }
}
function keep(key, value) {
  shared.memory[key] = value;
  try { value === null ? window.localStorage.removeItem(key) : window.localStorage.setItem(key, JSON.stringify(value)); }
  catch (blocked) { /* kept in memory for this page */ }
}
function studentId() {
  let id = stored(STUDENT);
  if (typeof id !== 'string' || !ID.test(id)) {
    id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
    keep(STUDENT, id);
  }
  return id;
}

// The class API lives at the site's root: this page's, or the embedded app's (<gradio-app src=...>).
const app = element.closest('gradio-app');
const base = app && app.getAttribute('src') ? new URL(app.getAttribute('src'), location.href).origin : location.origin;
// A store busy for a moment (503) or a dropped connection is tried again, three times in all, as
// Retry-After says (2 s by default): a class of 200 arriving at once must not lose an answer.
async function call(route, body, tries = 3) {
  let response;
  try {
    response = await fetch(new URL('/class/api/' + route, base), {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
  } catch (lost) {
    if (tries <= 1) throw new Error('The class could not be reached: check the connection.');
  }
  if (!response || response.status === 503) {
    if (tries > 1) {
      const wait = Number(response && response.headers.get('Retry-After')) || 2;
      await new Promise((done) => setTimeout(done, wait * 1000));
      return call(route, body, tries - 1);
    }
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `The class did not answer (HTTP ${response.status}).`);
  return data;
}

const opened = performance.getEntriesByType('navigation')[0];
const query = new URL(opened ? opened.name : location.href).searchParams;

// The controls hidden: those the address names (?hide=id,id) and, in a class, those its teacher chose.
// One style for the whole document, made once and rewritten when the class is known.
function hide(ids) {
  let style = document.getElementById('gallery-class-style');
  if (!style) { style = document.createElement('style'); style.id = 'gallery-class-style'; document.head.appendChild(style); }
  const valid = [...new Set(ids)].filter((id) => typeof id === 'string' && /^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(id)).slice(0, 40);
  style.textContent = 'html:not([data-in-class]) .class-only { display: none !important; }\n'
    + valid.map((id) => `#${CSS.escape(id)} { display: none !important; }`).join('\n');
}
const hiddenByAddress = (query.get('hide') || '').split(',');
if (!document.getElementById('gallery-class-style')) hide(hiddenByAddress);

// One join per page load, shared by every strip.
shared.joined = shared.joined || (async () => {
  const asked = (query.get('class') || '').trim();
  const kept = stored(CLASS);
  const normal = asked.toUpperCase().replace(/[-\s]/g, '');
  if (!asked && kept && kept.code) {
    // A class joined on an earlier visit: still there? One that has ended is forgotten.
    try { await call('revealed', { code: kept.code, student: studentId() }); } catch (ended) { keep(CLASS, null); return null; }
    return kept;
  }
  if (!asked || (kept && kept.code === normal)) return kept;
  try {
    const nickname = stored(NICKNAME);
    const data = await call('join', { code: asked, student: studentId(), nickname: typeof nickname === 'string' && nickname ? nickname : null });
    const member = { code: data.code, nickname: typeof nickname === 'string' ? nickname : '', hide: (data.settings && data.settings.hide) || [] };
    keep(CLASS, member);
    return member;
  } catch (error) {
    return { error: error.message };
  }
})();

function member() {
  const v = props.value;
  return v && v.code && v.student ? v : null;
}

function note(text) { const n = strip.querySelector('.class-note'); if (n) n.textContent = text; }

function shown(code) { return code.length === 8 ? code.slice(0, 4) + '-' + code.slice(4) : code; }

function draw(error) {
  strip.replaceChildren();
  const m = member();
  if (!m) {
    strip.hidden = !error;
    if (error) { const p = document.createElement('span'); p.className = 'class-note'; p.textContent = error; strip.appendChild(p); }
    return;
  }
  strip.hidden = false;
  const where = document.createElement('span');
  where.append('🏫 In class ');
  const code = document.createElement('strong'); code.textContent = shown(m.code); where.appendChild(code);
  const label = document.createElement('label');
  label.append('Nickname ');
  const name = document.createElement('input');
  name.maxLength = 24; name.value = m.nickname || ''; name.placeholder = 'optional';
  label.appendChild(name);
  const save = document.createElement('button'); save.type = 'button'; save.textContent = 'Save';
  save.addEventListener('click', async () => {
    try {
      await call('join', { code: m.code, student: m.student, nickname: name.value.trim() || null });
      keep(NICKNAME, name.value.trim()); keep(CLASS, { ...stored(CLASS), code: m.code, nickname: name.value.trim() });
      props.value = { ...m, nickname: name.value.trim() };
      note('Nickname saved.');
    } catch (error) { note(error.message); }
  });
  const leave = document.createElement('button'); leave.type = 'button'; leave.textContent = 'Leave the class';
  leave.addEventListener('click', () => {
    keep(CLASS, null);
    delete document.documentElement.dataset.inClass;
    hide(hiddenByAddress);
    const url = new URL(location.href); url.searchParams.delete('class'); history.replaceState(history.state, '', url);
    window.dispatchEvent(new Event('gallery-class-left'));  // every strip of the page (the gallery has six)
  });
  const status = document.createElement('span'); status.className = 'class-note'; status.setAttribute('role', 'status');
  strip.append(where, label, save, leave, status);
}

window.addEventListener('gallery-class-left', () => { props.value = { slug }; draw(); });

shared.joined.then((m) => {
  if (m && m.code) {
    props.value = { slug, code: m.code, student: studentId(), nickname: m.nickname || '' };
    document.documentElement.dataset.inClass = '1';
    hide([...hiddenByAddress, ...(Array.isArray(m.hide) ? m.hide : [])]);
    draw();
  } else {
    draw(m && m.error ? m.error : '');
  }
});

// The learner's answer goes to the class as they pick it (the run sends it again; the last one counts).
document.addEventListener('change', (event) => {
  const input = event.target;
  const m = member();
  if (!m || !(input instanceof HTMLInputElement) || input.type !== 'radio' || !input.checked) return;
  if (!input.closest(`#${CSS.escape(slug)}-answers`)) return;
  const step = document.querySelector(`#${CSS.escape(slug)}-path-step .guide-step`)?.dataset.step;
  if (!step) return;
  call('answer', { code: m.code, student: m.student, question: `${slug}-${step}`, answer: input.value })
    .then(() => note(`Your answer to step ${step} is with the class.`), (error) => note(error.message));
});

// A held verdict: ask every 2 s until the teacher reveals its step.
let asking = null;
function heldStep() { const r = document.getElementById(`${slug}-reveal`); return r ? r.dataset.held || '' : ''; }
async function ask() {
  asking = null;
  const held = heldStep(), m = member();
  if (!held || !m) return;
  try {
    const data = await call('revealed', { code: m.code, student: m.student });
    if (data.revealed.includes(held)) { note('Your teacher revealed this step.'); trigger('click'); }
  } catch (error) { note(error.message); }
  asking = setTimeout(ask, 2000);
}
setInterval(() => { if (!asking && heldStep() && member()) asking = setTimeout(ask, 2000); }, 1000);
