import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { gzipSync, gunzipSync } from 'node:zlib';

import { DataFileError } from '../lib/data/csv';
import { DEFAULT_FEATURES, PERSON_FEATURES, compileFeatures, evaluateFeatures } from '../lib/data/features';
import { defaultMmashDir } from '../lib/data/mmash';
import { mmashToDataFrame } from '../lib/data/mmashFrame';
import { MMASH_VARIABLES, loadMmash } from '../lib/data/mmashLoad';

const HEADER = ',Axis1,Axis2,Axis3,Steps,HR,Inclinometer Off,Inclinometer Standing,Inclinometer Sitting,Inclinometer Lying,Vector Magnitude,day,time';

interface Second {
  axis1?: number;
  steps?: number;
  hr: number | string;
  posture?: 'off' | 'standing' | 'sitting' | 'lying';
  vm?: number;
  day: number;
  time: string;
}

/** Formats one Actigraph.csv row; axes 2 and 3 are 0. */
function actigraphLine(index: number, s: Second): string {
  const posture = ['off', 'standing', 'sitting', 'lying'].map((name) => (name === (s.posture ?? 'sitting') ? 1 : 0));
  return [index, s.axis1 ?? 0, 0, 0, s.steps ?? 0, s.hr, ...posture, s.vm ?? 0, s.day, s.time].join(',');
}

const scratch = mkdtempSync(join(tmpdir(), 'otmoe-mmash-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let fixtureCount = 0;

/** Writes a data folder with one participant and returns the folder path. Files are gzip-compressed unless raw bytes are given. */
function writeFixture(actigraph: string | Buffer, userInfo = ',Gender,Weight,Height,Age\n0,M,80,200,30\n', id = 1): string {
  const dir = join(scratch, `data${fixtureCount++}`);
  const folder = join(dir, `user_${id}`);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'Actigraph.csv.gz'), typeof actigraph === 'string' ? gzipSync(actigraph) : actigraph);
  writeFileSync(join(folder, 'user_info.csv.gz'), gzipSync(userInfo));
  return dir;
}

/** Data lines of a gzip CSV file, split into fields, counted without the loader. */
function dataLines(file: string): string[][] {
  const lines = gunzipSync(readFileSync(file)).toString('utf8').split('\n');
  return lines.slice(1).filter((line) => line.trim() !== '').map((line) => line.split(','));
}

const realDir = defaultMmashDir();
const actigraphFile = (id: number) => join(realDir, `user_${id}`, 'Actigraph.csv.gz');

describe('MMASH files', () => {
  test('minute table matches files', () => {
    const table = loadMmash({ resolution: 'minute' });
    const { n, d, x, y } = table.data;

    assert.equal(table.groupNames.length, 22);
    assert.deepEqual(table.data.features, DEFAULT_FEATURES.map((feature) => feature.name));
    assert.equal(d, 7);
    assert.equal(table.dropped.length, 0);

    let offset = 0;
    for (let g = 0; g < 22; g++) {
      const lines = dataLines(actigraphFile(g + 1));
      const minutes = new Set(lines.map((fields) => `${fields[11]} ${fields[12].slice(0, 5)}`));

      assert.equal(table.groupNames[g], `user_${g + 1}`);
      assert.equal(table.secondsRead[g], lines.length, `seconds read of user_${g + 1}`);
      assert.equal(table.rowsPerParticipant[g], minutes.size, `minutes of user_${g + 1}`);

      let seconds = 0;
      for (let i = offset; i < offset + minutes.size; i++) {
        assert.equal(table.group[i], g);
        seconds += table.secondsPerRow[i];
      }
      assert.equal(seconds, lines.length, `seconds averaged for user_${g + 1}`);
      offset += minutes.size;
    }
    assert.equal(offset, n);

    assert.equal(x.length, n * d);
    assert.ok(x.every(Number.isFinite), 'x has a non-finite value');
    assert.ok(y.every((value) => Number.isFinite(value) && value > 0), 'y has a non-finite or non-positive value');
  });

  test('second table matches files', () => {
    const ids = [8, 21, 3];
    const table = loadMmash({ resolution: 'second', participants: ['user_8', 21, 3], features: [{ name: 'day', expression: 'day' }] });

    assert.deepEqual(table.groupNames, ['user_8', 'user_21', 'user_3']);
    assert.deepEqual(table.participantIds, ids);

    let offset = 0;
    for (let g = 0; g < ids.length; g++) {
      const lines = dataLines(actigraphFile(ids[g]));
      assert.equal(table.rowsPerParticipant[g], lines.length, `rows of user_${ids[g]}`);

      let mismatches = 0;
      for (let r = 0; r < lines.length; r++) {
        const i = offset + r;
        if (table.group[i] !== g || table.data.y[i] !== Number(lines[r][5])) mismatches++;
      }
      assert.equal(mismatches, 0, `rows of user_${ids[g]} whose group or heart rate differs from the file`);

      const days = new Set(table.data.x.subarray(offset, offset + lines.length));
      assert.deepEqual([...days].sort(), [1, 2], `day ordinals of user_${ids[g]}`);
      offset += lines.length;
    }
    assert.equal(table.data.n, offset);
  });
});

