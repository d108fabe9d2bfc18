// The phreg web page: one document that shows the job list (with the submit form) at /
// and /jobs, and one job at /jobs/{id}. It reads the REST API, follows a job over its
// server-sent events and draws with Chart.js (a WebJar served by the service itself).

const API = '/api/v1/jobs';
const API_KEY = 'phreg.apiKey';
const PAGE_SIZE = 10;
const STATES = ['QUEUED', 'STARTING', 'STARTED', 'STOPPING', 'STOPPED', 'COMPLETED', 'FAILED', 'ABANDONED'];
const ACTIVE = ['QUEUED', 'STARTING', 'STARTED', 'STOPPING'];
const RESTARTABLE = ['STOPPED', 'FAILED'];
const LIST_REFRESH_MILLIS = 3000;
// Viridis from 0 to 1 in ten stops, as the pictures and the CSS colour ramp draw it.
const VIRIDIS = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b',
  '#fde725'];

const app = document.getElementById('app');
// Whatever the current view must stop when another one replaces it (timers, streams).
let leaveView = () => {};

// ---------------------------------------------------------------- helpers

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.substring(2), value);
    else if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value === true ? '' : value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

function number(value, digits = 4) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value; // NaN and infinities arrive as strings
  return Math.abs(value) >= 1e4 || (value !== 0 && Math.abs(value) < 1e-3)
    ? value.toExponential(2) : value.toFixed(digits);
}

function bytes(size) {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return (unit === 0 ? value : value.toFixed(1)) + ' ' + units[unit];
}

function apiKey() {
  return sessionStorage.getItem(API_KEY) || '';
}

/** A JSON request; mutating ones carry the session's API key. Throws the problem's text. */
async function request(method, url, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && apiKey()) headers['X-API-Key'] = apiKey();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const details = (json && json.errors) ? json.errors.map((e) => e.field + ': ' + e.message).join('; ') : '';
    const summary = (json && (json.detail || json.title)) || response.statusText || String(response.status);
    throw new Error(summary + (details ? ' (' + details + ')' : ''));
  }
  return { json, response };
}

function navigate(path) {
  history.pushState(null, '', path);
  route();
}

function link(path, text) {
  return element('a', { href: path, 'data-route': true, text });
}

document.addEventListener('click', (event) => {
  const anchor = event.target.closest('a[data-route]');
  if (anchor && !event.ctrlKey && !event.metaKey && event.button === 0) {
    event.preventDefault();
    navigate(anchor.getAttribute('href'));
  }
});
window.addEventListener('popstate', route);

function route() {
  leaveView();
  leaveView = () => {};
  const match = location.pathname.match(/^\/jobs\/([A-Za-z0-9-]+)$/);
  if (match) showJob(match[1]);
  else showList();
}

// ---------------------------------------------------------------- API key

function setUpApiKey() {
  const form = document.getElementById('api-key-form');
  const input = document.getElementById('api-key');
  const state = document.getElementById('api-key-state');
  const show = () => { state.textContent = apiKey() ? 'kept for this session' : 'none'; };
  input.value = apiKey();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (input.value) sessionStorage.setItem(API_KEY, input.value);
    else sessionStorage.removeItem(API_KEY);
    show();
  });
  show();
}

// ---------------------------------------------------------------- list and submit form

function showList() {
  const params = new URLSearchParams(location.search);
  let state = params.get('state') || '';
  let page = Number(params.get('page') || 0);
  const filter = element('select', { id: 'state-filter' },
    element('option', { value: '', text: 'every state' }),
    ...STATES.map((s) => element('option', { value: s, text: s })));
  filter.value = state;
  const previous = element('button', { id: 'previous-page', type: 'button', text: '‹ newer' });
  const next = element('button', { id: 'next-page', type: 'button', text: 'older ›' });
  const pageInfo = element('span', { id: 'page-info', class: 'muted' });
  const body = element('tbody', { id: 'jobs' });
  const table = element('table', {},
    element('thead', {}, element('tr', {}, ...['job', 'kind', 'state', 'progress', 'loss (cos + mse)', 'images/s', 'ETA',
      'submitted'].map((h) => element('th', { text: h })))), body);
  app.replaceChildren(element('h1', { text: 'Jobs' }), submitForm(),
    element('div', { class: 'toolbar' }, element('label', {}, 'state ', filter), previous, pageInfo, next), table);

  let timer = null;
  let stopped = false;
  async function load() {
    clearTimeout(timer);
    const query = new URLSearchParams({ page, size: PAGE_SIZE });
    if (state) query.set('state', state);
    try {
      const { json, response } = await request('GET', API + '?' + query);
      if (stopped) return;
      const total = Number(response.headers.get('X-Total-Count') || json.length);
      const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
      pageInfo.textContent = 'page ' + (page + 1) + ' of ' + pages + ' (' + total + ' jobs)';
      previous.disabled = page === 0;
      next.disabled = page + 1 >= pages;
      body.replaceChildren(...json.map(jobRow));
    }
    finally {
      if (!stopped) timer = setTimeout(load, LIST_REFRESH_MILLIS);
    }
  }
  function reload() {
    const query = new URLSearchParams();
    if (state) query.set('state', state);
    if (page) query.set('page', page);
    history.replaceState(null, '', '/' + (query.toString() ? '?' + query : ''));
    load();
  }
  filter.addEventListener('change', () => { state = filter.value; page = 0; reload(); });
  previous.addEventListener('click', () => { page = Math.max(0, page - 1); reload(); });
  next.addEventListener('click', () => { page++; reload(); });
  leaveView = () => { stopped = true; clearTimeout(timer); };
  load();
}

