// The executor of Go's text/template (text/template/exec.go): walks the parse tree against a
// value, with Go's variable scoping, truth, range order (maps by sorted key), missingkey option
// and its error texts: `template: NAME:LINE:COL: executing "NAME" at <NODE>: MESSAGE`.
import { nodeString, type Arg, type CommandNode, type FieldNode, type IdentifierNode, type Node, type NumberNode, type PipeNode, type RangeNode, type VariableNode } from './ast.js';
import { formatV } from './fmt.js';
import type { TreeSet } from './parse.js';
import { GoFloat, GoNil, isObject, isTrue, MAPS_ONLY, sortedKeys, typeName, type ArgKind, type GoFunc, type GoTypes, type Value } from './values.js';

export class TemplateExecError extends Error {
  partial = '';
}

export type MissingKey = 'default' | 'zero' | 'error';

export interface ExecOptions {
  types?: GoTypes;
  missingKey?: MissingKey;
}

const MISSING = Symbol('missing');
type Final = Value | typeof MISSING;
const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');
// text/template allows 100000; a JavaScript stack runs out first
const MAX_DEPTH = 2000;

interface Variable { name: string; value: Value }

export function execute(
  trees: TreeSet,
  text: string,
  name: string,
  data: Value,
  funcs: Readonly<Record<string, GoFunc>>,
  opts: ExecOptions = {},
): string {
  const root = trees.get(name);
  if (!root) throw new TemplateExecError(`template: no template "${name}" associated with template "${name}"`);
  const types = opts.types ?? MAPS_ONLY;
  const missingKey = opts.missingKey ?? 'default';
  let out = '';
  let vars: Variable[] = [{ name: '$', value: data }];
  let tmplName = name;
  let depth = 0;
  let at: { pos: number; str: string } | null = null;

  const setAt = (n: Arg | CommandNode | Node) => {
    at = { pos: n.pos, str: nodeString(n) };
  };
  const errorf = (msg: string): never => {
    if (!at) throw new TemplateExecError(`template: ${tmplName}: ${msg}`);
    const before = text.slice(0, at.pos);
    const nl = before.lastIndexOf('\n');
    // Go counts bytes of UTF-8
    const col = Buffer.byteLength(before.slice(nl + 1));
    const line = 1 + (before.match(/\n/g)?.length ?? 0);
    throw new TemplateExecError(`template: ${name}:${line}:${col}: executing "${tmplName}" at <${at.str}>: ${msg}`);
  };
  // the static type Go names: a value read out of a map (or slice) of interface{} is "interface {}"
  const typeOf = (v: Value, fromMap: boolean) => (fromMap ? 'interface {}' : typeName(v, types));

  const varValue = (n: string): Value => {
    for (let i = vars.length - 1; i >= 0; i--) if (vars[i]!.name === n) return vars[i]!.value;
    return errorf(`undefined variable: ${n}`);
  };
  const setVar = (n: string, v: Value) => {
    for (let i = vars.length - 1; i >= 0; i--) if (vars[i]!.name === n) return void (vars[i]!.value = v);
    errorf(`undefined variable: ${n}`);
  };

  const walk = (dot: Value, node: Node): void => {
    setAt(node);
    switch (node.type) {
      case 'action': {
        const val = evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) printValue(node, val);
        return;
      }
      case 'break': throw BREAK;
      case 'continue': throw CONTINUE;
      case 'comment': return;
      case 'list': for (const n of node.nodes) walk(dot, n); return;
      case 'text': out += node.text; return;
      case 'if': case 'with': {
        const mark = vars.length;
        const val = evalPipeline(dot, node.pipe);
        if (isTrue(val, types)) walk(node.type === 'with' ? val : dot, node.list);
        else if (node.elseList) walk(dot, node.elseList);
        vars = vars.slice(0, mark);
        return;
      }
      case 'range': return walkRange(dot, node);
      case 'template': {
        const tree = trees.get(node.name);
        if (!tree) return errorf(`template "${node.name}" not defined`);
        if (depth >= MAX_DEPTH) return errorf(`exceeded maximum template depth (${MAX_DEPTH})`);
        const newDot = node.pipe ? evalPipeline(dot, node.pipe) : undefined;
        const saved = { vars, tmplName };
        vars = [{ name: '$', value: newDot }];
        tmplName = node.name;
        depth++;
        try {
          walk(newDot, tree);
        } finally {
          depth--;
          vars = saved.vars;
          tmplName = saved.tmplName;
        }
        return;
      }
    }
  };

  const walkRange = (dot: Value, r: RangeNode) => {
    setAt(r);
    const outer = vars.length;
    const val = evalPipeline(dot, r.pipe);
    const mark = vars.length;
    const decl = r.pipe.decl;
    let ran = false;
    const one = (index: Value, elem: Value): boolean => {
      ran = true;
      if (decl.length > 0) {
        if (r.pipe.isAssign) setVar(decl[0]!.ident[0]!, decl.length > 1 ? index : elem);
        else vars[vars.length - 1]!.value = elem;
      }
      if (decl.length > 1) {
        if (r.pipe.isAssign) setVar(decl[1]!.ident[0]!, elem);
        else vars[vars.length - 2]!.value = index;
      }
      try {
        walk(elem, r.list);
      } catch (e) {
        if (e === BREAK) return false;
        if (e !== CONTINUE) throw e;
      } finally {
        vars = vars.slice(0, mark);
      }
      return true;
    };
    if (Array.isArray(val)) {
      for (let i = 0; i < val.length; i++) if (!one(i, val[i])) break;
    } else if (isObject(val) && types.structName(val) === undefined) {
      for (const k of sortedKeys(val)) if (!one(k, val[k])) break;
    } else if (typeof val === 'number' && Number.isInteger(val)) {
      if (decl.length > 1) errorf(`can't use ${val} to iterate over more than one variable`);
      for (let i = 0; i < val; i++) if (!one(i, i)) break;
    } else if (val !== undefined && val !== null) {
      errorf(`range can't iterate over ${formatV(val, types)}`);
    }
    if (!ran && r.elseList) walk(dot, r.elseList);
    vars = vars.slice(0, outer);
  };

  const printValue = (n: Node, v: Value) => {
    setAt(n);
    if (v === undefined) out += '<no value>';
    else if (typeof v === 'function') errorf(`can't print ${nodeString(n)} of type ${typeName(v, types)}`);
    else out += formatV(v, types);
  };

  const evalPipeline = (dot: Value, pipe: PipeNode): Value => {
    setAt(pipe);
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) {
      value = evalCommand(dot, cmd, value);
      // a nil interface{} is "no value" to whatever comes next, as Go's "dig down one level"
      if (value === null) value = undefined;
    }
    for (const v of pipe.decl) {
      if (pipe.isAssign) setVar(v.ident[0]!, value);
      else vars.push({ name: v.ident[0]!, value });
    }
    return value === MISSING ? undefined : value;
  };

  const notAFunction = (args: Arg[], final: Final) => {
    if (args.length > 1 || final !== MISSING) errorf(`can't give argument to non-function ${nodeString(args[0]!)}`);
  };

  const evalCommand = (dot: Value, cmd: CommandNode, final: Final): Value => {
    const first = cmd.args[0]!;
    switch (first.type) {
      case 'field': return evalFieldNode(dot, first, cmd.args, final);
      case 'chain': {
        setAt(first);
        if (first.node.type === 'nil') errorf(`indirection through explicit nil in ${nodeString(first)}`);
        const recv = evalArg(dot, 'value', first.node);
        return evalFieldChain(dot, recv, first, first.field, cmd.args, final);
      }
      case 'identifier': return evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        notAFunction(cmd.args, final);
        return evalPipeline(dot, first);
      case 'variable': return evalVariableNode(dot, first, cmd.args, final);
    }
    setAt(first);
    notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool': return first.value;
      case 'dot': return dot;
      case 'nil': return errorf('nil is not a command');
      case 'number': return idealConstant(first);
      case 'string': return first.text;
    }
  };

  const evalFieldNode = (dot: Value, field: FieldNode, args: Arg[], final: Final): Value => {
    setAt(field);
    return evalFieldChain(dot, dot, field, field.ident, args, final);
  };

  const evalVariableNode = (dot: Value, v: VariableNode, args: Arg[], final: Final): Value => {
    setAt(v);
    const value = varValue(v.ident[0]!);
    if (v.ident.length === 1) {
      notAFunction(args, final);
      return value;
    }
    return evalFieldChain(dot, value, v, v.ident.slice(1), args, final);
  };

  const evalFieldChain = (dot: Value, recv: Value, node: Arg, ident: string[], args: Arg[], final: Final): Value => {
    let fromMap = false;
    for (let i = 0; i < ident.length - 1; i++) {
      const next = evalField(dot, ident[i]!, node, [], MISSING, recv, fromMap);
      fromMap = isObject(recv) && types.structName(recv) === undefined;
      recv = next;
    }
    return evalField(dot, ident[ident.length - 1]!, node, args, final, recv, fromMap);
  };

  const evalField = (dot: Value, field: string, node: Arg, args: Arg[], final: Final, recv: Value, fromMap: boolean): Value => {
    if (recv === undefined) {
      if (missingKey === 'error') errorf(`nil data; no entry for key "${field}"`);
      return undefined;
    }
    if (recv === null) return errorf(`nil pointer evaluating ${typeOf(recv, true)}.${field}`);
    if (recv instanceof GoNil) return errorf(`nil pointer evaluating *struct.${field}`);
    const hasArgs = args.length > 1 || final !== MISSING;
    if (isObject(recv)) {
      const method = recv[field];
      if (typeof method === 'function') return evalCall(dot, method as GoFunc, false, node, field, args, final);
      const struct = types.structName(recv);
      if (struct !== undefined) {
        if (Object.prototype.hasOwnProperty.call(recv, field)) {
          if (hasArgs) errorf(`${field} has arguments but cannot be invoked as function`);
          return recv[field];
        }
        return errorf(`can't evaluate field ${field} in type ${struct}`);
      }
      if (hasArgs) errorf(`${field} is not a method but has arguments`);
      if (Object.prototype.hasOwnProperty.call(recv, field)) return recv[field];
      if (missingKey === 'error') errorf(`map has no entry for key "${field}"`);
      if (missingKey === 'zero') return types.mapZero?.(recv) ?? null;
      return undefined;
    }
    return errorf(`can't evaluate field ${field} in type ${typeOf(recv, fromMap)}`);
  };

  const evalFunction = (dot: Value, node: IdentifierNode, cmd: CommandNode, args: Arg[], final: Final): Value => {
    setAt(node);
    const fn = funcs[node.ident];
    if (!fn) return errorf(`"${node.ident}" is not a defined function`);
    return evalCall(dot, fn, BUILTINS_SHORT_CIRCUIT.has(node.ident), cmd, node.ident, args, final);
  };

  const evalCall = (dot: Value, fn: GoFunc, shortCircuit: boolean, node: Arg | CommandNode, name: string, args: Arg[], final: Final): Value => {
    const argNodes = args.slice(1);
    const fixed = fn.goArgs ?? [];
    const numIn = argNodes.length + (final === MISSING ? 0 : 1);
    if (fn.variadic !== undefined) {
      if (numIn < fixed.length) errorf(`wrong number of args for ${name}: want at least ${fixed.length} got ${numIn}`);
    } else if (numIn !== fixed.length) {
      errorf(`wrong number of args for ${name}: want ${fixed.length} got ${numIn}`);
    }
    const kindAt = (i: number): ArgKind => fixed[i] ?? fn.variadic ?? 'any';
    if (shortCircuit) {
      // and/or evaluate their arguments only as far as needed
      let v: Value;
      for (const a of argNodes) {
        v = evalArg(dot, 'value', a);
        if (isTrue(v, types) === (name === 'or')) return v;
      }
      if (final !== MISSING) v = final;
      return v;
    }
    const argv = argNodes.map((a, i) => evalArg(dot, kindAt(i), a));
    if (final !== MISSING) argv.push(validateType(final, kindAt(argv.length)));
    setAt(node);
    try {
      return fn(...argv);
    } catch (e) {
      if (e === BREAK || e === CONTINUE || e instanceof TemplateExecError) throw e;
      setAt(node);
      return errorf(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  const validateType = (v: Value, kind: ArgKind): Value => {
    if (kind === 'value') return v;
    if (v === undefined || v === null) {
      if (kind === 'any') return null;
      return errorf(`invalid value; expected ${goKind(kind)}`);
    }
    const ok =
      kind === 'any' ||
      (kind === 'string' && typeof v === 'string') ||
      (kind === 'int' && typeof v === 'number' && Number.isInteger(v)) ||
      (kind === 'float' && (typeof v === 'number' || v instanceof GoFloat)) ||
      (kind === 'bool' && typeof v === 'boolean') ||
      (kind === 'strings' && Array.isArray(v) && v.every((x) => typeof x === 'string'));
    if (!ok) errorf(`wrong type for value; expected ${goKind(kind)}; got ${typeName(v, types)}`);
    return kind === 'float' && v instanceof GoFloat ? v.value : v;
  };

  const evalArg = (dot: Value, kind: ArgKind, n: Arg): Value => {
    setAt(n);
    switch (n.type) {
      case 'dot': return validateType(dot, kind);
      case 'nil':
        if (kind === 'any' || kind === 'value') return null;
        return errorf(`cannot assign nil to ${goKind(kind)}`);
      case 'field': return validateType(evalFieldNode(dot, n, [n], MISSING), kind);
      case 'variable': return validateType(evalVariableNode(dot, n, [n], MISSING), kind);
      case 'pipe': return validateType(evalPipeline(dot, n), kind);
      case 'identifier': return validateType(evalFunction(dot, n, { type: 'command', pos: n.pos, args: [n] }, [n], MISSING), kind);
      case 'chain': return validateType(evalCommand(dot, { type: 'command', pos: n.pos, args: [n] }, MISSING), kind);
    }
    // a constant: checked against the parameter as Go's evalBool/evalInteger/evalString do
    switch (kind) {
      case 'bool':
        if (n.type !== 'bool') errorf(`expected bool; found ${nodeString(n)}`);
        break;
      case 'int':
        if (n.type !== 'number' || !n.isInt) errorf(`expected integer; found ${nodeString(n)}`);
        break;
      case 'float':
        if (n.type !== 'number' || !n.isFloat) errorf(`expected float; found ${nodeString(n)}`);
        break;
      case 'string':
        if (n.type !== 'string') errorf(`expected string; found ${nodeString(n)}`);
        break;
      case 'strings':
        errorf(`can't handle ${nodeString(n)} for arg of type []string`);
    }
    switch (n.type) {
      case 'bool': return n.value;
      case 'number': return kind === 'int' ? n.int : kind === 'float' ? n.float : idealConstant(n);
      case 'string': return n.text;
    }
    return undefined;
  };

  try {
    try {
      walk(data, root);
    } catch (e) {
      if (e === BREAK || e === CONTINUE) throw new TemplateExecError('template: break or continue outside range');
      if (e instanceof RangeError) errorf('exceeded maximum template depth');
      throw e;
    }
  } catch (e) {
    // what was written before the error, as Go's Execute leaves it in the writer
    if (e instanceof TemplateExecError) e.partial = out;
    throw e;
  }
  return out;
}

/** A numeric constant as interface{}: float64 when written as one (1.5, 1e6, 2.0), else int. */
function idealConstant(n: NumberNode): Value {
  const floatForm = n.isFloat && !/^[+-]?0[xX]/.test(n.text) && !n.text.startsWith("'") && /[.eEpP]/.test(n.text);
  if (floatForm) return Number.isInteger(n.float) ? new GoFloat(n.float) : n.float;
  return n.isInt ? n.int : n.float;
}

function goKind(k: ArgKind): string {
  return k === 'strings' ? '[]string' : k === 'float' ? 'float64' : k === 'any' || k === 'value' ? 'interface {}' : k;
}

const BUILTINS_SHORT_CIRCUIT = new Set(['and', 'or']);
