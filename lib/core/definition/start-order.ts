/**
 * The order in which resources start: each after everything it needs, and among those free to start,
 * the earliest in the order given (the order written). Resources stop in the reverse. The controller
 * orders a whole group with it (`plan-builder.ts`), the heartbeat answer a group's agent-side resources.
 * @param needs the ids an item waits for; ids of items not in `items` never come, so name only those in it
 * @throws Error on a dependency cycle, which the definition's rules refuse before anything gets here
 */
export function startOrder<T extends { readonly id: string }>(
  items: readonly T[],
  needs: (item: T) => readonly string[],
): T[] {
  const placed = new Set<string>();
  const order: T[] = [];
  const left = [...items];
  while (left.length > 0) {
    const next = left.findIndex((item) => needs(item).every((id) => placed.has(id)));
    if (next === -1) throw new Error(`dependency cycle among ${left.map((item) => item.id).join(", ")}`);
    const [item] = left.splice(next, 1) as [T];
    placed.add(item.id);
    order.push(item);
  }
  return order;
}