function jobRow(job) {
  const p = job.progress || {};
  return element('tr', { 'data-job': job.id },
    element('td', {}, link('/jobs/' + job.id, job.id.substring(0, 8))),
    element('td', { class: 'kind', text: job.kind || 'distill' }),
    element('td', { class: 'state-' + job.state, text: job.state }),
    // A job that trains nothing (analyze) has no steps: its phase says how far it is.
    job.kind === 'analyze' ? element('td', { class: 'muted', text: job.phase ? 'phase ' + job.phase : '' })
      : element('td', {}, progressBar(p), ' ' + (p.step || 0) + '/' + (p.totalSteps || '?')),
    element('td', { text: p.loss === undefined || p.loss === null ? ''
      : number(p.loss) + ' (' + number(p.cosineLoss) + ' + ' + number(p.mseLoss) + ')' }),
    element('td', { class: 'number', text: p.imagesPerSecond == null ? '' : number(p.imagesPerSecond, 1) }),
    element('td', { class: 'number', text: p.etaSeconds == null ? '' : Math.round(p.etaSeconds) + ' s' }),
    element('td', { text: new Date(job.createdAt).toLocaleString() }));
}

function progressBar(p) {
  const fill = element('div');
  fill.style.width = (p.percent || 0) + '%';
  return element('div', { class: 'bar' }, fill);
}

// The kinds of job and the targets a distill job can learn from, as the API spells them.
const KINDS = [['distill', 'distill', 'train register tokens into a student of the teacher'],
  ['analyze', 'analyze', 'no training: find the teacher\'s register neurons and compare the four target sources']];
const TARGETS = [['tta', 'TTA', 'the paper\'s: the teacher over V shifted and mirrored views, aligned and averaged'],
  ['test-time-registers', 'test-time registers',
    'one pass per image, the teacher\'s register neurons moved to an extra token (no views)'],
  ['both', 'both', 'the V views, each through the teacher with test-time registers']];
// The kinds of job a form field belongs to: the other kind's fields are hidden and not sent.
const DISTILL = ['distill'];
const ANALYZE = ['analyze'];
const EVERY_KIND = ['distill', 'analyze'];
const INTEGER_FIELDS = ['steps', 'registers', 'views', 'resolution', 'batchSize', 'checkpointEvery', 'evaluationImages',
  'seed', 'outlierLayer', 'topNeurons', 'highestLayer', 'neuronImages', 'testTimeRegisterTokens'];
const DECIMAL_FIELDS = ['shiftFraction', 'learningRate', 'endLearningRate', 'normThreshold'];
const NEURON_SEARCH_FIELDS = ['outlierLayer', 'normThreshold', 'topNeurons', 'highestLayer', 'neuronImages',
  'testTimeRegisterTokens'];

