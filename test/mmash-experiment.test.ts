import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Papa from 'papaparse';

import { parseFeatureSpecs } from '../cli/mmash';
import { DEFAULT_FEATURES } from '../lib/data/features';
import { loadMmash } from '../lib/data/mmashLoad';
import type { StudyMethod } from '../lib/distributed/study';
import { loadMmashExperimentData, type MmashExperimentData } from '../lib/experiments/mmash-data';
import { MMASH_SCENARIOS, leaveParticipantsOutScenario, perParticipantScenario, randomSplitScenario, type MmashScenario } from '../lib/experiments/mmash-scenarios';
import { runMmashExperiment, type MmashExperimentResult } from '../lib/experiments/mmash';
import { readModelFile } from '../lib/model/file';
import { plotlyBundle } from '../lib/plots/plotly-bundle';

const scratch = mkdtempSync(join(tmpdir(), 'otmoe-mmash-experiment-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const PARTICIPANTS = [1, 2, 3, 4];
const METHODS: StudyMethod[] = ['global', 'ot', 'average'];

/** Settings of a small run: 4 participants at the minute resolution, 3 methods, loose EM tolerance. */
function smallRun(data: MmashExperimentData, outDir: string | null) {
  return { data, outDir, machines: 3, heldOutParticipants: 1, methods: METHODS, starts: 1, tolerance: 1e-4, supportSize: 300, concurrency: 2, images: false };
}

/** Files under `folder`, relative paths, including hidden ones. */
function filesUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(folder.length + 1))
    .sort();
}

/** Checks that the scenario's machines and test rows are disjoint and together cover 0..n−1. */
function assertPartition(scenario: MmashScenario, n: number): void {
  const owner = new Int32Array(n).fill(-2);
  scenario.machineRows.forEach((rows, m) => {
    for (const i of rows) {
      assert.equal(owner[i], -2, `row ${i} is in two parts of ${scenario.id}`);
      owner[i] = m;
    }
  });
  for (const i of scenario.testRows) {
    assert.equal(owner[i], -2, `test row ${i} is also a training row of ${scenario.id}`);
    owner[i] = -1;
  }
  assert.equal(owner.indexOf(-2), -1, `${scenario.id} leaves a row out`);
}

describe('MMASH scenarios', () => {
  // 3 participants with 20, 30 and 50 rows, in contiguous blocks as loadMmash returns them.
  const group = Int32Array.from([...Array(20).fill(0), ...Array(30).fill(1), ...Array(50).fill(2)]);
  const n = group.length;
  const input = { data: { n, d: 1, features: ['x'], x: new Float64Array(n), y: new Float64Array(n) }, group, groupNames: ['user_1', 'user_2', 'user_3'] };

  test('random split sizes and cover', () => {
    const scenario = randomSplitScenario(input, 4, 0.1, 7);

    assert.equal(scenario.testRows.length, 10);
    assert.deepEqual(scenario.machineRows.map((rows) => rows.length), [23, 23, 22, 22]);
    assertPartition(scenario, n);
  });

  test('per-participant test rows from everyone', () => {
    const scenario = perParticipantScenario(input, 0.1, 7);
    const testPerParticipant = [0, 0, 0];
    for (const i of scenario.testRows) testPerParticipant[group[i]]++;

    assert.deepEqual(testPerParticipant, [2, 3, 5]);
    assert.equal(scenario.machineRows.length, 3);
    scenario.machineRows.forEach((rows, m) => {
      for (const i of rows) assert.equal(group[i], m, `machine ${m} holds a row of participant ${group[i]}`);
    });
    assertPartition(scenario, n);
  });

  test('leave-participants-out holds out whole participants', () => {
    const scenario = leaveParticipantsOutScenario(input, 1, 7);
    const heldOut = input.groupNames.indexOf(scenario.heldOutParticipants[0]);

    assert.equal(scenario.heldOutParticipants.length, 1);
    assert.equal(scenario.machineRows.length, 2);
    assert.equal(scenario.testRows.length, [20, 30, 50][heldOut]);
    for (const i of scenario.testRows) assert.equal(group[i], heldOut);
    assert.match(scenario.description, new RegExp(`\\(${scenario.heldOutParticipants[0]}\\)`));
    assertPartition(scenario, n);
  });
});

