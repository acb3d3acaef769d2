/** Why the scheduler rejected nodes: the texts feasibility checks report, numbered once. */
export type ReasonKind = 'constraint' | 'driver' | 'dimension';

/** Why nodes were rejected, numbered so counting is an array increment. */
export class Reasons {
  readonly texts: string[] = [];
  readonly kinds: ReasonKind[] = [];
  private readonly ids = new Map<string, number>();
  id(kind: ReasonKind, text: string): number {
    const key = `${kind}\u0000${text}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.texts.length;
      this.ids.set(key, id);
      this.texts.push(text);
      this.kinds.push(kind);
    }
    return id;
  }
}
