/** A template that does not parse or fails to render: Go-like message, 1-based position in the text. */
export class TemplateError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}