describe('MMASH rows and features', () => {
  const features = [
    { name: 'axis1', expression: 'axis1' },
    { name: 'standing', expression: 'standing' },
    { name: 'day', expression: 'day' },
    { name: 'hour', expression: 'hour' },
  ];
  const seconds: Second[] = [
    { axis1: 1, hr: 60, posture: 'standing', day: 1, time: '10:00:05' },
    { axis1: 2, hr: 62, day: 1, time: '10:00:20' },
    { axis1: 6, hr: 70, day: 1, time: '10:00:59' },
    { axis1: 5, hr: 80, day: 1, time: '10:01:00' },
    { axis1: 0, hr: 50, day: -29, time: '00:00:30' },
    { axis1: 4, hr: 52, posture: 'lying', day: -29, time: '00:00:31' },
  ];
  const text = [HEADER, ...seconds.map((s, i) => actigraphLine(i, s))].join('\n') + '\n';

  test('minute means on fixture', () => {
    const table = loadMmash({ dir: writeFixture(text), participants: [1], resolution: 'minute', features });

    assert.equal(table.data.n, 3);
    assert.deepEqual(Array.from(table.data.y), [64, 80, 51]);
    assert.deepEqual(Array.from(table.secondsPerRow), [3, 1, 2]);
    assert.deepEqual(Array.from(table.data.x.filter((_, k) => k % 4 === 0)), [3, 5, 2]);
    assert.deepEqual(Array.from(table.data.x.filter((_, k) => k % 4 === 1)), [1 / 3, 0, 0]);
    assert.deepEqual(Array.from(table.data.x.filter((_, k) => k % 4 === 2)), [1, 1, 2]);

    const hours = Array.from(table.data.x.filter((_, k) => k % 4 === 3));
    const expected = [(36005 + 36020 + 36059) / 3 / 3600, 36060 / 3600, 30.5 / 3600];
    hours.forEach((hour, r) => assert.ok(Math.abs(hour - expected[r]) < 1e-12, `hour of row ${r}: ${hour} vs ${expected[r]}`));
  });

  test('second rows on fixture', () => {
    const table = loadMmash({ dir: writeFixture(text), participants: [1], resolution: 'second', features });

    assert.equal(table.data.n, 6);
    assert.deepEqual(Array.from(table.data.y), [60, 62, 70, 80, 50, 52]);
    assert.deepEqual(Array.from(table.data.x.filter((_, k) => k % 4 === 2)), [1, 1, 1, 1, 2, 2]);
    assert.equal(table.data.x[3], 36005 / 3600);
  });

  test('default features on fixture', () => {
    const table = loadMmash({ dir: writeFixture(text), participants: [1] });
    const row = Array.from(table.data.x.subarray(0, 7));
    const angle = (2 * Math.PI * (36005 / 3600)) / 24;

    assert.deepEqual(row.slice(0, 5), [0, 0, 1, 0, 0]);
    assert.ok(Math.abs(row[5] - Math.sin(angle)) < 1e-12);
    assert.ok(Math.abs(row[6] - Math.cos(angle)) < 1e-12);
  });

  test('unusable rows dropped and counted', () => {
    const rows: Second[] = [
      { hr: 60, steps: 1, day: 1, time: '08:00:00' },
      { hr: '', steps: 1, day: 1, time: '08:00:01' },
      { hr: 0, steps: 1, day: 1, time: '08:00:02' },
      { hr: -5, steps: 1, day: 1, time: '08:00:03' },
      { hr: 250, steps: 1, day: 1, time: '08:00:04' },
      { hr: 61, steps: 0, day: 1, time: '08:00:05' },
      { hr: 62, steps: 3, day: 1, time: '08:00:06' },
    ];
    const fixture = [HEADER, ...rows.map((s, i) => actigraphLine(i, s))].join('\n');
    const table = loadMmash({
      dir: writeFixture(fixture),
      participants: [1],
      maxHeartRate: 220,
      features: [{ name: 'log_steps', expression: 'log(steps)' }],
    });

    assert.deepEqual(Array.from(table.data.y), [60, 62]);
    assert.deepEqual(Array.from(table.data.x), [0, Math.log(3)]);
    assert.deepEqual(table.rowsPerParticipant, [2]);
    assert.deepEqual(table.secondsRead, [7]);
    assert.deepEqual(table.dropped, [
      { participant: 'user_1', reason: 'heart rate missing', count: 1, unit: 'second' },
      { participant: 'user_1', reason: 'heart rate <= 0', count: 2, unit: 'second' },
      { participant: 'user_1', reason: 'heart rate > maxHeartRate (220)', count: 1, unit: 'second' },
      { participant: 'user_1', reason: 'feature log_steps = log(steps) not finite', count: 1, unit: 'second' },
    ]);
  });

  test('person covariates from user_info', () => {
    const dir = writeFixture(text, ',Gender,Weight,Height,Age\n0,M,80,200,0\n');
    const withBmi = loadMmash({ dir, participants: [1], features: [PERSON_FEATURES[1]] });
    assert.deepEqual(Array.from(withBmi.data.x), [20, 20, 20, 20, 20, 20]);

    const withAge = loadMmash({ dir, participants: [1], features: [...PERSON_FEATURES] });
    assert.equal(withAge.data.n, 0);
    assert.deepEqual(withAge.dropped, [{ participant: 'user_1', reason: 'feature age = age not finite', count: 6, unit: 'second' }]);
  });

  test('DataFrame of the table', () => {
    const table = loadMmash({ dir: writeFixture(text), participants: [1], resolution: 'minute', features });
    const frame = mmashToDataFrame(table);

    assert.deepEqual(frame.shape, [3, 7]);
    assert.deepEqual(frame.columns, ['participant', 'hr', 'axis1', 'standing', 'day', 'hour', 'seconds']);
    assert.deepEqual(frame.column('hr').values, [64, 80, 51]);
    assert.deepEqual(frame.column('participant').values, ['user_1', 'user_1', 'user_1']);
  });
});

