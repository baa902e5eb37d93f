// Public surface of the decision engine. Everything here is pure: plain data in, plain data out, no IO.
export type * from './types.ts';
export { compileFlow, checkFlow } from './compile.ts';
export { parseFlowSource } from './source.ts';
export { validateApplication } from './input-validate.ts';