function submitForm() {
  const field = (name, label, kinds, attributes = {}) => element('label', { 'data-kinds': kinds.join(' ') }, label,
    element('input', { name, id: 'field-' + name, ...attributes }));
  const kind = element('select', { name: 'kind', id: 'field-kind' },
    ...KINDS.map(([value, label]) => element('option', { value, text: label })));
  const kindNote = element('span', { id: 'kind-note', class: 'muted' });
  const family = element('select', { name: 'family', id: 'field-family' });
  const exportFormats = element('select', { name: 'exportFormats', id: 'field-exportFormats', multiple: true, size: 4 });
  const targets = element('fieldset', { id: 'field-targets', class: 'choices', 'data-kinds': DISTILL.join(' ') },
    element('legend', { text: 'targets: where the denoised targets come from' }),
    ...TARGETS.map(([value, label, note]) => element('label', {},
      element('input', { type: 'radio', name: 'targets', value, checked: value === 'tta' }),
      element('strong', { text: label }), element('span', { class: 'muted', text: note }))));
  const message = element('p', { id: 'submit-message' });
  const form = element('form', { id: 'submit-form' },
    element('fieldset', {}, element('legend', { text: 'Submit a job' }),
      element('div', { class: 'toolbar' }, element('label', {}, 'kind ', kind), kindNote),
      element('div', { class: 'form-grid' },
        field('teacher', 'teacher (checkpoint file or folder, or demo)', EVERY_KIND, { value: 'demo', required: true }),
        field('images', 'images (folder or .tar, or demo)', EVERY_KIND, { value: 'demo', required: true }),
        element('label', { 'data-kinds': DISTILL.join(' ') }, 'teacher family (for its defaults)', family),
        field('steps', 'steps', DISTILL, { type: 'number', min: 1, value: 40, required: true }),
        field('registers', 'register tokens', DISTILL, { type: 'number', min: 1, max: 64 }),
        field('views', 'test-time views', EVERY_KIND, { type: 'number', min: 1, max: 32 }),
        field('shiftFraction', 'largest shift (fraction of the grid)', EVERY_KIND,
          { type: 'number', step: 'any', min: 0, max: 0.49 }),
        field('resolution', 'resolution (empty: the teacher\'s)', EVERY_KIND, { type: 'number', min: 14, max: 1024 }),
        field('batchSize', 'batch size', DISTILL, { type: 'number', min: 1, max: 256 }),
        field('learningRate', 'learning rate', DISTILL, { type: 'number', step: 'any', min: 0 }),
        field('endLearningRate', 'final learning rate', DISTILL, { type: 'number', step: 'any', min: 0 }),
        field('checkpointEvery', 'checkpoint every (steps)', DISTILL, { type: 'number', min: 1 }),
        field('evaluationImages', 'held-out images, evaluated or compared (empty: up to 8)', EVERY_KIND, { type: 'number', min: 0 }),
        field('seed', 'seed', EVERY_KIND, { type: 'number', value: 0 }),
        field('outlierLayer', 'outlier layer (negative: from the last)', ANALYZE, { type: 'number' }),
        field('normThreshold', 'norm threshold (empty: the norm histogram\'s valley)', ANALYZE,
          { type: 'number', step: 'any', min: 0 }),
        field('topNeurons', 'register neurons kept (top k)', ANALYZE, { type: 'number', min: 1 }),
        field('highestLayer', 'highest layer searched', ANALYZE, { type: 'number', min: 0 }),
        field('neuronImages', 'images scanned for neurons (all when fewer)', ANALYZE, { type: 'number', min: 1 }),
        field('testTimeRegisterTokens', 'test-time register tokens', ANALYZE, { type: 'number', min: 1 }),
        element('label', { 'data-kinds': DISTILL.join(' ') }, 'export formats (none: the teacher\'s own)',
          exportFormats)),
      targets,
      element('div', { class: 'toolbar' }, element('button', { type: 'submit', id: 'submit-job', text: 'Submit' }),
        message)));

  // Only the chosen kind's fields show; hidden ones are disabled, so they are neither checked nor sent.
  const showKind = () => {
    kindNote.textContent = KINDS.find(([value]) => value === kind.value)[2];
    for (const part of form.querySelectorAll('[data-kinds]')) {
      const shown = part.dataset.kinds.split(' ').includes(kind.value);
      part.hidden = !shown;
      for (const control of part.querySelectorAll('input, select')) control.disabled = !shown;
    }
  };
  kind.addEventListener('change', showKind);
  showKind();

  request('GET', API + '/defaults').then(({ json: defaults }) => {
    for (const name of Object.keys(defaults.families)) family.append(element('option', { value: name, text: name }));
    // The demo teacher is a DINOv2 torch.hub model.
    family.value = 'DINOV2_HUB';
    for (const name of ['registers', 'views', 'shiftFraction', 'batchSize', 'checkpointEvery']) {
      form.elements[name].value = defaults[name];
    }
    const fillFamily = () => {
      const chosen = defaults.families[family.value];
      form.elements.learningRate.value = chosen.learningRate;
      form.elements.endLearningRate.value = chosen.endLearningRate;
      exportFormats.replaceChildren(...chosen.exportFormats.map((f) => element('option', { value: f, text: f })));
    };
    // The search's defaults depend on the teacher's depth and width: known here for the demo teacher only;
    // left empty, a checkpoint's are taken once it is loaded.
    const fillNeuronSearch = () => {
      const demo = form.elements.teacher.value.trim() === 'demo';
      for (const name of NEURON_SEARCH_FIELDS) {
        const value = demo ? defaults.registerNeuronSearch[name] : null;
        form.elements[name].value = value ?? '';
        form.elements[name].placeholder = !demo ? 'the teacher\'s default' : (value == null ? 'histogram valley' : '');
      }
    };
    family.addEventListener('change', fillFamily);
    form.elements.teacher.addEventListener('change', fillNeuronSearch);
    fillFamily();
    fillNeuronSearch();
    form.dataset.ready = 'true';
  }).catch((error) => { message.textContent = 'Defaults unavailable: ' + error.message; });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { teacher: form.elements.teacher.value, images: form.elements.images.value };
    // distill is the API's default kind.
    if (kind.value !== 'distill') body.kind = kind.value;
    const given = (name) => !form.elements[name].disabled && form.elements[name].value !== '';
    for (const name of INTEGER_FIELDS.filter(given)) body[name] = Number.parseInt(form.elements[name].value, 10);
    for (const name of DECIMAL_FIELDS.filter(given)) body[name] = Number(form.elements[name].value);
    if (!targets.hidden) body.targets = form.elements.targets.value;
    const formats = exportFormats.disabled ? [] : [...exportFormats.selectedOptions].map((option) => option.value);
    if (formats.length) body.exportFormats = formats;
    message.className = '';
    message.textContent = 'submitting…';
    try {
      const { json } = await request('POST', API, body);
      navigate('/jobs/' + json.id);
    }
    catch (error) {
      message.className = 'error';
      message.textContent = error.message;
    }
  });
  return form;
}

