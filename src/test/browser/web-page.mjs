// Drives the phreg web page in a real Chromium: enter the API key, submit a demo job from
// the form with its targets from test-time registers, watch its loss chart grow over
// server-sent events, stop it, restart it, read its results, pictures and register
// neurons, download an export archive, and find it in the filtered list. Every wait is on
// a state of the page, bounded. browser.mjs has the rest of the setting; PHREG_STEPS is
// the job's steps, PHREG_HELD_STEP the step its training waits on until it is stopped.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JOB_MILLIS, base, check, inChromium, openWithApiKey, screenshots } from './browser.mjs';

const steps = Number(process.env.PHREG_STEPS);
const heldStep = Number(process.env.PHREG_HELD_STEP);

await inChromium('', async (page, shot) => {
  // The API key, entered once, is kept in the session; the form comes with the family's defaults filled in.
  await openWithApiKey(page);
  check(await page.inputValue('#field-family') === 'DINOV2_HUB', 'the demo teacher\'s family is chosen');
  check(Number(await page.inputValue('#field-learningRate')) > 0, 'the family\'s learning rate is filled in');
  check(Number(await page.inputValue('#field-registers')) > 0, 'the paper\'s register count is filled in');
  await page.selectOption('#field-family', 'CLIP_OPENAI');
  const clipRate = Number(await page.inputValue('#field-learningRate'));
  await page.selectOption('#field-family', 'DINOV2_HUB');
  check(clipRate > Number(await page.inputValue('#field-learningRate')), 'another family fills in its own learning rate');
  check(await page.inputValue('#field-kind') === 'distill' && !(await page.isVisible('#field-outlierLayer')),
    'a distill job is the form\'s first kind, without the analyze fields');
  const targetNotes = await page.locator('#field-targets label').allTextContents();
  check(await page.isChecked('#field-targets input[value="tta"]') && targetNotes.length === 3
    && targetNotes.every((text) => text.length > 30), 'the targets choice starts on TTA and explains each source');
  await shot('01-list-and-form');

  // A small demo job, its targets from test-time registers, submitted from the form, opens its own page.
  for (const [field, value] of Object.entries({ steps, registers: 4, views: 2, batchSize: 1, checkpointEvery: 2,
    evaluationImages: 1 })) {
    await page.fill('#field-' + field, String(value));
  }
  await page.check('#field-targets input[value="test-time-registers"]');
  await page.click('#submit-job');
  await page.waitForURL(/\/jobs\/[A-Za-z0-9-]+$/);
  const id = page.url().split('/').pop();
  check(id.length > 8, 'the submitted job has its page at /jobs/' + id);

  // Its charts grow with the steps the events report, up to the step its training waits on.
  await page.waitForFunction((held) => Number(document.getElementById('charts').dataset.points) >= held, heldStep,
    { timeout: JOB_MILLIS });
  await shot('02-training');
  await page.click('#stop-job');
  await page.waitForSelector('#job-state:text-is("STOPPED")', { timeout: JOB_MILLIS });
  const pointsWhenStopped = Number(await page.getAttribute('#charts', 'data-points'));
  const teacher = await page.textContent('#job-teacher');
  check(teacher.includes('DINOv2') && teacher.includes('DINOV2_HUB'), 'the teacher\'s family and layout are named: ' + teacher);
  check(await page.getAttribute('#job-summary', 'data-targets') === 'test-time-registers',
    'the job\'s targets source is shown: ' + await page.textContent('#job-summary'));
  check(pointsWhenStopped === heldStep && heldStep < steps, 'the job stopped after ' + pointsWhenStopped + ' of ' + steps + ' steps');
  check(await page.isEnabled('#restart-job') && !(await page.isEnabled('#stop-job')), 'a stopped job can restart, not stop');
  await shot('03-stopped');

  // Restarted, it trains to the end; the chart holds each step once.
  await page.click('#restart-job');
  await page.waitForSelector('#job-state:text-is("COMPLETED")', { timeout: JOB_MILLIS });
  await page.waitForSelector('#charts[data-last-step="' + steps + '"]');
  check(Number(await page.getAttribute('#charts', 'data-points')) === steps, 'the chart shows each of the ' + steps + ' steps once');
  const history = await page.evaluate(async (url) => (await fetch(url)).json(), base + '/api/v1/jobs/' + id + '/history');
  check(history.length === steps && history.every((record, i) => record.step === i + 1), 'the history holds steps 1 to ' + steps);

  // Results, before/after panels with their colour scale, and the outlier maps.
  await page.waitForSelector('#results-table tr[data-figure="outlierFraction"]');
  const ratio = await page.textContent('#results-table tr[data-figure="maxToMedianRatio"] td:nth-child(2)');
  check(Number(ratio) > 1, 'the teacher\'s max/median norm ratio is shown: ' + ratio);
  await page.waitForSelector('#pictures .panel img');
  await page.waitForFunction(() => [...document.querySelectorAll('#pictures .panel img')]
    .every((img) => img.complete && img.naturalWidth > 0));
  const scaleMax = Number(await page.textContent('#pictures .panel .scale-max'));
  check(scaleMax > Number(await page.textContent('#pictures .panel .scale-min')), 'each picture has its colour scale');
  check(await page.locator('#pictures .maps canvas').count() >= 1, 'the outlier maps are drawn');
  const layers = await page.locator('#register-neurons .neurons-per-layer tbody tr').count();
  const neurons = await page.locator('#register-neurons #neuron-list tbody tr').count();
  check(layers > 0 && neurons > 0, 'the register neurons the targets\' teacher moved are shown: ' + neurons + ' of '
    + layers + ' layers');
  await shot('04-completed');

  // The export archive downloads as <job>-<format>.zip; each file is listed with its digest.
  const archiveLink = page.locator('#downloads .export[data-format="DINOV2_HUB"] a.archive');
  const [download] = await Promise.all([page.waitForEvent('download'), archiveLink.click()]);
  check(download.suggestedFilename() === id + '-DINOV2_HUB.zip', 'the archive is named ' + download.suggestedFilename());
  const saved = join(screenshots, download.suggestedFilename());
  await download.saveAs(saved);
  const zip = readFileSync(saved);
  check(zip.length > 1000 && zip.subarray(0, 2).toString() === 'PK', 'the archive is a zip of ' + zip.length + ' bytes');
  check(zip.includes(Buffer.from(id + '-DINOV2_HUB/model.safetensors')), 'the archive holds the weights in its folder');
  const digests = await page.locator('#downloads .export[data-format="DINOV2_HUB"] td.digest').allTextContents();
  check(digests.length >= 2 && digests.every((digest) => /^[0-9a-f]{64}$/.test(digest)), 'each exported file is listed with its SHA-256');

  // The list, filtered by state, links to the job.
  await page.click('a.home');
  await page.waitForSelector('#jobs tr');
  await page.selectOption('#state-filter', 'COMPLETED');
  await page.waitForSelector('#jobs tr[data-job="' + id + '"]');
  check(await page.textContent('#jobs tr[data-job="' + id + '"] td.kind') === 'distill', 'the list shows the job\'s kind');
  await page.selectOption('#state-filter', 'FAILED');
  await page.waitForSelector('#jobs tr[data-job="' + id + '"]', { state: 'detached' });
  check(true, 'the state filter shows the job among the completed ones only');
  await shot('05-list-filtered');
});
