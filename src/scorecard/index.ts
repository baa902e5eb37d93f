// Public surface of scorecard modelling. Service-level entry points for routes and the CLI:
// train(options) -> TrainResult; scoreRow(model, row) -> RowScore; scoreTable(model, table);
// stability(model, actualScores, expectedScores?) -> PSI/CSI report; scorecardToNode(model, {id}) for flows;
// scorecardToPmml / pmmlToNode / scorecardToSql for other systems; renderReport(result) for report.html;
// trainInWorker(job): parse, train and render the report on a worker thread (the service's path).
export type * from './types.ts';
export { DEFAULT_BINNING, DEFAULT_SELECTION, DEFAULT_SCALING } from './types.ts';
export { train, type TrainOptions, type TrainResult } from './train.ts';
export { runTrainJob, trainInWorker, type TrainJob, type TrainJobResult } from './train-job.ts';
export { scoreRow, scoreTable, scoreWith } from './scoring.ts';
export { stability, psi, stabilityBand, type StabilityReport } from './psi.ts';
export { scorecardToNode, type NodeOptions } from './node.ts';
export { scorecardToPmml, pmmlToNode } from './pmml.ts';
export { scorecardToSql } from './sql.ts';
export { renderReport } from './report.ts';
export { parseModel } from './model-file.ts';
export { parseCsv, parseJsonLines, parseSplit } from './table.ts';
export { auc, ks, gainsTable, evaluateSet } from './metrics.ts';
export { expandScorecardSources } from './flow-source.ts';
