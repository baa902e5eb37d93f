// Public surface of funding routing. Pure: plain data in, plain data out; HiGHS runs in-process (WebAssembly).
// routeBatchInWorker runs routeBatch on a worker thread (the service's path).
export * from './model.ts';
export { checkAssignment, summarizeAssignment, type Violation, type AssignmentSummary } from './check.ts';
export { routeGreedy } from './greedy.ts';
export { routeBatch, assignmentRows, type RouteOptions, type RouteResult, type RoutingMethod, type FunderOutcome } from './route.ts';
export { routeBatchInWorker, type RouteJob } from './route-job.ts';
export { routeOnline, emptyUsage, usageFromBatch, type QuotaUsage, type OnlineContext, type OnlineDecision } from './online.ts';
export { explainShortFloors, type InfeasibleFloor, type FloorObstacle } from './feasibility.ts';
export { parseLoansCsv, parseFundersJson, LOAN_COLUMNS } from './io-format.ts';
export { demoFunders, demoLoans, seededRandom } from './demo.ts';
