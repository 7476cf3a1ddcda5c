/**
 * A reusable stack that collections are built on before being copied out at their exact size.
 * Arrays grown by `push` keep spare capacity (16 slots or more), which for millions of small
 * mappings and sequences would be most of the memory a parsed file takes; the copy has none.
 * Collections nest strictly, so one stack serves every level: an inner collection is taken off the
 * top before its parent adds its next element.
 */
export class Scratch<T> {
  /** The stack; entries at and above `top` are stale. */
  readonly items: T[] = [];
  /** The number of live entries. */
  top = 0;

  /** Pushes an element of the collection being built. */
  push(item: T): void {
    this.items[this.top++] = item;
  }

  /** Removes the elements from `base` up and returns them as an array of exactly their length. */
  take(base: number): T[] {
    const out = this.items.slice(base, this.top);
    this.top = base;
    return out;
  }
}