// ---------------------------------------------------------------- one job

function showJob(id) {
  const heading = element('h1', {}, 'Job ', element('code', { text: id }));
  const state = element('span', { id: 'job-state' });
  const phase = element('span', { id: 'job-phase', class: 'muted' });
  const progress = element('span', { id: 'job-progress' });
  const stop = element('button', { id: 'stop-job', type: 'button', text: 'Stop' });
  const restart = element('button', { id: 'restart-job', type: 'button', text: 'Restart' });
  const actionMessage = element('span', { id: 'action-message', class: 'error' });
  const errors = element('div', { id: 'job-errors' });
  const teacher = element('p', { id: 'job-teacher', class: 'muted' });
  const summary = element('p', { id: 'job-summary' });
  const charts = new TrainingCharts();
  const training = element('section', { id: 'training' }, element('h2', { text: 'Training' }),
    element('p', { class: 'muted' }, element('a', { href: API + '/' + id + '/history', text: 'history (JSON)' }),
      ' · ', element('a', { href: API + '/' + id + '/history', id: 'history-csv', text: 'history (CSV)',
        onclick: (event) => { event.preventDefault(); downloadCsv(id); } })),
    charts.element);
  const analysis = element('section', { id: 'analysis' });
  const registerNeurons = element('section', { id: 'register-neurons' });
  const results = element('section', { id: 'results' });
  const pictures = element('section', { id: 'pictures' });
  const downloads = element('section', { id: 'downloads' });
  app.replaceChildren(element('p', {}, link('/', '‹ all jobs')), heading,
    element('div', { class: 'toolbar' }, state, phase, progress, stop, restart, actionMessage), teacher, summary, errors,
    training, analysis, results, registerNeurons, pictures, downloads);

  let view = null;
  let events = null;
  let finishedShown = null;
  let stopped = false;

  function render(job) {
    view = job;
    state.textContent = job.state;
    state.className = 'state-' + job.state;
    phase.textContent = job.phase ? 'phase ' + job.phase : '';
    // The family is known once the job is prepared; until then, the checkpoint as named.
    teacher.replaceChildren('teacher ', element('code', { text: job.spec.teacher }),
      ...(job.teacher ? [': ', element('strong', { text: job.teacher.family }),
        ' (' + job.teacher.description + ', ' + job.teacher.format + ')'] : []));
    const p = job.progress;
    progress.replaceChildren(...(p ? [progressBar(p), ' step ' + p.step + '/' + p.totalSteps
      + (p.etaSeconds != null ? ', ETA ' + Math.round(p.etaSeconds) + ' s' : '')] : []));
    stop.disabled = !ACTIVE.includes(job.state);
    restart.disabled = !RESTARTABLE.includes(job.state);
    errors.replaceChildren(...(job.errors || []).map((e) => element('p', { class: 'error', text: e })),
      ...(job.skippedImages > 0 ? [element('p', { text: job.skippedImages + ' image(s) skipped: '
        + (job.skipped || []).map((s) => s.name + ' (' + s.reason + ')').join(', ') })] : []));
    if (p) charts.add(p);
    renderSummary(summary, job);
    // An analyze job trains nothing.
    training.hidden = job.kind === 'analyze';
    renderAnalysis(analysis, job.analysis, id);
    // An analyze job's neurons show with its analysis once that is written.
    if (job.analysis) registerNeurons.replaceChildren();
    else renderRegisterNeurons(registerNeurons, job.registerNeurons);
    renderResults(results, job.results);
    if (!ACTIVE.includes(job.state) && finishedShown !== job.state + job.executions) {
      finishedShown = job.state + job.executions;
      showFiles(id, pictures, downloads);
      // The last event may have left before the analysis was written.
      if (job.kind === 'analyze' && !job.analysis) {
        request('GET', API + '/' + id).then(({ json }) => { if (!stopped) render(json); });
      }
    }
  }

  function follow() {
    if (events) events.close();
    events = new EventSource(API + '/' + id + '/events');
    events.addEventListener('progress', (event) => {
      const job = JSON.parse(event.data);
      render(job);
      // The stream ends with the job; EventSource would reconnect to an ended job forever.
      if (!ACTIVE.includes(job.state)) events.close();
    });
  }

  async function act(action) {
    actionMessage.textContent = '';
    try {
      const { json } = await request('POST', API + '/' + id + '/' + action);
      render(json);
      if (ACTIVE.includes(json.state)) follow();
    }
    catch (error) {
      actionMessage.textContent = error.message;
    }
  }
  stop.addEventListener('click', () => act('stop'));
  restart.addEventListener('click', () => act('restart'));
  leaveView = () => { stopped = true; if (events) events.close(); charts.destroy(); };

  (async () => {
    try {
      const { json: history } = await request('GET', API + '/' + id + '/history');
      if (stopped) return;
      charts.addAll(history);
      const { json: job } = await request('GET', API + '/' + id);
      if (stopped) return;
      render(job);
      if (ACTIVE.includes(job.state)) follow();
    }
    catch (error) {
      app.append(element('p', { class: 'error', text: error.message }));
    }
  })();
}

