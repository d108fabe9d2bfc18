// Drives the page through an analyze job on the demo teacher: the form shows the analyze
// fields only, with the demo teacher's register neuron search filled in; the job, run from
// it on a few images, shows the four target sources side by side with numbers and the best
// of each row marked, its per-image panels and neuron picture loaded, and a neuron list
// that sorts; the list names its kind. browser.mjs has the setting; PHREG_IMAGES is the
// number of images compared.
import { JOB_MILLIS, check, inChromium, openWithApiKey } from './browser.mjs';

const images = Number(process.env.PHREG_IMAGES);
const SOURCES = ['teacher', 'tta', 'test-time-registers', 'both'];
const FIGURES = ['outlierFraction', 'maxToMedianRatio', 'neighbourCosine', 'normVariance', 'teacherSecondsPerImage',
  'passesPerImage'];

await inChromium('analyze-', async (page, shot) => {
  await openWithApiKey(page);
  await page.selectOption('#field-kind', 'analyze');
  check(!(await page.isVisible('#field-steps')) && !(await page.isVisible('#field-targets'))
    && !(await page.isVisible('#field-learningRate')), 'an analyze job\'s form hides the training fields');
  check(await page.inputValue('#field-outlierLayer') === '-2' && Number(await page.inputValue('#field-topNeurons')) > 0
    && Number(await page.inputValue('#field-highestLayer')) >= 0 && await page.inputValue('#field-normThreshold') === '',
  'the demo teacher\'s register neuron search is filled in, the threshold left to the histogram\'s valley');
  await shot('01-form');

  for (const [field, value] of Object.entries({ views: 2, evaluationImages: images })) {
    await page.fill('#field-' + field, String(value));
  }
  await page.click('#submit-job');
  await page.waitForURL(/\/jobs\/[A-Za-z0-9-]+$/);
  const id = page.url().split('/').pop();
  await page.waitForSelector('#job-state:text-is("COMPLETED")', { timeout: JOB_MILLIS });
  check(!(await page.isVisible('#training')), 'an analyze job has no training charts');

  // Four columns, a number in each cell, the best of each row marked.
  await page.waitForSelector('#analysis-table');
  const columns = await page.locator('#analysis-table thead th[data-source]').evaluateAll(
    (headers) => headers.map((header) => header.dataset.source));
  check(JSON.stringify(columns) === JSON.stringify(SOURCES), 'the sources are side by side: ' + columns.join(', '));
  for (const figure of FIGURES) {
    const row = '#analysis-table tr[data-figure="' + figure + '"]';
    const cells = (await page.locator(row + ' td[data-source]').allTextContents()).map(Number);
    check(cells.length === 4 && cells.every((value) => Number.isFinite(value) && value >= 0),
      figure + ' has a number per source: ' + cells.join(', '));
    check(await page.locator(row + ' td.best').count() >= 1, figure + '\'s best is marked');
  }

  // A panel per compared image, each picture loaded, with its norm scale.
  await page.waitForFunction((count) => {
    const pictures = [...document.querySelectorAll('#analysis-pictures .panel img'), document.getElementById('neuron-picture')];
    return pictures.length === count + 1 && pictures.every((img) => img && img.complete && img.naturalWidth > 0);
  }, images);
  check(true, 'the ' + images + ' image panels and the neuron picture load');
  const scaleMax = Number(await page.textContent('#analysis-pictures .panel .scale-max'));
  check(scaleMax > Number(await page.textContent('#analysis-pictures .panel .scale-min')), 'each panel has its norm scale');

  // The neurons: highest score first, sortable by layer.
  const scores = (await page.locator('#neuron-list tbody tr td:nth-child(3)').allTextContents()).map(Number);
  check(scores.length > 0 && scores.every((score, i) => i === 0 || score <= scores[i - 1]),
    'the neurons are listed highest score first: ' + scores.length);
  await page.click('#neuron-list th[data-key="layer"] button');
  const layers = (await page.locator('#neuron-list tbody tr td:nth-child(1)').allTextContents()).map(Number);
  check(layers.every((layer, i) => i === 0 || layer >= layers[i - 1]), 'a click on layer sorts them by layer');
  await shot('02-completed');

  await page.click('a.home');
  await page.waitForSelector('#jobs tr[data-job="' + id + '"]');
  check(await page.textContent('#jobs tr[data-job="' + id + '"] td.kind') === 'analyze', 'the list shows the job\'s kind');
});
