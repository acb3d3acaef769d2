/** The HCL2 native syntax: lexer, parser and syntax tree. Other modules add their exports here. */
export * from './ast.js';
export { lex, type LexResult } from './lexer.js';
export {
  MAX_DEPTH,
  parseExpression,
  parseHCL,
  type ParseExpressionResult,
  type ParseResult,
} from './parser.js';