/** The history as CSV (the API answers CSV to Accept: text/csv, which a plain link cannot ask). */
async function downloadCsv(id) {
  const response = await fetch(API + '/' + id + '/history', { headers: { Accept: 'text/csv' } });
  const url = URL.createObjectURL(await response.blob());
  const anchor = element('a', { href: url, download: id + '-history.csv' });
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  URL.revokeObjectURL(url);
}

/** Loss parts, learning rate and images/s over the steps, one point per step. */
class TrainingCharts {

  constructor() {
    this.element = element('div', { class: 'charts', id: 'charts', 'data-points': 0 });
    this.steps = [];
    const chart = (id, title, datasets, logarithmic) => {
      const canvas = element('canvas', { id });
      this.element.append(element('div', {}, element('h3', { text: title }), element('div', { class: 'chart' }, canvas)));
      return new Chart(canvas, {
        type: 'line',
        data: { labels: this.steps, datasets: datasets.map(([label, colour]) => ({ label, data: [], borderColor: colour,
          backgroundColor: colour, pointRadius: 0, borderWidth: 1.5, spanGaps: true })) },
        options: { animation: false, maintainAspectRatio: false, interaction: { mode: 'index', intersect: false },
          scales: { x: { title: { display: true, text: 'step' } },
            y: { type: logarithmic ? 'logarithmic' : 'linear' } } },
      });
    };
    this.loss = chart('chart-loss', 'Loss', [['total', '#111827'], ['cosine (1 − cos)', '#2563eb'],
      ['MSE', '#dc2626']], true);
    this.rate = chart('chart-learning-rate', 'Learning rate', [['learning rate', '#7c3aed']], false);
    this.speed = chart('chart-images-per-second', 'Images/s', [['images/s', '#059669']], false);
  }

  addAll(records) {
    records.forEach((record) => this.push(record));
    this.update();
  }

  /** A progress report or a history record: a resumed run replaces the steps it trains again. */
  add(point) {
    this.push(point);
    this.update();
  }

  push(point) {
    const at = this.steps.findIndex((step) => step >= point.step);
    if (at >= 0 && this.steps[at] === point.step && at === this.steps.length - 1) return;
    if (at >= 0) this.truncate(at);
    this.steps.push(point.step);
    const values = [[this.loss, [point.loss, point.cosineLoss, point.mseLoss]], [this.rate, [point.learningRate]],
      [this.speed, [point.imagesPerSecond]]];
    for (const [chart, parts] of values) {
      parts.forEach((value, i) => chart.data.datasets[i].data.push(typeof value === 'number' ? value : null));
    }
  }

  truncate(length) {
    this.steps.length = length;
    for (const chart of [this.loss, this.rate, this.speed]) {
      chart.data.datasets.forEach((dataset) => { dataset.data.length = length; });
    }
  }

  update() {
    for (const chart of [this.loss, this.rate, this.speed]) chart.update('none');
    this.element.dataset.points = this.steps.length;
    this.element.dataset.lastStep = this.steps.length ? this.steps[this.steps.length - 1] : 0;
  }

  destroy() {
    for (const chart of [this.loss, this.rate, this.speed]) chart.destroy();
  }

}

// ---------------------------------------------------------------- results, pictures, downloads

const FIGURES = [['outlierFraction', 'outlier fraction', 'share of patch tokens above the teacher\'s threshold'],
  ['maxToMedianRatio', 'max/median norm', 'about 10 with artifacts'],
  ['neighbourCosine', 'neighbour cosine', 'higher is smoother'],
  ['normVariance', 'norm variance', ''],
  ['medianNorm', 'median norm', ''],
  ['maxNorm', 'max norm', '']];

