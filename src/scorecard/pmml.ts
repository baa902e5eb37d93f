// PMML 4.4 Scorecard export, and import of a PMML scorecard into a flow's scorecard node. Attributes are written in
// the scorer's order (missing, special values, bins, other) because PMML takes the first attribute that matches.
// The importer reads the subset scorecards use: SimplePredicate, SimpleSetPredicate, CompoundPredicate(and), True.

import { MingjianError } from '../kernel/errors.ts';
import type { ScorecardAttribute, ScorecardBin, ScorecardNode } from '../engine/types.ts';
import type { ScorecardModel } from './types.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A value in a PMML Array: quoted when it holds a space or quote. */
function arrayItem(v: string): string {
  return /[\s"\\]/.test(v) || v === '' ? `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : v;
}

export function scorecardToPmml(model: ScorecardModel, options: { createdAt?: string } = {}): string {
  const L: string[] = [];
  L.push('<?xml version="1.0" encoding="UTF-8"?>');
  L.push('<PMML version="4.4" xmlns="http://www.dmg.org/PMML-4_4">');
  L.push(`  <Header description="${esc(`Scorecard ${model.name}`)}"><Application name="Mingjian"/>${options.createdAt ? `<Timestamp>${esc(options.createdAt)}</Timestamp>` : ''}</Header>`);
  L.push(`  <DataDictionary numberOfFields="${model.attributes.length + 1}">`);
  for (const a of model.attributes) {
    if (a.type === 'numeric') L.push(`    <DataField name="${esc(a.value)}" optype="continuous" dataType="double"/>`);
    else {
      const values = [...new Set([...a.bins.flatMap((b) => b.values ?? []), ...a.special.flatMap((s) => s.values)].map(String))];
      L.push(`    <DataField name="${esc(a.value)}" optype="categorical" dataType="string">`);
      for (const v of values) L.push(`      <Value value="${esc(v)}"/>`);
      L.push('    </DataField>');
    }
  }
  L.push('    <DataField name="score" optype="continuous" dataType="double"/>');
  L.push('  </DataDictionary>');
  L.push(`  <Scorecard modelName="${esc(model.name)}" functionName="regression" useReasonCodes="true" reasonCodeAlgorithm="pointsBelow" initialScore="${model.basePoints}" baselineMethod="max">`);
  L.push('    <MiningSchema>');
  // asIs: an unseen category must reach the last attribute (True = other), not be treated as missing.
  for (const a of model.attributes) L.push(`      <MiningField name="${esc(a.value)}" usageType="active" invalidValueTreatment="asIs"/>`);
  L.push('      <MiningField name="score" usageType="predicted"/>');
  L.push('    </MiningSchema>');
  L.push('    <Output>');
  L.push('      <OutputField name="Final Score" feature="predictedValue" dataType="double" optype="continuous"/>');
  for (let r = 1; r <= Math.min(4, model.attributes.length); r++) L.push(`      <OutputField name="Reason Code ${r}" rank="${r}" feature="reasonCode" dataType="string" optype="categorical"/>`);
  L.push('    </Output>');
  L.push('    <Characteristics>');
  for (const a of model.attributes) {
    const f = esc(a.value);
    const max = Math.max(a.missing.points, a.other.points, ...a.bins.map((b) => b.points), ...a.special.map((b) => b.points));
    L.push(`      <Characteristic name="${esc(a.name)}" reasonCode="${esc(a.reasonCode)}" baselineScore="${max}">`);
    L.push(`        <Attribute partialScore="${a.missing.points}"><SimplePredicate field="${f}" operator="isMissing"/></Attribute>`);
    for (const s of a.special) {
      for (const v of s.values) L.push(`        <Attribute partialScore="${s.points}"><SimplePredicate field="${f}" operator="equal" value="${esc(String(v))}"/></Attribute>`);
    }
    for (const b of a.bins) {
      if (b.values) {
        const items = b.values.map((v) => arrayItem(String(v)));
        L.push(`        <Attribute partialScore="${b.points}"><SimpleSetPredicate field="${f}" booleanOperator="isIn"><Array n="${items.length}" type="string">${esc(items.join(' '))}</Array></SimpleSetPredicate></Attribute>`);
        continue;
      }
      const preds: string[] = [];
      if (b.min !== undefined) preds.push(`<SimplePredicate field="${f}" operator="greaterOrEqual" value="${b.min}"/>`);
      if (b.max !== undefined) preds.push(`<SimplePredicate field="${f}" operator="lessThan" value="${b.max}"/>`);
      const pred = preds.length === 0 ? '<True/>' : preds.length === 1 ? preds[0]! : `<CompoundPredicate booleanOperator="and">${preds.join('')}</CompoundPredicate>`;
      L.push(`        <Attribute partialScore="${b.points}">${pred}</Attribute>`);
    }
    L.push(`        <Attribute partialScore="${a.other.points}"><True/></Attribute>`);
    L.push('      </Characteristic>');
  }
  L.push('    </Characteristics>');
  L.push('  </Scorecard>');
  L.push('</PMML>');
  return L.join('\n') + '\n';
}

// ---------------------------------------------------------------- a small XML reader (elements, attributes, text)

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[e]!;
  });
}

