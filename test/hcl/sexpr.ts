/**
 * Compact s-expression printing of HCL syntax trees, so that parser tests can state the expected
 * shape of a whole expression on one line.
 *
 *   literal        1  true  null            (raw text)
 *   variable       name
 *   template       (tpl "lit" ${expr} ${~expr~} %if(c then … else …) %for(k,v in coll: …))
 *   get attribute  (. obj name)
 *   index          ([] obj key)  ([] obj key legacy)
 *   splat          (.* source each)  ([*] source each), `@` is the element placeholder
 *   call           (call name arg… ...)
 *   operators      (op left right)  (op operand)  (? cond then else)  (paren e)
 *   tuple, object  [a b]  {bare:k=v "k":v}
 *   for            (for k,v coll key => value... if cond)
 */
import type { Body, Expression, TemplatePart } from '../../src/hcl/ast.js';

export function sexpr(x: Expression): string {
  switch (x.kind) {
    case 'Literal':
      return x.raw;
    case 'Template':
      return `(tpl ${x.parts.map(part).join(' ')})`;
    case 'Variable':
      return x.name;
    case 'GetAttr':
      return `(. ${sexpr(x.object)} ${x.name})`;
    case 'Index':
      return `([] ${sexpr(x.object)} ${sexpr(x.key)}${x.legacyDot ? ' legacy' : ''})`;
    case 'Splat':
      return `(${x.full ? '[*]' : '.*'} ${sexpr(x.source)} ${sexpr(x.each)})`;
    case 'AnonSplatItem':
      return '@';
    case 'FunctionCall':
      return `(call ${[x.name, ...x.args.map(sexpr)].join(' ')}${x.expandFinal ? ' ...' : ''})`;
    case 'Conditional':
      return `(? ${sexpr(x.cond)} ${sexpr(x.then)} ${sexpr(x.else)})`;
    case 'Binary':
      return `(${x.op} ${sexpr(x.left)} ${sexpr(x.right)})`;
    case 'Unary':
      return `(${x.op} ${sexpr(x.operand)})`;
    case 'Tuple':
      return `[${x.items.map(sexpr).join(' ')}]`;
    case 'Object':
      return `{${x.items
        .map((i) => `${i.bareKey ? 'bare:' : ''}${sexpr(i.key)}${i.separator}${sexpr(i.value)}`)
        .join(' ')}}`;
    case 'For': {
      const key = x.keyExpr ? `${sexpr(x.keyExpr)} => ` : '';
      const cond = x.cond ? ` if ${sexpr(x.cond)}` : '';
      return `(for ${x.keyVar ?? ''},${x.valueVar} ${sexpr(x.collection)} ${key}${sexpr(x.valueExpr)}${x.group ? '...' : ''}${cond})`;
    }
    case 'Paren':
      return `(paren ${sexpr(x.expr)})`;
    case 'Invalid':
      return '<invalid>';
  }
}

function part(p: TemplatePart): string {
  switch (p.kind) {
    case 'TemplateLiteral':
      return JSON.stringify(p.value);
    case 'TemplateInterp':
      return `\${${p.stripLeft ? '~' : ''}${sexpr(p.expr)}${p.stripRight ? '~' : ''}}`;
    case 'TemplateIf': {
      const otherwise = p.else ? ` else ${p.else.map(part).join(' ')}` : '';
      return `%if(${sexpr(p.cond)} then ${p.then.map(part).join(' ')}${otherwise})`;
    }
    case 'TemplateFor':
      return `%for(${p.keyVar ?? ''},${p.valueVar} in ${sexpr(p.collection)}: ${p.body.map(part).join(' ')})`;
  }
}

/** A body as indented lines: `name = sexpr` for attributes, `type "label" bare {` … `}` for blocks. */
export function bodyLines(body: Body, indent = ''): string[] {
  const out: string[] = [];
  for (const item of body.items) {
    if (item.kind === 'Attribute') {
      out.push(`${indent}${item.name} = ${sexpr(item.expr)}`);
    } else {
      const labels = item.labels.map((l) => (l.quoted ? JSON.stringify(l.value) : l.value));
      out.push(`${indent}${[item.type, ...labels].join(' ')} {`);
      out.push(...bodyLines(item.body, `${indent}  `));
      out.push(`${indent}}`);
    }
  }
  return out;
}
