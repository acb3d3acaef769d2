/** The syntax tree of a Go text/template, as the parser builds it and the executor walks it. */

/** Every node keeps its offset in the template text, for error positions. */
interface At {
  pos: number;
}

export type Node =
  | ({ type: 'text'; text: string } & At)
  | ({ type: 'action'; pipe: Pipeline } & At)
  | BranchNode
  | ({ type: 'template'; name: string; pipe: Pipeline | undefined } & At)
  | ({ type: 'break' } & At)
  | ({ type: 'continue' } & At);

export interface BranchNode extends At {
  type: 'if' | 'with' | 'range';
  pipe: Pipeline;
  list: Node[];
  elseList: Node[] | undefined;
}

export interface Pipeline extends At {
  /** `$x = …` (assignment to an existing variable) rather than `$x := …`. */
  isAssign: boolean;
  decl: string[];
  cmds: Command[];
}

export interface Command extends At {
  args: Arg[];
}

export type Arg =
  | ({ type: 'field'; names: string[] } & At)
  | ({ type: 'variable'; name: string; names: string[] } & At)
  | ({ type: 'chain'; node: Arg; names: string[] } & At)
  | ({ type: 'identifier'; name: string } & At)
  | ({ type: 'pipe'; pipe: Pipeline } & At)
  | ({ type: 'dot' } & At)
  | ({ type: 'nil' } & At)
  | ({ type: 'bool'; value: boolean } & At)
  | ({ type: 'string'; value: string; quoted: string } & At)
  | ({ type: 'number'; value: bigint | number; text: string; isChar: boolean } & At);

/** The source form of an argument, as Go's String() gives it, for `executing "t" at <…>`. */
export function argText(a: Arg): string {
  switch (a.type) {
    case 'field':
      return a.names.map((n) => `.${n}`).join('');
    case 'variable':
      return [a.name, ...a.names].join('.');
    case 'chain':
      return `${a.node.type === 'pipe' ? `(${pipeText(a.node.pipe)})` : argText(a.node)}${a.names.map((n) => `.${n}`).join('')}`;
    case 'identifier':
      return a.name;
    case 'pipe':
      return `(${pipeText(a.pipe)})`;
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return String(a.value);
    case 'string':
      return a.quoted;
    case 'number':
      return a.text;
  }
}

export function pipeText(p: Pipeline): string {
  const decl = p.decl.length > 0 ? `${p.decl.join(', ')} ${p.isAssign ? '=' : ':='} ` : '';
  return decl + p.cmds.map((c) => c.args.map(argText).join(' ')).join(' | ');
}
