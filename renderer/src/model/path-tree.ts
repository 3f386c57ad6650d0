// Persisted paths shown as the tree they form, so a user sees at a glance
// what is kept under /var or in a home. Folders that only group entries (not
// persisted themselves) are merged with their single child ("var/lib").

export interface TreeItem<T> {
  /** Absolute ("/var/log") or home-relative (".ssh"). */
  path: string;
  data: T;
}

export interface TreeRow<T> {
  key: string;
  depth: number;
  /** The segment(s) this row adds to its parent's path. */
  name: string;
  path: string;
  /** The entry at exactly this path, or null for a grouping folder. */
  item: TreeItem<T> | null;
  /** More entries at the same path (a conflict: the same path listed twice). */
  duplicates: TreeItem<T>[];
}

interface Node<T> {
  name: string;
  path: string;
  items: TreeItem<T>[];
  children: Map<string, Node<T>>;
}

export function treeRows<T>(items: TreeItem<T>[]): TreeRow<T>[] {
  const absolute = items.some((i) => i.path.startsWith("/"));
  const root: Node<T> = { name: "", path: "", items: [], children: new Map() };
  for (const item of items) {
    const segments = item.path.split("/").filter((s) => s !== "");
    let node = root;
    let path = "";
    for (const seg of segments) {
      path = path === "" && !absolute ? seg : `${path}/${seg}`;
      let next = node.children.get(seg);
      if (!next) {
        next = { name: seg, path, items: [], children: new Map() };
        node.children.set(seg, next);
      }
      node = next;
    }
    node.items.push(item);
  }

  const rows: TreeRow<T>[] = [];
  const visit = (node: Node<T>, depth: number, prefix: string) => {
    const name = prefix ? `${prefix}/${node.name}` : node.name;
    // Merge a grouping folder into its only child: "var" + "lib" = "var/lib".
    if (node.items.length === 0 && node.children.size === 1) {
      visit([...node.children.values()][0]!, depth, name);
      return;
    }
    rows.push({
      key: node.path,
      depth,
      name,
      path: node.path,
      item: node.items[0] ?? null,
      duplicates: node.items.slice(1),
    });
    for (const child of sorted(node)) visit(child, depth + 1, "");
  };
  for (const child of sorted(root)) visit(child, 0, absolute ? "" : "");
  return rows;
}

function sorted<T>(node: Node<T>): Node<T>[] {
  return [...node.children.values()].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
}
