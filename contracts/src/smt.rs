//! The state commitment: a binary sparse Merkle tree over `SHA-256(key)`, with single-entry
//! subtrees shortened to one leaf (as Diem's Jellyfish Merkle tree, radix 2).
//!
//! Definition of the root, independent of the order in which entries were written:
//! - a subtree with no entries hashes to 32 zero bytes;
//! - a subtree with one entry is a leaf, hashing to
//!   `SHA-256("tradeledger/v1/state-entry" ‖ 0x00 ‖ SHA-256(key) ‖ SHA-256(value))`;
//! - a subtree with two or more entries hashes to `SHA-256(0x01 ‖ left ‖ right)` (the RFC 6962
//!   node hash of [`tradeledger_types::merkle`]), split on the next bit of the key hashes.
//!
//! Nodes are kept in the same [`Store`] as the values (under the `t` prefix), one per position
//! (depth and path bits), so an update reads and writes one node per level: O(log n) for n
//! entries, about 25 levels for tens of millions of keys.

use crate::error::{ExecError, printable_key};
use crate::store::Store;
use tradeledger_types::domain::sha256;
use tradeledger_types::{Domain, Hash32, merkle};

/// Prefix of tree nodes in the store.
pub(crate) const NODE_PREFIX: u8 = b't';

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Leaf {
        key_hash: Hash32,
        value_hash: Hash32,
    },
    Internal {
        left: Hash32,
        right: Hash32,
    },
}

impl Node {
    fn hash(&self) -> Hash32 {
        match self {
            Node::Leaf {
                key_hash,
                value_hash,
            } => leaf_hash(key_hash, value_hash),
            Node::Internal { left, right } => merkle::node_hash(left, right),
        }
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(65);
        let (tag, a, b) = match self {
            Node::Leaf {
                key_hash,
                value_hash,
            } => (0u8, key_hash, value_hash),
            Node::Internal { left, right } => (1u8, left, right),
        };
        out.push(tag);
        out.extend_from_slice(&a.0);
        out.extend_from_slice(&b.0);
        out
    }

    fn decode(pos: &[u8], bytes: &[u8]) -> Result<Node, ExecError> {
        let corrupt = || ExecError::CorruptState {
            key: printable_key(pos),
            reason: "not a tree node".into(),
        };
        if bytes.len() != 65 {
            return Err(corrupt());
        }
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        a.copy_from_slice(&bytes[1..33]);
        b.copy_from_slice(&bytes[33..65]);
        match bytes[0] {
            0 => Ok(Node::Leaf {
                key_hash: Hash32(a),
                value_hash: Hash32(b),
            }),
            1 => Ok(Node::Internal {
                left: Hash32(a),
                right: Hash32(b),
            }),
            _ => Err(corrupt()),
        }
    }
}

/// The hash of one state entry (a leaf).
pub fn leaf_hash(key_hash: &Hash32, value_hash: &Hash32) -> Hash32 {
    let mut body = [0u8; 64];
    body[..32].copy_from_slice(&key_hash.0);
    body[32..].copy_from_slice(&value_hash.0);
    Domain::STATE_ENTRY.hash(&body)
}

fn bit(h: &Hash32, i: usize) -> bool {
    (h.0[i / 8] >> (7 - i % 8)) & 1 == 1
}

/// Store key of the node at `depth` on the path of `h`: `t ‖ depth (u16 BE) ‖ path bits`.
fn position(depth: usize, h: &Hash32) -> Vec<u8> {
    let nbytes = depth.div_ceil(8);
    let mut out = Vec::with_capacity(3 + nbytes);
    out.push(NODE_PREFIX);
    out.extend_from_slice(
        &u16::try_from(depth)
            .expect("depth is at most 256")
            .to_be_bytes(),
    );
    out.extend_from_slice(&h.0[..nbytes]);
    if !depth.is_multiple_of(8) {
        let last = out.len() - 1;
        out[last] &= 0xffu8 << (8 - depth % 8);
    }
    out
}

