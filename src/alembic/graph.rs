//! The revision graph of one Alembic environment, computed the way
//! Alembic's `RevisionMap` computes it: heads are revisions that no
//! `down_revision` names (a `depends_on` does not make a head), bases are
//! revisions whose `down_revision` is `None` (or empty), a later file with
//! the same revision id replaces an earlier one, and `depends_on` may name
//! a revision or a branch label.
//!
//! On top of what Alembic computes, it finds what makes Alembic fail or
//! misbehave: duplicate ids and labels, links to nothing, cycles, and heads
//! that no branch label tells apart.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

/// One revision as the graph needs it.
#[derive(Clone, Debug, Default)]
pub struct Node {
    pub revision: String,
    /// `None` when the file's `down_revision` could not be read: the node
    /// is then neither a base nor linked downwards.
    pub down_revisions: Option<Vec<String>>,
    pub depends_on: Vec<String>,
    /// Labels as declared in the file.
    pub branch_labels: Vec<String>,
}

/// Which kind of link points at nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    DownRevision,
    DependsOn,
}

/// A `down_revision` or `depends_on` entry that names no revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokenLink {
    /// Index of the node holding the link.
    pub from: usize,
    pub target: String,
    pub kind: LinkKind,
}

/// The computed graph; every `usize` is an index into the input nodes,
/// lists are in input (load) order.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    /// Revisions that no `down_revision` names.
    pub heads: Vec<usize>,
    /// Revisions with no `down_revision`.
    pub bases: Vec<usize>,
    /// Revisions with several `down_revision`s.
    pub merge_points: Vec<usize>,
    /// Revisions that several revisions name as `down_revision`.
    pub branch_points: Vec<usize>,
    /// For each node, the nodes whose `down_revision` names it.
    pub children: Vec<Vec<usize>>,
    /// Nodes replaced by a later file with the same revision id (Alembic
    /// keeps the last one it loads): `(id, every node with that id)`.
    pub duplicates: Vec<(String, Vec<usize>)>,
    /// Branch labels declared by several revisions (Alembic refuses them).
    pub duplicate_labels: Vec<(String, Vec<usize>)>,
    pub broken_links: Vec<BrokenLink>,
    /// Each cycle once, as a path `a -> b -> ... -> a` of down links
    /// (first node repeated at the end is implied).
    pub cycles: Vec<Vec<usize>>,
    /// For each head, every branch label it carries: its own and its
    /// ancestors' (Alembic labels every descendant of a labelled revision).
    pub head_labels: Vec<(usize, BTreeSet<String>)>,
    /// Groups of two or more heads that no branch label tells apart.
    pub conflicting_heads: Vec<Vec<usize>>,
}

impl Graph {
    /// Builds the graph of `nodes` (in Alembic's load order).
    pub fn build(nodes: &[Node]) -> Graph {
        let n = nodes.len();
        let mut g = Graph {
            children: vec![Vec::new(); n],
            ..Graph::default()
        };

        // Revision ids: the last file wins, as in Alembic's map.
        let mut by_id: HashMap<&str, usize> = HashMap::new();
        let mut all_by_id: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, node) in nodes.iter().enumerate() {
            by_id.insert(&node.revision, i);
            all_by_id.entry(&node.revision).or_default().push(i);
        }
        let live = |i: usize| by_id.get(nodes[i].revision.as_str()) == Some(&i);
        let mut dups: Vec<(String, Vec<usize>)> = all_by_id
            .into_iter()
            .filter(|(_, v)| v.len() > 1)
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        dups.sort_by_key(|(_, v)| v[0]);
        g.duplicates = dups;

