// The teacher's page, /class (served by demos/classroom/page.py): a form that starts a class, then the class's board.
// Entry point: `route()`, at the bottom: the address's fragment `#code=CODE&key=SECRET` is a class's teacher's link; without it, the form.
// The calls are demos/classroom/api.py's, at URLs relative to document.baseURI; the secret travels only in X-Teacher-Secret.
// Everything from the server (nicknames above all) becomes text through textContent, never HTML.
'use strict';
(() => {
  const POLL_MS = 1500; // the board is live within 2 s (issue 29)
  const HIDDEN_POLL_MS = 5000; // a board nobody is looking at still notices the class ending, at a third of the load
  const CALL_TIMEOUT_MS = 10000; // a call that hangs counts as a lost connection, so the poll goes on
  const NOT_TEACHER = "This link is not a teacher's link of a live class: the class may have ended, or the link was copied wrong. You can start a new class below.";
  const PAGES = JSON.parse(document.getElementById('class-pages').textContent); // [{slug, title, steps: [{number, title}]}]
  const $ = (id) => document.getElementById(id);
  const status = $('class-status'), form = $('class-start'), board = $('class-board'), connection = $('class-connection');

  /** An element with attributes and text: the only way this page makes DOM, so nothing is ever parsed as HTML. */
  function el(tag, attributes = {}, text = '') {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
    if (text) node.textContent = text;
    return node;
  }

  function say(message, kind = 'info') {
    status.textContent = message;
    status.dataset.kind = kind;
    status.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  }

  const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
  const dashed = (code) => `${code.slice(0, 4)}-${code.slice(4)}`;

  // ---------- calls ----------

  /** One call to the class API -> {status, value}; a network failure or a timeout throws. */
  async function call(method, path, { body, key } = {}) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (key) headers['X-Teacher-Secret'] = key;
    const response = await fetch(new URL('class/api/' + path, document.baseURI), {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store', credentials: 'same-origin', signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    let value = {};
    try { value = await response.json(); } catch { value = { error: `The server answered ${response.status} without a message.` }; }
    return { status: response.status, value };
  }

  const errorOf = (result) => (result.value && typeof result.value.error === 'string' ? result.value.error : `The server answered ${result.status}.`);

  // ---------- the start form ----------

  function fillPages() {
    const tab = $('class-tab');
    tab.replaceChildren(el('option', { value: '' }, 'The whole gallery'));
    for (const page of PAGES) tab.append(el('option', { value: page.slug }, page.title));
    tab.addEventListener('change', () => fillSteps(tab.value, ''));
  }

  /** The step list for page `slug` (none for the whole gallery), with `chosen` selected. */
  function fillSteps(slug, chosen) {
    const step = $('class-step');
    const page = PAGES.find((p) => p.slug === slug);
    step.replaceChildren(el('option', { value: '' }, page ? 'None: the page opens as usual' : 'None (choose a page first)'));
    for (const s of page ? page.steps : []) step.append(el('option', { value: s.number }, `${s.number}. ${s.title}`));
    step.value = chosen;
    step.disabled = !page;
  }

  /** The form as the page's query sets it: /class?tab=sketcher&step=3&hide=a,b (each page's Classroom panel links here so). */
  function prefill(query) {
    const problems = [];
    let slug = query.get('tab') || '', number = query.get('step') || '';
    const page = PAGES.find((p) => p.slug === slug);
    if (slug && !page) { problems.push(`There is no page “${slug.slice(0, 40)}”: the whole gallery is chosen instead.`); slug = ''; }
    if (number && !(page && page.steps.some((s) => String(s.number) === number))) {
      if (page) problems.push(`${page.title} has steps 1 to ${page.steps.length}: no step is chosen.`);
      number = '';
    }
    $('class-tab').value = slug;
    fillSteps(slug, number);
    $('class-hide').value = (query.get('hide') || '').split(',').map((s) => s.trim()).filter(Boolean).join(', ');
    if (problems.length) say(problems.join(' '), 'error');
  }

  /** The form's values as the API takes them; a message when one is not valid. */
  function readForm() {
    const hours = Number($('class-hours').value.trim());
    if ($('class-hours').value.trim() === '' || !Number.isInteger(hours) || hours < 1 || hours > 168) {
      return { problem: 'A class lasts 1 to 168 hours: type a whole number.' };
    }
    const tab = $('class-tab').value || null, step = $('class-step').value ? Number($('class-step').value) : null;
    const hide = $('class-hide').value.split(',').map((s) => s.trim()).filter(Boolean);
    return { request: { hours, settings: { tab, step, hide } } };
  }

  async function startClass(event) {
    event.preventDefault();
    const { problem, request } = readForm();
    if (problem) { say(problem, 'error'); $('class-hours').focus(); return; }
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    say('Starting the class…');
    try {
      const result = await call('POST', 'classes', { body: request });
      if (result.status !== 201) { say(errorOf(result), 'error'); return; }
      history.replaceState(null, '', `#code=${encodeURIComponent(result.value.code)}&key=${encodeURIComponent(result.value.secret)}`);
      route();
    } catch {
      say('The server cannot be reached: check the connection and try again.', 'error');
    } finally {
      button.disabled = false;
    }
  }

  function showForm() {
    stopPolling();
    board.hidden = true;
    form.hidden = false;
  }

  // ---------- the board ----------

  const live = { code: '', key: '', run: 0, timer: null, busy: false, polling: null, on: false, drawn: null, cell: null };

  /** The board's parts that stay put while it updates (so focus and screen readers are not disturbed): made once per class. */
  function openBoard(code, key) {
    live.code = code; live.key = key; live.drawn = null; live.cell = null;
    board.hidden = true; // until this class's first answer
    $('class-questions').replaceChildren();
    $('class-nicknames').replaceChildren();
    $('class-drawings').hidden = true;
    $('class-joined').dataset.count = '0';
    $('class-joined').textContent = 'No one has joined yet.';
    $('class-teacher-link').textContent = $('class-teacher-link').href = location.href;
    buildConfusion();
  }

  function drawBoard(value) {
    form.hidden = true;
    board.hidden = false;
    if (!live.drawn) { say(''); $('class-board-title').focus(); } // the form that had focus is gone: the board's title takes it
    $('class-code').textContent = dashed(value.code);
    const link = new URL('.' + value.student_path, document.baseURI).href; // "/demos/<page>/?step=...&class=..." from the site's root
    if ($('class-student-link').textContent !== link) {
      $('class-student-link').textContent = $('class-student-link').href = link;
      $('class-qr').src = new URL('class/api/qr.svg?text=' + encodeURIComponent(link), document.baseURI).href;
      $('class-qr').alt = `A QR code of the students' link, ${link}`;
    }
    const ends = new Date(Date.now() + (value.expires - value.now) * 1000); // the server's clock, not this machine's
    const left = Math.max(0, Math.round((value.expires - value.now) / 60));
    $('class-ends').textContent = `The class ends at ${ends.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })} `
      + `(in ${Math.floor(left / 60)} h ${left % 60} min); then everything of it is deleted.`;
    drawJoined(value.joined, value.nicknames);
    drawQuestions(value.questions);
    drawConfusion(value.confusion);
    live.drawn = value;
  }

  function drawJoined(count, nicknames) {
    const joined = $('class-joined');
    if (joined.dataset.count !== String(count) || !live.drawn) {
      joined.dataset.count = String(count); // changed only when it changes: it is a live region
      joined.textContent = count ? `${plural(count, 'student has', 'students have')} joined.` : 'No one has joined yet.';
    }
    const list = $('class-nicknames');
    if (!live.drawn || JSON.stringify(live.drawn.nicknames) !== JSON.stringify(nicknames)) {
      list.replaceChildren(...nicknames.map((name) => el('li', {}, name)));
    }
  }

  const PAGE_TITLES = Object.fromEntries(PAGES.map((p) => [p.slug, p.title]));

  function drawQuestions(questions) {
    const holder = $('class-questions');
    $('class-no-questions').hidden = questions.length > 0;
    questions.forEach((question, index) => {
      let section = holder.querySelector(`[data-question="${CSS.escape(question.id)}"]`);
      if (!section) section = questionSection(question);
      if (holder.children[index] !== section) holder.insertBefore(section, holder.children[index] || null);
      drawSpread(section, question);
    });
  }

  /** A question's section: its title, question, one row per answer and the reveal button. */
  function questionSection(question) {
    const section = el('section', { 'data-question': question.id, 'aria-labelledby': `q-${question.id}` });
    section.append(
      el('p', { class: 'page' }, `${PAGE_TITLES[question.page] || question.page_title}, step ${question.number}`),
      el('h4', { id: `q-${question.id}` }, question.title),
      el('p', {}, question.question),
      el('ul', { class: 'answers' }),
      el('p', { class: 'total' }),
    );
    const reveal = el('button', { type: 'button', class: 'primary reveal' }, 'Reveal to the class');
    reveal.addEventListener('click', () => revealQuestion(section, question.id));
    section.append(reveal);
    return section;
  }

  function drawSpread(section, question) {
    const list = section.querySelector('.answers');
    for (const answer of question.answers) {
      let row = list.querySelector(`[data-answer="${CSS.escape(answer.id)}"]`);
      if (!row) {
        row = el('li', { 'data-answer': answer.id });
        row.append(el('span', { class: 'label' }, answer.label), el('span', { class: 'count' }), el('span', { class: 'bar', 'aria-hidden': 'true' }));
        row.querySelector('.bar').append(el('span'));
        list.append(row);
      }
      const share = question.total ? answer.count / question.total : 0;
      row.dataset.count = String(answer.count);
      row.querySelector('.count').textContent = `${answer.count} (${Math.round(share * 100)}%)`;
      row.querySelector('.bar > span').style.width = `${share * 100}%`;
    }
    section.querySelector('.total').textContent = `${plural(question.total, 'answer', 'answers')} in all.`;
    if (question.revealed) markRevealed(section);
  }

  function markRevealed(section) {
    section.dataset.revealed = 'true';
    const button = section.querySelector('.reveal');
    button.textContent = 'Revealed to the class';
    button.disabled = true;
  }

  async function revealQuestion(section, question) {
    const button = section.querySelector('.reveal');
    button.disabled = true;
    try {
      const result = await call('POST', 'reveal', { body: { code: live.code, question }, key: live.key });
      if (result.status === 200) { markRevealed(section); say(''); return; }
      say(errorOf(result), 'error');
    } catch {
      say('The reveal did not reach the server: try again.', 'error');
    }
    button.disabled = false;
  }

  // ---------- the class's confusion matrix ----------

  function buildConfusion() {
    const table = $('class-confusion');
    const head = el('tr');
    const corner = el('th', { scope: 'col' });
    corner.append(el('span', { class: 'visually-hidden' }, 'Digit meant, by the digit the CNN read'));
    head.append(corner);
    for (let read = 0; read < 10; read++) {
      const th = el('th', { scope: 'col' });
      th.append(el('span', { class: 'visually-hidden' }, 'read '), String(read));
      head.append(th);
    }
    const body = el('tbody');
    for (let meant = 0; meant < 10; meant++) {
      const row = el('tr');
      const th = el('th', { scope: 'row' });
      th.append(el('span', { class: 'visually-hidden' }, 'meant '), String(meant));
      row.append(th);
      for (let read = 0; read < 10; read++) {
        const cell = el('button', { type: 'button', 'data-meant': meant, 'data-read': read, 'data-count': 0, 'aria-pressed': 'false' }, '0');
        if (meant === read) cell.classList.add('right');
        cell.addEventListener('click', () => showDrawings(cell));
        const td = el('td');
        td.append(cell);
        row.append(td);
      }
      body.append(row);
    }
    const thead = el('thead');
    thead.append(head);
    table.replaceChildren(thead, body);
  }

  function drawConfusion(confusion) {
    const most = Math.max(1, ...confusion.flat());
    for (const cell of $('class-confusion').querySelectorAll('button')) {
      const meant = Number(cell.dataset.meant), read = Number(cell.dataset.read), count = confusion[meant][read];
      if (cell.dataset.count === String(count) && live.drawn) continue;
      cell.dataset.count = String(count);
      cell.textContent = String(count);
      cell.disabled = count === 0;
      cell.style.setProperty('--shade', count ? (0.1 + 0.35 * (count / most)).toFixed(2) : '0');
      cell.setAttribute('aria-label', `${meant} read as ${read}${meant === read ? ' (right)' : ''}: ${plural(count, 'drawing', 'drawings')}`);
      if (cell === live.cell) showDrawings(cell); // the open cell got new drawings: show them
    }
  }

  /** The drawings of one cell of the matrix, enlarged without smoothing. */
  async function showDrawings(cell) {
    const { meant, read } = cell.dataset;
    const shown = $('class-drawings');
    if (live.cell) live.cell.setAttribute('aria-pressed', 'false');
    live.cell = cell;
    cell.setAttribute('aria-pressed', 'true');
    try {
      const result = await call('GET', `drawings?code=${encodeURIComponent(live.code)}&meant=${meant}&read=${read}`, { key: live.key });
      if (result.status !== 200) { say(errorOf(result), 'error'); return; }
      if (live.cell !== cell) return; // another cell was chosen meanwhile
      const pictures = el('div', { class: 'pictures' });
      for (const drawing of result.value.drawings) {
        if (typeof drawing.png !== 'string' || !drawing.png.startsWith('data:image/png;base64,')) continue;
        const img = el('img', { width: 28, height: 28, alt: `a ${meant} read as ${read}` });
        img.src = drawing.png;
        pictures.append(img);
      }
      shown.replaceChildren(el('h4', {}, `${plural(pictures.children.length, 'drawing', 'drawings')} of a ${meant} read as ${read}, the latest first`), pictures);
      shown.hidden = false;
    } catch {
      say('The drawings did not load: choose the cell again.', 'error');
    }
  }

  // ---------- polling: a setTimeout chain, so never two requests in flight ----------

  function startPolling(code, key) {
    stopPolling();
    openBoard(code, key);
    resumePolling();
  }

  /** Polling (again) for the class on the board; a new run, so that an answer to an older one is dropped. */
  function resumePolling() {
    live.run += 1;
    live.on = true;
    poll(live.run);
  }

  function stopPolling() {
    live.on = false;
    clearTimeout(live.timer);
    live.timer = null;
  }

  function pollLater() {
    clearTimeout(live.timer);
    const run = live.run;
    live.timer = setTimeout(() => poll(run), document.hidden ? HIDDEN_POLL_MS : POLL_MS);
  }

  async function poll(run) {
    clearTimeout(live.timer); // whoever called (the timer, or the page coming back into view), the chain goes on from here alone
    live.timer = null;
    if (!live.on || live.busy || run !== live.run) return;
    live.busy = true;
    live.polling = call('GET', `board?code=${encodeURIComponent(live.code)}`, { key: live.key })
      .catch(() => null) // the network: keep the last board
      .finally(() => { live.busy = false; });
    const result = await live.polling;
    if (!live.on || run !== live.run) return;
    if (result === null || result.status >= 500 || result.status === 429) {
      if (live.drawn) connection.textContent = 'Reconnecting… the board shows the last answers it had.';
      else say('Reconnecting… the board shows once the server answers.');
      pollLater();
      return;
    }
    if (result.status !== 200) { // 403: not this class's teacher, or the class is over; 400: no class code at all
      showForm();
      say(result.status === 403 ? NOT_TEACHER : errorOf(result), 'error');
      return;
    }
    connection.textContent = '';
    drawBoard(result.value);
    pollLater();
  }

  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && live.on && !live.busy) poll(live.run); // back in view: fresh now, then every 1.5 s
  });

  // ---------- ending the class ----------

  function askToEnd() {
    $('class-end-confirm').showModal();
    $('class-end-keep').focus();
  }

  async function endClass() {
    const dialog = $('class-end-confirm');
    $('class-end-yes').disabled = true;
    stopPolling();
    await live.polling; // a board request still out would find the class gone: let it come back first
    try {
      const result = await call('POST', 'end', { body: { code: live.code }, key: live.key });
      dialog.close();
      if (result.status !== 200) { say(errorOf(result), 'error'); resumePolling(); return; }
      history.replaceState(null, '', location.pathname + location.search);
      showForm();
      $('class-start-title').focus();
      say(`The class ${dashed(live.code)} has ended: its answers and drawings are deleted.`);
    } catch {
      dialog.close();
      say('The server cannot be reached: the class goes on. Try again.', 'error');
      resumePolling();
    } finally {
      $('class-end-yes').disabled = false;
    }
  }

  // ---------- copying a link ----------

  async function copy(link, button) {
    try {
      await navigator.clipboard.writeText(link.href);
      button.textContent = 'Copied';
      setTimeout(() => { button.textContent = 'Copy'; }, 2000);
    } catch {
      getSelection().selectAllChildren(link); // no clipboard here (an insecure origin): the link is selected instead
      say('Copying is not allowed here: the link is selected, press Ctrl+C (⌘C on a Mac).');
    }
  }

  // ---------- which part of the page ----------

  /** The board of the class in the fragment, or the start form. */
  function route() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    const code = fragment.get('code'), key = fragment.get('key');
    if (!code && !key) { showForm(); return; }
    if (!code || !key) { showForm(); say(NOT_TEACHER, 'error'); return; }
    form.hidden = true;
    say('Opening the class’s board…');
    startPolling(code, key);
  }

  fillPages();
  prefill(new URLSearchParams(location.search));
  form.addEventListener('submit', startClass);
  $('class-end').addEventListener('click', askToEnd);
  $('class-end-keep').addEventListener('click', () => $('class-end-confirm').close());
  $('class-end-yes').addEventListener('click', endClass);
  $('class-copy-student').addEventListener('click', () => copy($('class-student-link'), $('class-copy-student')));
  $('class-copy-teacher').addEventListener('click', () => copy($('class-teacher-link'), $('class-copy-teacher')));
  window.addEventListener('hashchange', route);
  route();
})();
