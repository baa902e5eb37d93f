import { MingjianError, type ErrorDetail } from '../kernel/errors.ts';
import type { CompiledFlow, CompileOptions, FlowDefinition } from './types.ts';

/** Compiles a flow once into a synchronous, pure evaluate function. Throws MingjianError('FLOW_INVALID') listing every problem. */
export function compileFlow(_definition: FlowDefinition, _options: CompileOptions = {}): CompiledFlow {
  throw new MingjianError('INTERNAL', 'engine under construction');
}

/** Checks a flow and returns every problem (errors and warnings) without throwing. */
export function checkFlow(_definition: unknown, _options: CompileOptions = {}): ErrorDetail[] {
  return [];
}