fn read<S: Store>(store: &S, depth: usize, h: &Hash32) -> Result<Option<Node>, ExecError> {
    let pos = position(depth, h);
    match store.get(&pos)? {
        Some(bytes) => Node::decode(&pos, &bytes).map(Some),
        None => Ok(None),
    }
}

fn write<S: Store>(
    store: &mut S,
    depth: usize,
    h: &Hash32,
    node: &Node,
) -> Result<Hash32, ExecError> {
    store.put(&position(depth, h), &node.encode())?;
    Ok(node.hash())
}

/// A subtree after an update. An `Internal` subtree's node is written at its position; a `Leaf`
/// is not yet placed (its parent decides how high it goes) and may still be stored at `at`.
#[derive(Debug, Clone, Copy)]
enum Sub {
    Empty,
    Leaf {
        key_hash: Hash32,
        value_hash: Hash32,
        at: Option<usize>,
    },
    Internal(Hash32),
    /// An untouched non-empty subtree known only by its hash.
    Unknown(Hash32),
}

/// The root of the tree held in `store` (zero for an empty state).
pub fn root<S: Store>(store: &S) -> Result<Hash32, ExecError> {
    Ok(read(store, 0, &Hash32::ZERO)?.map_or(Hash32::ZERO, |n| n.hash()))
}

/// Sets the entry for `key` to `value` (`None` removes it) and updates the nodes on its path.
pub fn update<S: Store>(store: &mut S, key: &[u8], value: Option<&[u8]>) -> Result<(), ExecError> {
    update_batch(store, &[(sha256(key), value.map(sha256))])
}

/// Applies many changes at once: `(SHA-256(key), Some(SHA-256(value)))` to set, `None` to remove;
/// sorted by key hash, each key hash once. Every node on the union of the paths is read and
/// written once, so a block's changes cost far less than one path each.
///
/// # Panics
/// If `changes` is not sorted by key hash without repeats (a caller bug).
pub fn update_batch<S: Store>(
    store: &mut S,
    changes: &[(Hash32, Option<Hash32>)],
) -> Result<(), ExecError> {
    assert!(
        changes.windows(2).all(|w| w[0].0 < w[1].0),
        "changes must be sorted by key hash, each once"
    );
    if changes.is_empty() {
        return Ok(());
    }
    let current = read(store, 0, &Hash32::ZERO)?;
    let sub = apply(store, 0, current, changes)?;
    if let Sub::Leaf { .. } = sub {
        place(store, 0, sub)?;
    }
    Ok(())
}

type Changes = [(Hash32, Option<Hash32>)];

/// Updates the subtree at `depth` on the path of `changes[0]`, whose node is `current`.
/// On return the position holds a node only if the result is `Internal`.
fn apply<S: Store>(
    store: &mut S,
    depth: usize,
    current: Option<Node>,
    changes: &Changes,
) -> Result<Sub, ExecError> {
    let path = changes[0].0;
    match current {
        None => build(store, depth, &entries_of(changes, None)),
        Some(Node::Leaf {
            key_hash,
            value_hash,
        }) => {
            store.delete(&position(depth, &path))?;
            build(
                store,
                depth,
                &entries_of(changes, Some((key_hash, value_hash))),
            )
        }
        Some(Node::Internal { left, right }) => {
            let split = changes.partition_point(|(k, _)| !bit(k, depth));
            let l = child(store, depth, left, &changes[..split])?;
            let r = child(store, depth, right, &changes[split..])?;
            combine(store, depth, &path, l, r)
        }
    }
}

/// One side of an internal node at `depth`: untouched, or updated recursively.
fn child<S: Store>(
    store: &mut S,
    depth: usize,
    hash: Hash32,
    part: &Changes,
) -> Result<Sub, ExecError> {
    if part.is_empty() {
        return Ok(if hash == Hash32::ZERO {
            Sub::Empty
        } else {
            Sub::Unknown(hash)
        });
    }
    let node = if hash == Hash32::ZERO {
        None
    } else {
        read(store, depth + 1, &part[0].0)?
    };
    apply(store, depth + 1, node, part)
}