        // Branch labels resolve like revision ids in depends_on (and in
        // down_revision, where Alembic's map holds them too).
        let mut by_label: HashMap<&str, usize> = HashMap::new();
        let mut all_by_label: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, node) in nodes.iter().enumerate() {
            if !live(i) {
                continue;
            }
            for label in &node.branch_labels {
                by_label.entry(label).or_insert(i);
                let list = all_by_label.entry(label).or_default();
                if !list.contains(&i) {
                    list.push(i);
                }
            }
        }
        let mut dup_labels: Vec<(String, Vec<usize>)> = all_by_label
            .into_iter()
            .filter(|(_, v)| v.len() > 1)
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        dup_labels.sort_by_key(|(_, v)| v[0]);
        g.duplicate_labels = dup_labels;
        let resolve = |name: &str| by_id.get(name).or_else(|| by_label.get(name)).copied();

        // Down links (versioned) and every link (with dependencies).
        let mut down: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut all_links: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut named_as_down = vec![false; n];
        for (i, node) in nodes.iter().enumerate() {
            if !live(i) {
                continue;
            }
            for target in node.down_revisions.iter().flatten() {
                match resolve(target) {
                    Some(t) => {
                        down[i].push(t);
                        all_links[i].push(t);
                        named_as_down[t] = true;
                        if !g.children[t].contains(&i) {
                            g.children[t].push(i);
                        }
                    }
                    None => g.broken_links.push(BrokenLink {
                        from: i,
                        target: target.clone(),
                        kind: LinkKind::DownRevision,
                    }),
                }
            }
            for target in &node.depends_on {
                match resolve(target) {
                    Some(t) => all_links[i].push(t),
                    None => g.broken_links.push(BrokenLink {
                        from: i,
                        target: target.clone(),
                        kind: LinkKind::DependsOn,
                    }),
                }
            }
        }

        for (i, node) in nodes.iter().enumerate() {
            if !live(i) {
                continue;
            }
            if !named_as_down[i] {
                g.heads.push(i);
            }
            if node.down_revisions.as_ref().is_some_and(Vec::is_empty) {
                g.bases.push(i);
            }
            if node.down_revisions.as_ref().is_some_and(|d| d.len() > 1) {
                g.merge_points.push(i);
            }
            if g.children[i].len() > 1 {
                g.branch_points.push(i);
            }
        }

        g.cycles = cycles(&all_links);

        // Labels of each head: its own and every ancestor's.
        for &h in &g.heads {
            let mut labels = BTreeSet::new();
            let mut seen = HashSet::new();
            let mut queue = VecDeque::from([h]);
            while let Some(i) = queue.pop_front() {
                if !seen.insert(i) {
                    continue;
                }
                labels.extend(nodes[i].branch_labels.iter().cloned());
                queue.extend(down[i].iter().copied());
            }
            g.head_labels.push((h, labels));
        }
        let mut groups: HashMap<&BTreeSet<String>, Vec<usize>> = HashMap::new();
        for (h, labels) in &g.head_labels {
            groups.entry(labels).or_default().push(*h);
        }
        let mut conflicting: Vec<Vec<usize>> =
            groups.into_values().filter(|v| v.len() > 1).collect();
        conflicting.sort();
        g.conflicting_heads = conflicting;
        g
    }

    /// The inherited labels of head `i`, if it is a head.
    pub fn labels_of_head(&self, i: usize) -> Option<&BTreeSet<String>> {
        self.head_labels
            .iter()
            .find(|(h, _)| *h == i)
            .map(|(_, l)| l)
    }
}