function renderResults(section, results) {
  if (!results) {
    section.replaceChildren();
    return;
  }
  section.replaceChildren(element('h2', { text: 'Results' }),
    element('p', { class: 'muted', text: 'Teacher → student on ' + results.images + ' held-out image(s) at '
      + results.resolution + ' px; outlier threshold ' + number(results.threshold) + ' (the teacher\'s).' }),
    element('table', { id: 'results-table' },
      element('thead', {}, element('tr', {}, element('th', { text: 'figure' }), element('th', { class: 'number', text: 'teacher' }),
        element('th', { class: 'number', text: 'student' }), element('th', { text: '' }))),
      element('tbody', {}, ...FIGURES.map(([key, label, note]) => element('tr', { 'data-figure': key },
        element('td', { text: label }), element('td', { class: 'number', text: number(results.teacher[key]) }),
        element('td', { class: 'number', text: number(results.student[key]) }),
        element('td', { class: 'muted', text: note }))))));
}

function renderSummary(paragraph, job) {
  if (job.kind === 'analyze') {
    paragraph.replaceChildren(element('strong', { text: 'analyze' }), ': the teacher\'s register neurons, and its '
      + 'features from the four target sources side by side; no training');
    return;
  }
  const source = (job.settings ? job.settings.targets : job.spec.targets) || 'tta';
  const [, label, note] = TARGETS.find(([value]) => value === source) || [source, source, ''];
  paragraph.dataset.targets = source;
  paragraph.replaceChildren(element('strong', { text: 'distill' }), ' · targets ',
    element('strong', { class: 'targets', text: label }), element('span', { class: 'muted', text: ' (' + note + ')' }));
}

// The target sources an analyze job compares, in its columns' order.
const SOURCES = [['teacher', 'teacher'], ['tta', 'TTA'], ['test-time-registers', 'test-time registers'],
  ['both', 'both']];
// Its rows: the figure of a source, whether lower or higher is better, and its decimals.
const COMPARED = [
  ['outlierFraction', 'outlier fraction', (source) => source.summary?.outlierFraction, 'lower', 4],
  ['maxToMedianRatio', 'max/median norm', (source) => source.summary?.maxToMedianRatio, 'lower', 4],
  ['neighbourCosine', 'neighbour cosine', (source) => source.summary?.neighbourCosine, 'higher', 4],
  ['normVariance', 'norm variance', (source) => source.summary?.normVariance, 'lower', 4],
  ['teacherSecondsPerImage', 'teacher seconds per image', (source) => source.teacherSecondsPerImage, 'lower', 4],
  ['passesPerImage', 'passes per image', (source) => source.passesPerImage, 'lower', 0]];

/** An analyze job's findings; drawn again only when they change, so that its pictures load once. */
function renderAnalysis(section, analysis, id) {
  // Written once at the end: a view without it (an event sent before) does not take it away.
  if (!analysis) return;
  const text = JSON.stringify(analysis);
  if (section.dataset.rendered === text) return;
  section.dataset.rendered = text;
  const bySource = new Map(analysis.sources.map((source) => [source.source, source]));
  const rows = COMPARED.map(([key, label, value, better, digits]) => {
    const values = SOURCES.map(([source]) => (bySource.has(source) ? value(bySource.get(source)) : undefined));
    const finite = values.filter((v) => typeof v === 'number' && Number.isFinite(v));
    const best = finite.length ? (better === 'lower' ? Math.min(...finite) : Math.max(...finite)) : undefined;
    return element('tr', { 'data-figure': key }, element('td', { text: label }),
      ...values.map((v, i) => element('td', { class: 'number' + (v === best ? ' best' : ''),
        'data-source': SOURCES[i][0], title: v === best ? 'best' : undefined, text: number(v, digits) })),
      element('td', { class: 'muted', text: better + ' is better' }));
  });
  section.replaceChildren(element('h2', { text: 'Target sources side by side' }),
    element('p', { class: 'muted', text: 'The teacher\'s features on ' + analysis.images.length + ' image(s) at '
      + analysis.resolution + ' px: as they are, denoised by TTA, with test-time registers, and both; the best of each '
      + 'row is marked.' }),
    element('table', { id: 'analysis-table' },
      element('thead', {}, element('tr', {}, element('th', { text: 'figure' }),
        ...SOURCES.map(([source, label]) => element('th', { class: 'number', 'data-source': source, text: label })),
        element('th', { text: '' }))),
      element('tbody', {}, ...rows)),
    element('h3', { text: 'Token norms per image' }),
    element('div', { class: 'panels', id: 'analysis-pictures' }, ...(analysis.pictures || []).map((picture) =>
      element('div', { class: 'panel' }, element('h4', { text: picture.image }),
        element('img', { src: artifactUrl(id, picture.artifact), alt: picture.artifact }),
        colourScale(picture.normMin, picture.normMax, 'token norm'),
        element('p', { class: 'max-norms', text: 'max norm: ' + SOURCES.filter(([source]) => source in picture.maxNorms)
          .map(([source, label]) => label + ' ' + number(picture.maxNorms[source], 2)).join(' · ') })))),
    ...neuronFindings(analysis, analysis.neuronPicture && artifactUrl(id, analysis.neuronPicture)));
}