/// The entries of a subtree that held at most `existing`, after `changes`.
fn entries_of(changes: &Changes, existing: Option<(Hash32, Hash32)>) -> Vec<(Hash32, Hash32)> {
    let mut out: Vec<(Hash32, Hash32)> = changes
        .iter()
        .filter_map(|(k, v)| v.map(|v| (*k, v)))
        .collect();
    if let Some((k, v)) = existing
        && changes.binary_search_by(|(c, _)| c.cmp(&k)).is_err()
    {
        let i = out.partition_point(|(c, _)| *c < k);
        out.insert(i, (k, v));
    }
    out
}

/// Writes the canonical subtree of `entries` (sorted) below `depth`, where nothing is stored.
fn build<S: Store>(
    store: &mut S,
    depth: usize,
    entries: &[(Hash32, Hash32)],
) -> Result<Sub, ExecError> {
    match entries {
        [] => Ok(Sub::Empty),
        [(k, v)] => Ok(Sub::Leaf {
            key_hash: *k,
            value_hash: *v,
            at: None,
        }),
        _ => {
            let split = entries.partition_point(|(k, _)| !bit(k, depth));
            let l = build(store, depth + 1, &entries[..split])?;
            let r = build(store, depth + 1, &entries[split..])?;
            combine(store, depth, &entries[0].0, l, r)
        }
    }
}

/// Resolves an untouched subtree below `depth` (on side `right`) to a leaf, if it is one.
fn resolve<S: Store>(
    store: &S,
    depth: usize,
    path: &Hash32,
    right: bool,
    sub: Sub,
) -> Result<Sub, ExecError> {
    let Sub::Unknown(hash) = sub else {
        return Ok(sub);
    };
    let mut p = *path;
    if right {
        p.0[depth / 8] |= 1 << (7 - depth % 8);
    } else {
        p.0[depth / 8] &= !(1 << (7 - depth % 8));
    }
    match read(store, depth + 1, &p)? {
        Some(Node::Leaf {
            key_hash,
            value_hash,
        }) => Ok(Sub::Leaf {
            key_hash,
            value_hash,
            at: Some(depth + 1),
        }),
        Some(Node::Internal { .. }) => Ok(Sub::Internal(hash)),
        None => Err(ExecError::CorruptState {
            key: printable_key(&position(depth + 1, &p)),
            reason: "a tree node named by its parent is missing".into(),
        }),
    }
}

/// Joins two child subtrees at `depth`: nothing or a single leaf rises to the parent; otherwise
/// an internal node is written here with its leaves placed just below.
fn combine<S: Store>(
    store: &mut S,
    depth: usize,
    path: &Hash32,
    l: Sub,
    r: Sub,
) -> Result<Sub, ExecError> {
    // An untouched sibling matters only if the other side may rise into this node.
    let l_small = matches!(l, Sub::Empty | Sub::Leaf { .. });
    let r_small = matches!(r, Sub::Empty | Sub::Leaf { .. });
    let l = if r_small {
        resolve(store, depth, path, false, l)?
    } else {
        l
    };
    let r = if l_small {
        resolve(store, depth, path, true, r)?
    } else {
        r
    };
    match (l, r) {
        (Sub::Empty, Sub::Empty) => {
            store.delete(&position(depth, path))?;
            Ok(Sub::Empty)
        }
        (leaf @ Sub::Leaf { .. }, Sub::Empty) | (Sub::Empty, leaf @ Sub::Leaf { .. }) => {
            store.delete(&position(depth, path))?;
            Ok(leaf)
        }
        (l, r) => {
            let left = place(store, depth + 1, l)?;
            let right = place(store, depth + 1, r)?;
            Ok(Sub::Internal(write(
                store,
                depth,
                path,
                &Node::Internal { left, right },
            )?))
        }
    }
}