describe('MMASH experiment', () => {
  let data: MmashExperimentData;
  let result: MmashExperimentResult;
  const outDir = join(scratch, 'run');

  before(async () => {
    data = loadMmashExperimentData({ resolution: 'minute', participants: PARTICIPANTS, features: DEFAULT_FEATURES });
    result = await runMmashExperiment(smallRun(data, outDir));
  });

  test('clock columns leave the table unchanged', () => {
    const plain = loadMmash({ resolution: 'minute', participants: PARTICIPANTS });

    assert.deepEqual(data.table.data.features, plain.data.features);
    assert.deepEqual(data.table.data.x, plain.data.x);
    assert.deepEqual(data.table.data.y, plain.data.y);
    assert.deepEqual(data.table.rowsPerParticipant, plain.rowsPerParticipant);
    for (let i = 0; i < data.table.data.n; i++) {
      assert.ok(data.hourOfDay[i] >= 0, `hour ${data.hourOfDay[i]} at row ${i}`);
      assert.ok(data.hourOfDay[i] < 24, `hour ${data.hourOfDay[i]} at row ${i}`);
      assert.ok(data.day[i] === 1 || data.day[i] === 2, `day ${data.day[i]} at row ${i}`);
    }
  });

  test('one row per scenario and method', () => {
    const pairs = result.rows.map((row) => `${row.scenario}/${row.method}`);
    const expected = MMASH_SCENARIOS.flatMap((scenario) => METHODS.map((method) => `${scenario}/${method}`));

    assert.deepEqual(pairs, expected);
    assert.deepEqual(result.rows.map((row) => row.machines), [3, 3, 3, 4, 4, 4, 3, 3, 3]);
  });

  test('table metrics are finite', () => {
    for (const row of result.rows) {
      const where = `${row.scenario}/${row.method}`;
      for (const key of ['testMeanLogLikelihood', 'rmse', 'rpe', 'mae', 'wallSeconds'] as const) {
        assert.ok(Number.isFinite(row[key]), `${key} = ${row[key]} for ${where}`);
      }
      assert.ok(row.rmse > 0, `RMSE ${row.rmse} beats/min for ${where}`);
      // The baselines that merge parameters can predict far off; the global and OT models must not.
      if (row.method !== 'average') assert.ok(row.rmse < 40, `RMSE ${row.rmse} beats/min for ${where}`);
      assert.ok(row.bytes > 0, `bytes ${row.bytes} for ${where}`);
      assert.equal(row.rounds, 1, `rounds for ${where}`);
    }
  });

  test('table.csv matches the rows', () => {
    const parsed = Papa.parse<Record<string, string>>(readFileSync(join(outDir, 'table.csv'), 'utf8'), { header: true, skipEmptyLines: true });

    assert.equal(parsed.data.length, result.rows.length);
    parsed.data.forEach((line, r) => {
      assert.equal(line.scenario, result.rows[r].scenario);
      assert.equal(line.method, result.rows[r].method);
      assert.equal(Number(line.rmse_beats_per_min), result.rows[r].rmse);
      assert.ok(Number.isFinite(Number(line.test_mean_log_likelihood_nats)), `log-likelihood '${line.test_mean_log_likelihood_nats}' on line ${r + 2}`);
    });
  });

  test('table.md names the held-out participant', () => {
    const report = readFileSync(join(outDir, 'table.md'), 'utf8');
    const leaveOut = result.scenarios.find(({ scenario }) => scenario.id === 'leave-participants-out')!.scenario;

    assert.ok(report.includes(result.markdown), 'table.md contains the results table');
    assert.match(report, new RegExp(`\\(${leaveOut.heldOutParticipants[0]}\\) are test rows`));
  });

  test('model files read back', () => {
    for (const { scenario, study } of result.scenarios) {
      for (const method of study.results) {
        const file = readModelFile(join(outDir, 'models', `${scenario.id}-${method.method}.json`));
        assert.equal(file.K, 4);
        assert.deepEqual(file.features, DEFAULT_FEATURES.map((feature) => feature.name));
        assert.deepEqual(file.experts, method.model.experts, `experts of ${scenario.id}-${method.method}`);
        assert.deepEqual(file.gates, method.model.gates, `gates of ${scenario.id}-${method.method}`);
      }
    }
  });

  test('figure pages exist', () => {
    const plotlyFile = `plotly-${plotlyBundle().version}.js`;
    assert.ok(existsSync(join(outDir, 'figures', plotlyFile)), `${plotlyFile} copied beside the pages`);

    for (const name of ['experts-vs-activity', 'gates-over-day', 'method-comparison', 'speed-up']) {
      const page = readFileSync(join(outDir, 'figures', `${name}.html`), 'utf8');
      assert.ok(page.includes(`<script src="${plotlyFile}">`), `${name}.html loads ${plotlyFile}`);
      assert.ok(page.includes('Plotly.newPlot'), `${name}.html draws the figure`);
    }
  });

  test('no staging folder left', () => {
    assert.deepEqual(filesUnder(outDir).filter((file) => file.startsWith('.')), []);
  });

  test('abort during the fits writes nothing', async () => {
    const folder = join(scratch, 'aborted-fits');
    const controller = new AbortController();
    const run = runMmashExperiment({
      ...smallRun(data, folder),
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.message.startsWith('local EM fits')) controller.abort();
      },
    });

    await assert.rejects(run, { name: 'AbortError' });
    assert.deepEqual(filesUnder(folder), []);
  });

  test('abort while writing keeps old files', async () => {
    const folder = join(scratch, 'aborted-writing');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'table.md'), 'previous run\n');
    const controller = new AbortController();
    const run = runMmashExperiment({
      ...smallRun(data, folder),
      scenarios: ['random'],
      methods: ['average'],
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.message.startsWith('writing')) controller.abort();
      },
    });

    await assert.rejects(run, { name: 'AbortError' });
    assert.deepEqual(filesUnder(folder), ['table.md']);
    assert.equal(readFileSync(join(folder, 'table.md'), 'utf8'), 'previous run\n');
  });

  test('invalid options name the value', async () => {
    await assert.rejects(runMmashExperiment({ ...smallRun(data, null), methods: ['ot', 'kmeans' as StudyMethod] }), /Unknown methods entry 'kmeans'/);
    await assert.rejects(runMmashExperiment({ ...smallRun(data, null), heldOutParticipants: 3 }), /Invalid heldOutParticipants 3\. With 4 participants/);
    await assert.rejects(runMmashExperiment({ ...smallRun(data, null), testFraction: 1 }), /Invalid testFraction 1/);
  });
});

describe('mmash command options', () => {
  test('features parse as name=expression', () => {
    assert.deepEqual(parseFeatureSpecs('a=log(1 + vm); flat = vm == 0;'), [
      { name: 'a', expression: 'log(1 + vm)' },
      { name: 'flat', expression: 'vm == 0' },
    ]);
    assert.throws(() => parseFeatureSpecs('log(1 + vm)'), /--features entry 'log\(1 \+ vm\)' is not name=expression/);
  });
});