export function parseXml(xml: string): XmlElement {
  const root: XmlElement = { name: '#root', attrs: {}, children: [], text: '' };
  const stack = [root];
  let i = 0;
  const fail = (msg: string): never => {
    const line = xml.slice(0, i).split('\n').length;
    throw new MingjianError('VALIDATION', `PMML: ${msg}`, [{ path: `line ${line}`, line, message: msg }]);
  };
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) {
      stack[stack.length - 1]!.text += decodeEntities(xml.slice(i));
      break;
    }
    if (lt > i) stack[stack.length - 1]!.text += decodeEntities(xml.slice(i, lt));
    i = lt;
    if (xml.startsWith('<?', i)) {
      const end = xml.indexOf('?>', i);
      if (end < 0) fail('unterminated processing instruction');
      i = end + 2;
    } else if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i);
      if (end < 0) fail('unterminated comment');
      i = end + 3;
    } else if (xml.startsWith('<![CDATA[', i)) {
      const end = xml.indexOf(']]>', i);
      if (end < 0) fail('unterminated CDATA');
      stack[stack.length - 1]!.text += xml.slice(i + 9, end);
      i = end + 3;
    } else if (xml.startsWith('<!', i)) {
      const end = xml.indexOf('>', i);
      if (end < 0) fail('unterminated declaration');
      i = end + 1;
    } else if (xml.startsWith('</', i)) {
      const end = xml.indexOf('>', i);
      if (end < 0) fail('unterminated closing tag');
      const name = xml.slice(i + 2, end).trim();
      const open = stack.pop()!;
      if (open.name !== name) fail(`closing tag </${name}> does not match <${open.name}>`);
      i = end + 1;
    } else {
      const m = /^<([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(xml.slice(i, i + 100_000));
      if (!m) fail('malformed tag');
      const attrs: Record<string, string> = {};
      for (const a of m![2]!.matchAll(/([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) attrs[a[1]!] = decodeEntities(a[2] ?? a[3] ?? '');
      const el: XmlElement = { name: m![1]!.replace(/^.*:/, ''), attrs, children: [], text: '' };
      stack[stack.length - 1]!.children.push(el);
      if (!m![3]) stack.push(el);
      i += m![0].length;
    }
  }
  if (stack.length !== 1) fail(`<${stack[stack.length - 1]!.name}> is never closed`);
  return root;
}

const child = (el: XmlElement, name: string) => el.children.find((c) => c.name === name);

/** Items of a PMML Array: whitespace-separated, double-quoted when they hold spaces. */
function arrayItems(text: string): string[] {
  const items: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const m of text.matchAll(re)) items.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return items;
}

/** The smallest double above x: turns `x <= c` into the engine's half-open `x < nextUp(c)` exactly. */
function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const bits = buf.getBigUint64(0);
  buf.setBigUint64(0, x > 0 ? bits + 1n : bits - 1n);
  return buf.getFloat64(0);
}

/** Imports a PMML Scorecard as a flow scorecard node. Fails naming the characteristic and attribute it cannot map. */
export function pmmlToNode(xml: string, options: { id: string; output?: string; next?: string }): ScorecardNode {
  const root = parseXml(xml);
  const pmml = child(root, 'PMML');
  if (!pmml) throw new MingjianError('VALIDATION', 'PMML: no <PMML> root element');
  const sc = child(pmml, 'Scorecard');
  if (!sc) throw new MingjianError('VALIDATION', 'PMML: no <Scorecard> model (only Scorecard models can be imported)');
  const dict = child(pmml, 'DataDictionary');
  const numericFields = new Set((dict?.children ?? []).filter((f) => f.name === 'DataField' && f.attrs.optype === 'continuous').map((f) => f.attrs.name!));
  const chars = child(sc, 'Characteristics');
  if (!chars) throw new MingjianError('VALIDATION', 'PMML: the Scorecard has no <Characteristics>');
  const useReasons = sc.attrs.useReasonCodes !== 'false';
  const attributes: ScorecardAttribute[] = [];
  const problems: { path: string; message: string }[] = [];
  chars.children.filter((c) => c.name === 'Characteristic').forEach((ch, ci) => {
    const where = `Characteristic[${ci}] '${ch.attrs.name ?? ''}'`;
    const attrEls = ch.children.filter((c) => c.name === 'Attribute');
    let field: string | undefined;
    const bins: ScorecardBin[] = [];
    const special: NonNullable<ScorecardAttribute['special']> = [];
    let missing: { points: number } | undefined;
    let other: { points: number } | undefined;
    attrEls.forEach((a, ai) => {
      const points = Number(a.attrs.partialScore);
      if (!Number.isFinite(points)) {
        problems.push({ path: `${where}.Attribute[${ai}]`, message: 'partialScore is missing or not a number' });
        return;
      }
      const pred = a.children.find((c) => ['SimplePredicate', 'SimpleSetPredicate', 'CompoundPredicate', 'True'].includes(c.name));
      const fail = (message: string) => problems.push({ path: `${where}.Attribute[${ai}]`, message });
      if (!pred) return fail('no predicate');
      const useField = (f: string | undefined) => {
        if (!f) return false;
        if (field && f !== field) {
          fail(`uses field '${f}' but the characteristic uses '${field}'`);
          return false;
        }
        field = f;
        return true;
      };
      if (pred.name === 'True') {
        other = { points };
        return;
      }
      if (pred.name === 'SimplePredicate') {
        if (!useField(pred.attrs.field)) return;
        const op = pred.attrs.operator;
        const numeric = numericFields.has(field!);
        const value = pred.attrs.value ?? '';
        if (op === 'isMissing') missing = { points };
        else if (op === 'equal') {
          // An equality before the ranges is a special value in the engine's order; in a text field, a one-value set.
          if (numeric) special.push({ values: [Number(value)], points, label: `special ${value}` });
          else bins.push({ values: [value], points, label: value });
        } else if (numeric && ['lessThan', 'lessOrEqual', 'greaterThan', 'greaterOrEqual'].includes(op!)) {
          const v = Number(value);
          if (!Number.isFinite(v)) return fail(`value '${value}' is not a number`);
          if (op === 'lessThan') bins.push({ max: v, points });
          else if (op === 'lessOrEqual') bins.push({ max: nextUp(v), points });
          else if (op === 'greaterOrEqual') bins.push({ min: v, points });
          else bins.push({ min: nextUp(v), points });
        } else fail(`operator '${op}' is not supported here`);
        return;
      }
      if (pred.name === 'SimpleSetPredicate') {
        if (!useField(pred.attrs.field)) return;
        if (pred.attrs.booleanOperator !== 'isIn') return fail('only isIn sets are supported');
        const arr = child(pred, 'Array');
        const items = arrayItems(arr?.text ?? '');
        const numeric = numericFields.has(field!) || arr?.attrs.type === 'int' || arr?.attrs.type === 'real';
        bins.push({ values: numeric ? items.map(Number) : items, points });
        return;
      }
      // CompoundPredicate and: a closed range.
      if (pred.attrs.booleanOperator !== 'and') return fail('only CompoundPredicate booleanOperator="and" is supported');
      const bin: ScorecardBin = { points };
      for (const p of pred.children.filter((c) => c.name === 'SimplePredicate')) {
        if (!useField(p.attrs.field)) return;
        const v = Number(p.attrs.value);
        if (!Number.isFinite(v)) return fail(`value '${p.attrs.value}' is not a number`);
        if (p.attrs.operator === 'greaterOrEqual') bin.min = v;
        else if (p.attrs.operator === 'greaterThan') bin.min = nextUp(v);
        else if (p.attrs.operator === 'lessThan') bin.max = v;
        else if (p.attrs.operator === 'lessOrEqual') bin.max = nextUp(v);
        else return fail(`operator '${p.attrs.operator}' is not supported in a range`);
      }
      bins.push(bin);
    });
    if (!field) {
      problems.push({ path: where, message: 'no attribute names a field' });
      return;
    }
    for (const b of bins) {
      if (b.label === undefined) {
        b.label = b.values ? b.values.join(', ') : b.min === undefined ? (b.max === undefined ? 'all values' : `< ${b.max}`) : b.max === undefined ? `>= ${b.min}` : `[${b.min}, ${b.max})`;
      }
    }
    const attr: ScorecardAttribute = { name: ch.attrs.name ?? field, value: field, bins };
    if (special.length) attr.special = special;
    if (missing) attr.missing = missing;
    if (other) attr.other = other;
    if (useReasons && ch.attrs.reasonCode) attr.reasonCode = ch.attrs.reasonCode;
    attributes.push(attr);
  });
  if (problems.length) throw new MingjianError('VALIDATION', 'PMML: the scorecard cannot be mapped to a flow node', problems);
  if (!attributes.length) throw new MingjianError('VALIDATION', 'PMML: the scorecard has no characteristics');
  const node: ScorecardNode = { id: options.id, type: 'scorecard', output: options.output ?? 'score', baseScore: Number(sc.attrs.initialScore ?? 0), attributes };
  if (useReasons) node.reasons = { output: 'scoreReasons', count: 4 };
  if (options.next) node.next = options.next;
  return node;
}
