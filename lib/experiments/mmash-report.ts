/**
 * Text outputs of the MMASH experiment: the Markdown report around the results table (table.md) and the
 * machine-readable summary (results.json).
 */
import type { MmashTable } from '../data/mmashLoad';
import type { StudyResult } from '../distributed/study';
import type { MmashSettings } from './mmash-options';
import type { MmashScenario } from './mmash-scenarios';
import type { MmashResultRow } from './mmash-table';

/** The part of a scenario result the reports read. */
interface ReportedScenario {
  scenario: MmashScenario;
  trainRows: number;
  study: StudyResult;
}

/** Builds table.md: the settings, one line per scenario saying what is held out, the table and what its columns mean. */
export function experimentReport(settings: MmashSettings, table: MmashTable, scenarios: readonly ReportedScenario[], markdown: string, seconds: number): string {
  const covariates = settings.features.map((feature) => `${feature.name} = ${feature.expression}`).join('; ');
  const droppedRows = table.dropped.reduce((total, drop) => total + drop.count, 0);

  const lines = [
    `# MMASH: heart rate on actigraphy covariates, K = ${settings.K} experts`,
    '',
    `Data: ${settings.participants.length} participants at the ${settings.resolution} resolution, ${table.data.n} rows` +
      (droppedRows > 0 ? ` (${droppedRows} rows or seconds dropped, see results.json)` : '') +
      `. Response: heart rate (beats/min). Covariates: ${covariates}.`,
    '',
    `Settings: K = ${settings.K}, ${settings.starts} EM starts per fit (relative tolerance ${settings.tolerance}, at most ` +
      `${settings.maxIterations} iterations), S = ${settings.supportSize} support points, ` +
      `federated EM snapshots after ${settings.federatedRounds.join(', ')} rounds, seed ${settings.seed}, ` +
      `${settings.concurrency} worker threads for the local fits. Whole run: ${seconds.toFixed(1)} s.`,
    '',
    'Scenarios:',
    '',
    ...scenarios.map(({ scenario, trainRows }) => `- **${scenario.id}** (${scenario.title}): ${scenario.description} ${trainRows} training rows, ${scenario.testRows.length} test rows.`),
    '',
    markdown,
    '',
    'Columns: test log-lik. per row is the mean of log f(y | x) over the test rows, in nats. RPE = Σ (y − ŷ)² / Σ y² with ŷ the ' +
      'predicted mean. Learning time is what a deployment waits: the EM fit on the pooled data for global, the slowest ' +
      'local fit plus the aggregation for the one-round methods, and the sum over rounds of the slowest machine plus ' +
      'the server step for federated EM (fedem@T, after T rounds). Speed-up = learning time of global / learning time ' +
      'of the method. Bytes count the messages between machines and server, including the support points.',
    '',
  ];
  return lines.join('\n');
}

/** Builds results.json: settings, data summary, each scenario's design and local fits, the table rows and warnings. */
export function experimentSummaryJson(settings: MmashSettings, table: MmashTable, scenarios: readonly ReportedScenario[], rows: readonly MmashResultRow[], warnings: readonly string[]): string {
  const summary = {
    settings,
    data: {
      rows: table.data.n,
      covariates: table.data.features,
      participants: table.groupNames,
      rowsPerParticipant: table.rowsPerParticipant,
      dropped: table.dropped,
    },
    scenarios: scenarios.map(({ scenario, trainRows, study }) => ({
      id: scenario.id,
      title: scenario.title,
      description: scenario.description,
      machines: scenario.machineRows.length,
      trainRows,
      testRows: scenario.testRows.length,
      heldOutParticipants: scenario.heldOutParticipants,
      supportPoints: study.support?.n ?? null,
      localFits: study.localFits?.fits.map((fit) => ({
        machine: fit.machine + 1,
        n: fit.n,
        seconds: fit.seconds,
        iterations: fit.iterations,
        converged: fit.converged,
      })) ?? [],
      aggregations: study.results
        .filter((result) => result.diagnostics !== null)
        .map((result) => ({
          method: result.method,
          objective: result.diagnostics!.objective,
          iterations: result.diagnostics!.iterations,
          massPerExpert: result.diagnostics!.massPerExpert,
          emptyExperts: result.diagnostics!.emptyExperts,
        })),
    })),
    rows,
    warnings,
  };
  return JSON.stringify(summary, null, 1) + '\n';
}
