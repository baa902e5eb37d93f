// One HiGHS WebAssembly runtime per process: loading it compiles the Wasm module (tens of milliseconds), and
// every solve after that is synchronous on the same instance.
import highsModule, { type Highs } from 'highs';

// The package's types describe a CommonJS module whose default export is the loader; at run time the ESM
// build's default export is the loader itself. Accept both shapes.
type Loader = () => Promise<Highs>;
const loadHighs = ((highsModule as unknown as { default?: Loader }).default ?? highsModule) as unknown as Loader;

let runtime: Promise<Highs> | undefined;

export function highsRuntime(): Promise<Highs> {
  if (!runtime) runtime = loadHighs();
  return runtime;
}

export type { Highs };
