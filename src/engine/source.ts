// Flow documents are YAML or JSON (JSON is read by the same YAML 1.2 parser). We keep the parsed document so that
// any path inside the flow (e.g. nodes.2.rules.0.when) maps back to a line and column for error messages.

import { LineCounter, parseDocument, isScalar, isMap, isSeq, Scalar, type Node } from 'yaml';
import { MingjianError, type ErrorDetail } from '../kernel/errors.ts';
import type { FlowDefinition, SourceMap } from './types.ts';

export interface ParsedFlowSource {
  definition: FlowDefinition;
  sourceMap: SourceMap;
}

/** Parses YAML or JSON flow text. Syntax errors throw MingjianError('FLOW_INVALID') with line and column. */
export function parseFlowSource(text: string, file?: string): ParsedFlowSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, keepSourceTokens: true });
  if (doc.errors.length) {
    const details: ErrorDetail[] = doc.errors.map((e) => {
      const p = lineCounter.linePos(e.pos[0]);
      return { file, line: p.line, column: p.col, message: e.message.split('\n')[0]!, severity: 'error' };
    });
    throw new MingjianError('FLOW_INVALID', `${file ?? 'flow'}: the document is not valid YAML/JSON`, details);
  }
  const definition = doc.toJS({ maxAliasCount: 100 }) as FlowDefinition;
  const sourceMap: SourceMap = {
    file,
    lookup(path) {
      // Walk to the deepest node that exists on the path: an error on a missing field points at its parent.
      let node: Node | null = doc.contents as Node | null;
      let offsetInScalar = 0;
      // A trailing '@N' segment means "N characters into this scalar" (the column of an error inside an expression).
      for (const key of path) {
        if (typeof key === 'string' && key.startsWith('@')) {
          offsetInScalar = Number(key.slice(1));
          break;
        }
        if (isMap(node)) {
          const pair = node.items.find((it) => (isScalar(it.key) ? String(it.key.value) : String(it.key)) === String(key));
          if (!pair) break;
          node = (pair.value as Node | null) ?? (pair.key as Node);
        } else if (isSeq(node)) {
          const item = node.items[Number(key)];
          if (item === undefined) break;
          node = item as Node;
        } else {
          break;
        }
      }
      if (!node || !node.range) return undefined;
      let start = node.range[0];
      if (offsetInScalar && isScalar(node)) start += scalarContentOffset(node, text) + offsetInScalar;
      const p = lineCounter.linePos(start);
      return { line: p.line, column: p.col };
    },
  };
  return { definition, sourceMap };
}

/** Offset of a scalar's first content character from its start (skips the opening quote). */
function scalarContentOffset(node: Scalar, text: string): number {
  const start = node.range![0];
  if (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) return 1;
  if (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED) {
    // content starts on the next line after the indicator; indentation is not tracked, point at the line
    const nl = text.indexOf('\n', start);
    return nl < 0 ? 0 : nl - start + 1;
  }
  return 0;
}
