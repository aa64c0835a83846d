/** Dependency cycles in a directed graph, one per tangle (strongly connected component). */

/**
 * One shortest cycle through the earliest vertex of each strongly connected component
 * that has more than one vertex, in the order of `vertices`. Self-loops are not reported.
 */
export function findCycles(vertices: readonly string[], next: (vertex: string) => readonly string[]): string[][] {
  const order = new Map(vertices.map((vertex, i) => [vertex, i]));
  return components(vertices, next)
    .filter((component) => component.size > 1)
    .map((component) => {
      const start = [...component].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0))[0] ?? "";
      return shortestCycle(start, component, next);
    })
    .sort((a, b) => (order.get(a[0] ?? "") ?? 0) - (order.get(b[0] ?? "") ?? 0));
}

/** Tarjan's algorithm, iterative so that a long chain cannot overflow the stack. */
function components(vertices: readonly string[], next: (vertex: string) => readonly string[]): Set<string>[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const result: Set<string>[] = [];
  let counter = 0;

  for (const root of vertices) {
    if (index.has(root)) continue;
    const work: { vertex: string; edge: number }[] = [{ vertex: root, edge: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      if (frame === undefined) break;
      const targets = next(frame.vertex);
      const target = targets[frame.edge++];
      if (target !== undefined) {
        if (!index.has(target)) {
          index.set(target, counter);
          low.set(target, counter++);
          stack.push(target);
          onStack.add(target);
          work.push({ vertex: target, edge: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.vertex, Math.min(low.get(frame.vertex) ?? 0, index.get(target) ?? 0));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) {
        low.set(parent.vertex, Math.min(low.get(parent.vertex) ?? 0, low.get(frame.vertex) ?? 0));
      }
      if (low.get(frame.vertex) === index.get(frame.vertex)) {
        const component = new Set<string>();
        let member: string | undefined;
        do {
          member = stack.pop();
          if (member === undefined) break;
          onStack.delete(member);
          component.add(member);
        } while (member !== frame.vertex);
        result.push(component);
      }
    }
  }
  return result;
}

/** Breadth-first from `start` inside `component` back to `start`. */
function shortestCycle(
  start: string,
  component: ReadonlySet<string>,
  next: (vertex: string) => readonly string[],
): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const vertex = queue[head] ?? start;
    for (const target of next(vertex)) {
      if (!component.has(target)) continue;
      if (target === start) {
        const path = [vertex];
        while (path[0] !== start) path.unshift(parent.get(path[0] ?? start) ?? start);
        return path;
      }
      if (!parent.has(target)) {
        parent.set(target, vertex);
        queue.push(target);
      }
    }
  }
  return [start];
}