/// Every cycle of the link graph once (strongly connected components with
/// more than one node, or a node linked to itself), each as a path that
/// starts at its first node in load order.
fn cycles(adj: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = adj.len();
    const NONE: usize = usize::MAX;
    let mut index = vec![NONE; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut comps = Vec::new();
    for start in 0..n {
        if index[start] != NONE {
            continue;
        }
        // Iterative Tarjan: (node, next edge to look at).
        let mut call: Vec<(usize, usize)> = vec![(start, 0)];
        index[start] = next;
        low[start] = next;
        next += 1;
        stack.push(start);
        on_stack[start] = true;
        while let Some(&(v, edge)) = call.last() {
            if edge < adj[v].len() {
                if let Some(top) = call.last_mut() {
                    top.1 += 1;
                }
                let w = adj[v][edge];
                if index[w] == NONE {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                call.pop();
                if let Some(&(p, _)) = call.last() {
                    low[p] = low[p].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut comp = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp.push(w);
                        if w == v {
                            break;
                        }
                    }
                    comps.push(comp);
                }
            }
        }
    }
    let mut out = Vec::new();
    for comp in comps {
        let looped = comp.len() > 1 || adj[comp[0]].contains(&comp[0]);
        if !looped {
            continue;
        }
        let members: HashSet<usize> = comp.iter().copied().collect();
        let first = comp.iter().copied().min().unwrap_or(comp[0]);
        out.push(path_back(adj, &members, first));
    }
    out.sort_by_key(|c| c[0]);
    out
}

/// A shortest path from `start` back to itself inside one component.
fn path_back(adj: &[Vec<usize>], members: &HashSet<usize>, start: usize) -> Vec<usize> {
    let mut prev: HashMap<usize, usize> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    let mut seen = HashSet::from([start]);
    while let Some(v) = queue.pop_front() {
        for &w in &adj[v] {
            if !members.contains(&w) {
                continue;
            }
            if w == start {
                let mut path = vec![v];
                let mut cur = v;
                while cur != start {
                    cur = prev[&cur];
                    path.push(cur);
                }
                path.reverse();
                return path;
            }
            if seen.insert(w) {
                prev.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    vec![start]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(rev: &str, down: &[&str]) -> Node {
        Node {
            revision: rev.into(),
            down_revisions: Some(down.iter().map(|s| s.to_string()).collect()),
            ..Node::default()
        }
    }

    fn ids(nodes: &[Node], idx: &[usize]) -> Vec<String> {
        idx.iter().map(|&i| nodes[i].revision.clone()).collect()
    }

    #[test]
    fn linear_history_has_one_head_and_one_base() {
        let nodes = [node("a", &[]), node("b", &["a"]), node("c", &["b"])];
        let g = Graph::build(&nodes);
        assert_eq!(ids(&nodes, &g.heads), ["c"]);
        assert_eq!(ids(&nodes, &g.bases), ["a"]);
        assert!(g.conflicting_heads.is_empty() && g.cycles.is_empty());
        assert!(g.broken_links.is_empty() && g.duplicates.is_empty());
    }

    #[test]
    fn fork_is_a_conflict_and_merge_resolves_it() {
        let mut nodes = vec![node("a", &[]), node("b", &["a"]), node("c", &["a"])];
        let g = Graph::build(&nodes);
        assert_eq!(ids(&nodes, &g.heads), ["b", "c"]);
        assert_eq!(ids(&nodes, &g.branch_points), ["a"]);
        assert_eq!(g.conflicting_heads.len(), 1);
        nodes.push(node("m", &["b", "c"]));
        let g = Graph::build(&nodes);
        assert_eq!(ids(&nodes, &g.heads), ["m"]);
        assert_eq!(ids(&nodes, &g.merge_points), ["m"]);
        assert!(g.conflicting_heads.is_empty());
    }

    #[test]
    fn labelled_branches_are_told_apart_but_not_within_a_label() {
        let mut gxy = node("g1", &[]);
        gxy.branch_labels = vec!["gxy".into()];
        let mut tsi = node("t1", &[]);
        tsi.branch_labels = vec!["tsi".into()];
        let mut nodes = vec![gxy, node("g2", &["g1"]), tsi, node("t2", &["t1"])];
        let g = Graph::build(&nodes);
        assert_eq!(ids(&nodes, &g.heads), ["g2", "t2"]);
        assert_eq!(ids(&nodes, &g.bases), ["g1", "t1"]);
        assert!(g.conflicting_heads.is_empty());
        assert_eq!(
            g.labels_of_head(1).unwrap().iter().collect::<Vec<_>>(),
            ["gxy"]
        );
        nodes.push(node("g3", &["g1"]));
        let g = Graph::build(&nodes);
        assert_eq!(g.conflicting_heads.len(), 1);
        assert_eq!(ids(&nodes, &g.conflicting_heads[0]), ["g2", "g3"]);
    }

    #[test]
    fn depends_on_does_not_remove_a_head_and_may_name_a_label() {
        let mut a = node("a", &[]);
        a.branch_labels = vec!["one".into()];
        let mut b = node("b", &[]);
        b.branch_labels = vec!["two".into()];
        b.depends_on = vec!["one".into(), "zzz".into()];
        let nodes = [a, b];
        let g = Graph::build(&nodes);
        assert_eq!(ids(&nodes, &g.heads), ["a", "b"]);
        assert_eq!(
            g.broken_links,
            [BrokenLink {
                from: 1,
                target: "zzz".into(),
                kind: LinkKind::DependsOn
            }]
        );
    }

    #[test]
    fn broken_links_duplicates_and_cycles() {
        let nodes = [
            node("a", &["c"]),
            node("b", &["a"]),
            node("c", &["b"]),
            node("d", &["nope"]),
            node("d", &[]),
            node("s", &["s"]),
        ];
        let g = Graph::build(&nodes);
        assert_eq!(g.duplicates, [("d".to_string(), vec![3, 4])]);
        // The second `d` replaced the first, whose link is not followed.
        assert!(g.broken_links.is_empty());
        assert_eq!(g.cycles, [vec![0, 2, 1], vec![5]]);
        let nodes = [node("a", &[]), node("b", &["x"])];
        let g = Graph::build(&nodes);
        assert_eq!(g.broken_links[0].target, "x");
    }

    #[test]
    fn unreadable_down_revision_is_neither_base_nor_link() {
        let mut b = node("b", &[]);
        b.down_revisions = None;
        let nodes = [node("a", &[]), b];
        let g = Graph::build(&nodes);
        assert_eq!(ids(&nodes, &g.bases), ["a"]);
        assert_eq!(ids(&nodes, &g.heads), ["a", "b"]);
    }
}
