// The parse tree of text/template/parse/node.go: every node keeps its byte position so that
// execution errors can name "line:col" and the node's source form as Go does.

export type Node =
  | TextNode | ActionNode | IfNode | RangeNode | WithNode | TemplateNode | BreakNode | ContinueNode | CommentNode
  | ListNode;

export type Arg = FieldNode | ChainNode | VariableNode | DotNode | NilNode | BoolNode | NumberNode | StringNode | IdentifierNode | PipeNode;

export interface ListNode { type: 'list'; pos: number; nodes: Node[] }
export interface TextNode { type: 'text'; pos: number; text: string }
export interface CommentNode { type: 'comment'; pos: number; text: string }
export interface ActionNode { type: 'action'; pos: number; line: number; pipe: PipeNode }
export interface BranchFields { pos: number; line: number; pipe: PipeNode; list: ListNode; elseList: ListNode | null }
export interface IfNode extends BranchFields { type: 'if' }
export interface RangeNode extends BranchFields { type: 'range' }
export interface WithNode extends BranchFields { type: 'with' }
export interface TemplateNode { type: 'template'; pos: number; line: number; name: string; pipe: PipeNode | null }
export interface BreakNode { type: 'break'; pos: number; line: number }
export interface ContinueNode { type: 'continue'; pos: number; line: number }

export interface PipeNode { type: 'pipe'; pos: number; line: number; isAssign: boolean; decl: VariableNode[]; cmds: CommandNode[] }
export interface CommandNode { type: 'command'; pos: number; args: Arg[] }
export interface FieldNode { type: 'field'; pos: number; ident: string[] }
export interface ChainNode { type: 'chain'; pos: number; node: Arg; field: string[] }
export interface VariableNode { type: 'variable'; pos: number; ident: string[] }
export interface DotNode { type: 'dot'; pos: number }
export interface NilNode { type: 'nil'; pos: number }
export interface BoolNode { type: 'bool'; pos: number; value: boolean }
/** A numeric constant; isInt/isFloat say which Go kinds it can be (as parse.NumberNode). */
export interface NumberNode { type: 'number'; pos: number; text: string; isInt: boolean; isFloat: boolean; int: number; float: number }
export interface StringNode { type: 'string'; pos: number; quoted: string; text: string }
export interface IdentifierNode { type: 'identifier'; pos: number; ident: string }

/** The String() form of a node, as Go prints it in "executing ... at <%s>". */
export function nodeString(n: Arg | CommandNode | Node): string {
  switch (n.type) {
    case 'field': return '.' + n.ident.join('.');
    case 'variable': return n.ident.join('.');
    case 'chain': return (n.node.type === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node)) + n.field.map((f) => '.' + f).join('');
    case 'dot': return '.';
    case 'nil': return 'nil';
    case 'bool': return String(n.value);
    case 'number': return n.text;
    case 'string': return n.quoted;
    case 'identifier': return n.ident;
    case 'command':
      return n.args.map((a) => (a.type === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'pipe': {
      const decl = n.decl.length ? n.decl.map((v) => nodeString(v)).join(', ') + (n.isAssign ? ' = ' : ' := ') : '';
      return decl + n.cmds.map((c) => nodeString(c)).join(' | ');
    }
    case 'action': return `{{${nodeString(n.pipe)}}}`;
    case 'text': return n.text;
    case 'comment': return `{{${n.text}}}`;
    case 'list': return n.nodes.map((x) => nodeString(x)).join('');
    case 'if': case 'range': case 'with':
      return `{{${n.type} ${nodeString(n.pipe)}}}${nodeString(n.list)}${n.elseList ? `{{else}}${nodeString(n.elseList)}` : ''}{{end}}`;
    case 'template': return n.pipe ? `{{template "${n.name}" ${nodeString(n.pipe)}}}` : `{{template "${n.name}"}}`;
    case 'break': return '{{break}}';
    case 'continue': return '{{continue}}';
  }
}