/** The register neurons a job found: those a distill job's test-time registers use, or an analyze job's first finding. */
function renderRegisterNeurons(section, found) {
  if (!found) return;
  const text = JSON.stringify(found);
  if (section.dataset.rendered === text) return;
  section.dataset.rendered = text;
  section.replaceChildren(...neuronFindings(found));
}

function artifactUrl(id, name) {
  return API + '/' + id + '/artifacts/' + name;
}

/** The search, where the neurons sit by layer (the job's picture, or a table when it drew none) and their list. */
function neuronFindings(found, pictureUrl) {
  const search = found.search;
  const threshold = search.normThreshold == null ? 'none found'
    : number(search.normThreshold, 1) + (search.thresholdSource ? ' (' + search.thresholdSource + ')' : '');
  return [element('h3', { text: 'Register neurons' }),
    element('p', { class: 'muted', id: 'neuron-search', text: 'Outliers: norm above ' + threshold + ' at layer '
      + search.outlierLayer + ', in ' + search.imagesWithOutliers + ' of ' + search.imagesScanned + ' images; the top '
      + search.topK + ' neurons of layers 0 to ' + search.highestLayer + ' by mean activation at the outliers.' }),
    element('div', { class: 'neuron-findings' },
      pictureUrl ? element('img', { id: 'neuron-picture', src: pictureUrl, alt: 'register neurons per layer' })
        : neuronsPerLayer(found.neuronsPerLayer || countPerLayer(found.neurons, search.highestLayer)),
      neuronList(found.neurons))];
}

function neuronsPerLayer(perLayer) {
  const most = Math.max(1, ...perLayer.map((layer) => layer.count));
  return element('table', { class: 'neurons-per-layer' },
    element('thead', {}, element('tr', {}, element('th', { class: 'number', text: 'layer' }),
      element('th', { class: 'number', text: 'neurons' }), element('th', { text: '' }))),
    element('tbody', {}, ...perLayer.map((layer) => {
      const fill = element('div');
      fill.style.width = (100 * layer.count / most) + '%';
      return element('tr', { 'data-layer': layer.layer }, element('td', { class: 'number', text: layer.layer }),
        element('td', { class: 'number', text: layer.count }), element('td', {}, element('div', { class: 'bar' }, fill)));
    })));
}

/** How many of the neurons each layer from 0 to the highest searched holds. */
function countPerLayer(neurons, highestLayer) {
  return Array.from({ length: highestLayer + 1 }, (_, layer) => ({ layer,
    count: neurons.filter((neuron) => neuron.layer === layer).length }));
}

/** The neurons, highest score first and the top few unless asked for all; a header click sorts by its column. */
function neuronList(neurons) {
  const compact = 12;
  let order = { key: 'score', descending: true };
  let all = false;
  const body = element('tbody');
  const more = element('button', { type: 'button', class: 'show-all' });
  const headers = ['layer', 'neuron', 'score'].map((key) => element('th', { class: 'number', 'data-key': key },
    element('button', { type: 'button', class: 'sort', text: key, onclick: () => {
      // A second click on the same column turns it around; a new column starts with its natural order.
      order = { key, descending: order.key === key ? !order.descending : key === 'score' };
      draw();
    } })));
  function draw() {
    const sign = order.descending ? -1 : 1;
    const sorted = [...neurons].sort((a, b) => sign * (a[order.key] - b[order.key]) || a.layer - b.layer
      || a.neuron - b.neuron);
    body.replaceChildren(...(all ? sorted : sorted.slice(0, compact)).map((neuron) => element('tr', {},
      element('td', { class: 'number', text: neuron.layer }), element('td', { class: 'number', text: neuron.neuron }),
      element('td', { class: 'number', text: number(neuron.score, 3) }))));
    for (const header of headers) {
      header.setAttribute('aria-sort', header.dataset.key !== order.key ? 'none'
        : order.descending ? 'descending' : 'ascending');
    }
    more.hidden = neurons.length <= compact;
    more.textContent = all ? 'show the top ' + compact : 'show all ' + neurons.length;
  }
  more.addEventListener('click', () => { all = !all; draw(); });
  draw();
  return element('div', {}, element('table', { class: 'neuron-list', id: 'neuron-list' },
    element('thead', {}, element('tr', {}, ...headers)), body), more);
}

