// Go's text/template for the CLI's --format: parse once, execute against any JSON-like value.
// The one entry point the commands use; see lex/parse/exec for the Go semantics they follow.
import { execute, TemplateExecError, type MissingKey } from './exec.js';
import { dockerFuncs, headerFuncs } from './funcs.js';
import { parseTemplate, TemplateParseError, type TreeSet } from './parse.js';
import { MAPS_ONLY, type GoFunc, type GoTypes, type Value } from './values.js';

export { TemplateExecError, TemplateParseError };
export { GO_JSON, goJSON } from './funcs.js';
export { sprintf, sprint, formatV } from './fmt.js';
export { tabwrite } from './tabwriter.js';
export { goQuote } from './lex.js';
export type { GoFunc, GoTypes, Value } from './values.js';
export { NIL_PTR, nilCollection, omitInJSON } from './values.js';

export interface RunOptions {
  types?: GoTypes;
  missingKey?: MissingKey;
  /** Execute with docker's HeaderFunctions (a table's title row). */
  header?: boolean;
}

export class GoTemplate {
  private constructor(
    readonly text: string,
    readonly name: string,
    private readonly trees: TreeSet,
  ) {}

  /** Parses as docker's templates.Parse does (its functions known); throws TemplateParseError. */
  static parse(text: string, name = ''): GoTemplate {
    const names = new Set(Object.keys(dockerFuncs()));
    return new GoTemplate(text, name, parseTemplate(text, names, name));
  }

  /** Runs the template; throws TemplateExecError with Go's message. */
  execute(data: Value, opts: RunOptions = {}): string {
    const types = opts.types ?? MAPS_ONLY;
    const funcs: Record<string, GoFunc> = opts.header ? headerFuncs(types) : dockerFuncs(types);
    return execute(this.trees, this.text, this.name, data, funcs, { types, ...(opts.missingKey ? { missingKey: opts.missingKey } : {}) });
  }

  /** Runs the template, collecting what it wrote before an error as Go's Execute leaves it in the buffer. */
  executePartial(data: Value, opts: RunOptions = {}): string {
    try {
      return this.execute(data, opts);
    } catch (e) {
      if (e instanceof TemplateExecError) return e.partial;
      throw e;
    }
  }
}