describe('MMASH errors', () => {
  const lines = Array.from({ length: 3000 }, (_, i) =>
    actigraphLine(i, { axis1: (i * 7919) % 251, hr: 50 + ((i * 104729) % 97), vm: (i * 31) % 173, day: 1, time: `10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}` }),
  );
  const text = [HEADER, ...lines].join('\n') + '\n';
  const file = (dir: string) => join(dir, 'user_1', 'Actigraph.csv.gz');

  test('non-gzip file names file', () => {
    const dir = writeFixture(Buffer.from('this is not gzip data\n'));
    assert.throws(() => loadMmash({ dir, participants: [1] }), (error: Error) => {
      assert.ok(error instanceof DataFileError);
      assert.ok(error.message.startsWith(`${file(dir)}:1: invalid gzip data`), error.message);
      return true;
    });
  });

  test('corrupt gzip names file and line', () => {
    const compressed = gzipSync(text);
    let located = 0;

    for (let percent = 5; percent < 100; percent += 5) {
      const damaged = Buffer.from(compressed);
      damaged[Math.floor((damaged.length * percent) / 100)] ^= 0xa5;
      const dir = writeFixture(damaged);

      assert.throws(() => loadMmash({ dir, participants: [1] }), (error: Error) => {
        assert.ok(error instanceof DataFileError, `byte at ${percent}%: ${error.message}`);
        assert.equal(error.file, file(dir));
        if (error.line === undefined) {
          assert.match(error.message, /damaged line cannot be located/);
        } else {
          located++;
          assert.ok(error.line > 1, `byte at ${percent}%: line ${error.line}`);
          assert.ok(error.line <= 3001, `byte at ${percent}%: line ${error.line}`);
          assert.match(error.message, /gzip checksum fails .* first malformed line|invalid gzip data .* after line \d+\./);
        }
        return true;
      });
    }

    assert.ok(located >= 15, `only ${located} of 19 damaged files got a line number`);
  });

  test('truncated gzip names file and line', () => {
    const compressed = gzipSync(text);
    const dir = writeFixture(compressed.subarray(0, Math.floor(compressed.length / 2)));

    assert.throws(() => loadMmash({ dir, participants: [1] }), (error: Error) => {
      assert.ok(error instanceof DataFileError);
      assert.equal(error.file, file(dir));
      assert.ok(error.line !== undefined, 'no line number');
      assert.ok(error.line > 1, `line ${error.line}`);
      assert.ok(error.line < 3001, `line ${error.line}`);
      assert.match(error.message, new RegExp(`truncated after line ${error.line! - 1}\\.`));
      return true;
    });
  });

  test('ragged row names file and line', () => {
    const ragged = [HEADER, lines[0], lines[1], lines[2].replace(/,[^,]*$/, ''), lines[3]].join('\n');
    const dir = writeFixture(ragged);

    assert.throws(
      () => loadMmash({ dir, participants: [1] }),
      (error: Error) => error.message.startsWith(`${file(dir)}:4: expected 13 comma-separated fields as in the header but found 12`),
    );
  });

  test('truncated last row names line', () => {
    const cut = text.slice(0, text.length - 12);
    const dir = writeFixture(cut);

    assert.throws(() => loadMmash({ dir, participants: [1] }), (error: Error) => {
      assert.ok(error instanceof DataFileError);
      assert.equal(error.line, 3001);
      assert.match(error.message, /found 11\. The row is truncated/);
      return true;
    });
  });

  test('blank lines keep line numbers', () => {
    const spaced = [HEADER, lines[0], '', lines[1], lines[2].replace('10:00:02', '10:00:xx')].join('\r\n');
    const dir = writeFixture(spaced);

    assert.throws(
      () => loadMmash({ dir, participants: [1] }),
      (error: Error) => error.message.startsWith(`${file(dir)}:5: column "time" has the value "10:00:xx"`),
    );
  });

  test('non-numeric value names column', () => {
    const bad = [HEADER, lines[0], lines[1].replace(/^(\d+,\d+,\d+,\d+,\d+),\d+/, '$1,abc')].join('\n');
    const dir = writeFixture(bad);

    assert.throws(
      () => loadMmash({ dir, participants: [1] }),
      (error: Error) => error.message.startsWith(`${file(dir)}:3: column "HR" has the non-numeric value "abc"`),
    );
  });

  test('missing column names column', () => {
    const dir = writeFixture(HEADER.replace('Steps', 'Step') + '\n');
    assert.throws(() => loadMmash({ dir, participants: [1] }), /:1: missing column "Steps" in the header/);
  });

  test('missing folder names path', () => {
    const dir = writeFixture(text);
    assert.throws(() => loadMmash({ dir, participants: [1, 5] }), (error: Error) => error.message.includes(join(dir, 'user_5')));
  });

  test('unknown variable lists variables', () => {
    const features = [...DEFAULT_FEATURES, { name: 'vmx', expression: 'log(1 + vmx)' }];
    assert.throws(
      () => loadMmash({ features }),
      (error: Error) =>
        error.message === `Feature "vmx": the expression "log(1 + vmx)" refers to the unknown variable "vmx". Available variables: ${MMASH_VARIABLES.join(', ')}.`,
    );
    assert.ok(MMASH_VARIABLES.includes('vm'));
    assert.ok(MMASH_VARIABLES.includes('bmi'));
    assert.ok(!MMASH_VARIABLES.includes('hr'));
  });

  test('invalid expressions rejected', () => {
    const cases: [string, RegExp][] = [
      ['hr / 2', /uses "hr", which cannot be a covariate: heart rate is the response/],
      ['logg(vm)', /calls the unknown function "logg"/],
      ['vm = 3', /contains an assignment/],
      ['log(1 + ', /does not parse/],
      ['i * vm', /unknown variable "i"/],
    ];
    for (const [expression, message] of cases) {
      assert.throws(() => loadMmash({ features: [{ name: 'f', expression }] }), message, expression);
    }
    assert.throws(() => loadMmash({ features: [{ name: 'a', expression: 'vm' }, { name: 'a', expression: 'steps' }] }), /used twice/);
    assert.throws(() => loadMmash({ features: [] }), /feature list is empty/);
  });

  test('invalid options rejected', () => {
    assert.throws(() => loadMmash({ participants: [23] }), /Invalid participant 23/);
    assert.throws(() => loadMmash({ participants: ['user_0'] }), /Invalid participant "user_0"/);
    assert.throws(() => loadMmash({ participants: [2, 'user_2'] }), /listed twice/);
    assert.throws(() => loadMmash({ participants: [] }), /participants list is empty/);
    assert.throws(() => loadMmash({ resolution: 'hour' as 'minute' }), /Invalid resolution "hour"/);
    assert.throws(() => loadMmash({ maxHeartRate: 0 }), /Invalid maxHeartRate 0/);
  });
});