async function showFiles(id, pictures, downloads) {
  let artifacts;
  try {
    artifacts = (await request('GET', API + '/' + id + '/artifacts')).json;
  }
  catch (error) {
    downloads.replaceChildren(element('p', { class: 'error', text: error.message }));
    return;
  }
  const byName = new Map(artifacts.map((artifact) => [artifact.name, artifact]));
  if (byName.has('evaluation.json')) {
    const evaluation = (await request('GET', byName.get('evaluation.json').url)).json;
    renderPictures(pictures, evaluation, id);
  }
  const formats = [...new Set(artifacts.map((a) => a.name.match(/^export\/([A-Z0-9_]+)\//))
    .filter((m) => m).map((m) => m[1]))];
  downloads.replaceChildren(element('h2', { text: 'Downloads' }),
    ...formats.map((format) => element('div', { class: 'export', 'data-format': format },
      element('h3', {}, element('a', { href: API + '/' + id + '/exports/' + format + '.zip', download: '',
        class: 'archive', text: id + '-' + format + '.zip' })),
      fileTable(artifacts.filter((a) => a.name.startsWith('export/' + format + '/'))))),
    element('h3', { text: 'Other files' }),
    fileTable(artifacts.filter((a) => !a.name.startsWith('export/') && !a.name.startsWith('checkpoints/'))));
}

function fileTable(artifacts) {
  return element('table', { class: 'files' },
    element('thead', {}, element('tr', {}, element('th', { text: 'file' }), element('th', { class: 'number', text: 'size' }),
      element('th', { text: 'SHA-256' }))),
    element('tbody', {}, ...artifacts.map((a) => element('tr', {},
      element('td', {}, element('a', { href: a.url, text: a.name })),
      element('td', { class: 'number', title: a.size + ' bytes', text: bytes(a.size) }),
      element('td', { class: 'digest', text: a.sha256 })))));
}

function colourScale(min, max, label) {
  return element('div', { class: 'colour-scale' }, element('span', { text: label }),
    element('span', { class: 'scale-min', text: number(min, 2) }), element('span', { class: 'ramp' }),
    element('span', { class: 'scale-max', text: number(max, 2) }));
}

function renderPictures(section, evaluation, id) {
  // Teacher against student: a job that trained one.
  if (!evaluation.student) return;
  const panels = (evaluation.pictures || []).map((picture) => element('div', { class: 'panel' },
    element('h3', { text: picture.artifact.replace(/^pictures\//, '') }),
    element('p', { class: 'muted', text: 'input · teacher norms · student norms · teacher PCA · student PCA' }),
    element('img', { src: artifactUrl(id, picture.artifact), alt: picture.artifact }),
    colourScale(picture.normMin, picture.normMax, 'token norm'),
    element('p', { text: 'median / max norm: teacher ' + number(picture.teacherMedianNorm, 2) + ' / '
      + number(picture.teacherMaxNorm, 2) + ' → student ' + number(picture.studentMedianNorm, 2) + ' / '
      + number(picture.studentMaxNorm, 2) })));
  const maps = element('div', { class: 'maps' });
  for (const [who, summary] of [['teacher', evaluation.teacher], ['student', evaluation.student]]) {
    if (summary.outlierMap) {
      maps.append(element('div', {}, element('p', { text: who + ': share of images with an outlier at each position' }),
        outlierMap(summary)));
    }
  }
  const histogram = element('canvas', { id: 'norm-histogram' });
  section.replaceChildren(element('h2', { text: 'Before and after' }), element('div', { class: 'panels' }, ...panels),
    element('h3', { text: 'Outlier positions over all held-out images' }), maps, colourScale(0, 1, 'share of images'),
    element('h3', { text: 'Token norms, teacher and student' }), element('div', { class: 'chart' }, histogram));
  normHistogram(histogram, evaluation);
}

function outlierMap(summary) {
  const cell = 12;
  const canvas = element('canvas', { width: summary.gridWidth * cell, height: summary.gridHeight * cell });
  const context = canvas.getContext('2d');
  summary.outlierMap.forEach((share, i) => {
    context.fillStyle = VIRIDIS[Math.min(VIRIDIS.length - 1, Math.floor(share * VIRIDIS.length))];
    context.fillRect((i % summary.gridWidth) * cell, Math.floor(i / summary.gridWidth) * cell, cell, cell);
  });
  return canvas;
}

function normHistogram(canvas, evaluation) {
  const points = (summary) => summary.histogramCounts.map((count, i) => ({
    x: Math.sqrt(summary.histogramEdges[i] * summary.histogramEdges[i + 1]), y: count }));
  const datasets = [
    { label: 'teacher', data: points(evaluation.teacher), borderColor: '#dc2626', backgroundColor: '#dc2626' },
    { label: 'student', data: points(evaluation.student), borderColor: '#2563eb', backgroundColor: '#2563eb' }];
  const threshold = evaluation.teacher.threshold;
  if (typeof threshold === 'number') {
    const top = Math.max(...datasets.flatMap((d) => d.data.map((p) => p.y)));
    datasets.push({ label: 'outlier threshold ' + number(threshold, 2), data: [{ x: threshold, y: 0 }, { x: threshold, y: top }],
      borderColor: '#111827', borderDash: [4, 4], backgroundColor: '#111827' });
  }
  return new Chart(canvas, {
    type: 'line',
    data: { datasets: datasets.map((d) => ({ pointRadius: 0, borderWidth: 1.5, ...d })) },
    options: { animation: false, maintainAspectRatio: false,
      scales: { x: { type: 'logarithmic', title: { display: true, text: 'token norm' } },
        y: { title: { display: true, text: 'tokens' } } } },
  });
}

setUpApiKey();
route();