/// Stores a subtree's root at `depth` if it is a leaf not already there; returns its hash.
fn place<S: Store>(store: &mut S, depth: usize, sub: Sub) -> Result<Hash32, ExecError> {
    match sub {
        Sub::Empty => Ok(Hash32::ZERO),
        Sub::Internal(h) | Sub::Unknown(h) => Ok(h),
        Sub::Leaf {
            key_hash,
            value_hash,
            at,
        } => {
            let node = Node::Leaf {
                key_hash,
                value_hash,
            };
            if at == Some(depth) {
                return Ok(node.hash());
            }
            if let Some(old) = at {
                store.delete(&position(old, &key_hash))?;
            }
            write(store, depth, &key_hash, &node)
        }
    }
}

/// The root computed from scratch over `(key hash, value hash)` pairs (sorted, unique): the
/// definition above, written plainly. Used by tests and by auditors who rebuild from a snapshot.
pub fn root_of_entries(entries: &[(Hash32, Hash32)]) -> Hash32 {
    fn go(entries: &[(Hash32, Hash32)], depth: usize) -> Hash32 {
        match entries {
            [] => Hash32::ZERO,
            [(k, v)] => leaf_hash(k, v),
            _ => {
                let split = entries.partition_point(|(k, _)| !bit(k, depth));
                merkle::node_hash(
                    &go(&entries[..split], depth + 1),
                    &go(&entries[split..], depth + 1),
                )
            }
        }
    }
    go(entries, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemStore;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn expected(model: &BTreeMap<Vec<u8>, Vec<u8>>) -> Hash32 {
        let mut entries: Vec<(Hash32, Hash32)> =
            model.iter().map(|(k, v)| (sha256(k), sha256(v))).collect();
        entries.sort();
        root_of_entries(&entries)
    }

    #[test]
    fn empty_tree_root_is_zero() {
        assert_eq!(root(&MemStore::new()).expect("mem store"), Hash32::ZERO);
    }

    #[test]
    fn one_entry_root_is_its_leaf() {
        let mut s = MemStore::new();
        update(&mut s, b"k", Some(b"v")).expect("mem store");
        assert_eq!(
            root(&s).expect("mem store"),
            leaf_hash(&sha256(b"k"), &sha256(b"v"))
        );
        update(&mut s, b"k", None).expect("mem store");
        assert_eq!(root(&s).expect("mem store"), Hash32::ZERO);
        assert!(
            s.is_empty(),
            "removing the last entry leaves no nodes behind"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// The tree after any sequence of batches equals the from-scratch definition, and the nodes
        /// it keeps depend only on the entries (history independence), not on how they were written.
        #[test]
        fn batched_updates_match_definition(
            batches in prop::collection::vec(prop::collection::vec((0u8..48, prop::option::of(0u8..4)), 0..40), 1..12)
        ) {
            let mut s = MemStore::new();
            let mut model = BTreeMap::new();
            for batch in &batches {
                let mut last: BTreeMap<Vec<u8>, Option<u8>> = BTreeMap::new();
                for (k, v) in batch {
                    last.insert(vec![b'k', *k], *v);
                }
                let mut changes: Vec<(Hash32, Option<Hash32>)> =
                    last.iter().map(|(k, v)| (sha256(k), v.map(|v| sha256(&[v])))).collect();
                changes.sort_unstable_by_key(|c| c.0);
                update_batch(&mut s, &changes).expect("mem store");
                for (k, v) in last {
                    match v {
                        Some(v) => { model.insert(k, vec![v]); }
                        None => { model.remove(&k); }
                    }
                }
                prop_assert_eq!(root(&s).expect("mem store"), expected(&model));
            }
            let mut one_by_one = MemStore::new();
            for (k, v) in model.iter().rev() {
                update(&mut one_by_one, k, Some(v)).expect("mem store");
            }
            prop_assert_eq!(one_by_one, s);
        }
    }
}