describe('feature expressions', () => {
  test('boolean result counts as 0 or 1', () => {
    const compiled = compileFeatures([{ name: 'afternoon', expression: 'hour >= 12' }], ['hour']);
    const x = evaluateFeatures(compiled, 3, { hour: Float64Array.from([9, 12, 18]) });
    assert.deepEqual(Array.from(x), [0, 1, 1]);
  });

  test('constants override columns', () => {
    const compiled = compileFeatures([{ name: 'scaled', expression: 'age * vm + pi' }], ['age', 'vm']);
    const x = evaluateFeatures(compiled, 2, { vm: Float64Array.from([1, 2]) }, { age: 10 });
    assert.deepEqual(Array.from(x), [10 + Math.PI, 20 + Math.PI]);
  });

  test('non-number result rejected', () => {
    const compiled = compileFeatures([{ name: 'pair', expression: '[vm, vm]' }], ['vm']);
    assert.throws(
      () => evaluateFeatures(compiled, 1, { vm: Float64Array.from([1]) }, {}, (row) => `test row ${row}`),
      /Feature "pair": the expression "\[vm, vm\]" gives a value of type DenseMatrix at test row 0, expected a real number/,
    );
  });

  test('negative log gives NaN', () => {
    const compiled = compileFeatures([{ name: 'log_vm', expression: 'log(vm)' }], ['vm']);
    const x = evaluateFeatures(compiled, 1, { vm: Float64Array.from([-1]) });
    assert.ok(Number.isNaN(x[0]));
  });
});
