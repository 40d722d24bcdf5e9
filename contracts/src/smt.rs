//! The state commitment: a radix-16 sparse Merkle tree over `SHA-256(key)`, with single-entry
//! subtrees shortened to one leaf (as Diem's Jellyfish Merkle tree).
//!
//! Definition of the root, independent of the order in which entries were written:
//! - a subtree with no entries hashes to 32 zero bytes;
//! - a subtree with one entry is a leaf, hashing to
//!   `SHA-256("tradeledger/v1/state-entry" ‖ 0x00 ‖ SHA-256(key) ‖ SHA-256(value))`;
//! - a subtree with two or more entries is split on the next nibble (4 bits, high nibble of each
//!   byte first) of the key hashes into 16 children, and hashes to
//!   `SHA-256("tradeledger/v1/state-node" ‖ 0x00 ‖ bitmap ‖ child hashes)`, where `bitmap`
//!   (u16, big-endian; bit `15 − i` for child `i`) marks the non-empty children and their
//!   hashes follow in nibble order.
//!
//! Only internal nodes are stored (under the `t` prefix, one per position: depth in nibbles and
//! path), each holding its children: a leaf child inline (its key hash and its leaf hash, so an
//! update never re-hashes the leaves it does not change), an internal child by its hash. A state of one entry stores that leaf as the root. An update reads and
//! writes one node per four bits of depth: about 6 for tens of millions of keys, a quarter of
//! what a binary tree costs (the nodes are larger, but a RocksDB write costs by the entry more
//! than by the byte).

use crate::error::{ExecError, printable_key};
use crate::store::Store;
use tradeledger_types::domain::sha256;
use tradeledger_types::{Domain, Hash32};

/// Prefix of tree nodes in the store: every key that starts with it is a tree node (state
/// values start with `v`).
pub const NODE_PREFIX: u8 = b't';
/// Children of an internal node.
const RADIX: usize = 16;
/// Nibbles in a key hash: no path is longer.
const DEPTH_MAX: usize = 64;

/// One child of an internal node (absent children are `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Child {
    /// A subtree of one entry: its key hash and its [`leaf_hash`].
    Leaf { key_hash: Hash32, leaf: Hash32 },
    /// A subtree of two or more entries: an internal node stored one level down.
    Node(Hash32),
}

impl Child {
    fn hash(&self) -> Hash32 {
        match self {
            Child::Leaf { leaf, .. } => *leaf,
            Child::Node(h) => *h,
        }
    }
}

type Children = [Option<Child>; RADIX];

/// A stored node.
// Short-lived on the stack, one per node read: boxing the children would add an allocation per
// read to save stack space nobody needs.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stored {
    /// The root of a state holding a single entry: its key hash and its [`leaf_hash`].
    RootLeaf { key_hash: Hash32, leaf: Hash32 },
    /// An internal node.
    Internal(Children),
}

const TAG_ROOT_LEAF: u8 = 0;
const TAG_INTERNAL: u8 = 1;

fn encode_internal(children: &Children) -> Vec<u8> {
    let (mut present, mut leaves) = (0u16, 0u16);
    let mut out = Vec::with_capacity(5 + RADIX * 64);
    out.extend_from_slice(&[TAG_INTERNAL, 0, 0, 0, 0]);
    for (i, c) in children.iter().enumerate() {
        let bit = 1u16 << (15 - i);
        match c {
            None => {}
            Some(Child::Leaf { key_hash, leaf }) => {
                present |= bit;
                leaves |= bit;
                out.extend_from_slice(&key_hash.0);
                out.extend_from_slice(&leaf.0);
            }
            Some(Child::Node(h)) => {
                present |= bit;
                out.extend_from_slice(&h.0);
            }
        }
    }
    out[1..3].copy_from_slice(&present.to_be_bytes());
    out[3..5].copy_from_slice(&leaves.to_be_bytes());
    out
}

fn encode_root_leaf(key_hash: &Hash32, leaf: &Hash32) -> Vec<u8> {
    let mut out = Vec::with_capacity(65);
    out.push(TAG_ROOT_LEAF);
    out.extend_from_slice(&key_hash.0);
    out.extend_from_slice(&leaf.0);
    out
}

fn hash_at(bytes: &[u8], at: usize) -> Option<Hash32> {
    bytes
        .get(at..at + 32)
        .and_then(|s| <[u8; 32]>::try_from(s).ok())
        .map(Hash32)
}

/// Decodes the node stored at `pos` (depth `depth`). Only canonical nodes are accepted: a root
/// leaf only at depth 0, and an internal node only when its subtree holds two or more entries.
fn decode(pos: &[u8], depth: usize, bytes: &[u8]) -> Result<Stored, ExecError> {
    let corrupt = |why: &str| ExecError::CorruptState {
        key: printable_key(pos),
        reason: format!("not a tree node: {why}"),
    };
    match bytes.first() {
        Some(&TAG_ROOT_LEAF) if depth == 0 && bytes.len() == 65 => Ok(Stored::RootLeaf {
            key_hash: hash_at(bytes, 1).ok_or_else(|| corrupt("short leaf"))?,
            leaf: hash_at(bytes, 33).ok_or_else(|| corrupt("short leaf"))?,
        }),
        Some(&TAG_INTERNAL) if bytes.len() >= 5 => {
            let present = u16::from_be_bytes([bytes[1], bytes[2]]);
            let leaves = u16::from_be_bytes([bytes[3], bytes[4]]);
            if leaves & !present != 0 {
                return Err(corrupt("a leaf child that is absent"));
            }
            let count = present.count_ones();
            if count == 0 || (count == 1 && leaves != 0) {
                return Err(corrupt("an internal node over fewer than two entries"));
            }
            let expected = 5 + 32 * count as usize + 32 * leaves.count_ones() as usize;
            if bytes.len() != expected {
                return Err(corrupt("length does not match its children"));
            }
            let mut children: Children = [None; RADIX];
            let mut at = 5;
            for (i, slot) in children.iter_mut().enumerate() {
                let bit = 1u16 << (15 - i);
                if present & bit == 0 {
                    continue;
                }
                let first = hash_at(bytes, at).ok_or_else(|| corrupt("short child"))?;
                at += 32;
                *slot = Some(if leaves & bit != 0 {
                    let leaf = hash_at(bytes, at).ok_or_else(|| corrupt("short child"))?;
                    at += 32;
                    Child::Leaf {
                        key_hash: first,
                        leaf,
                    }
                } else {
                    Child::Node(first)
                });
            }
            Ok(Stored::Internal(children))
        }
        _ => Err(corrupt("unknown tag or length")),
    }
}

/// The hash of one state entry (a leaf).
pub fn leaf_hash(key_hash: &Hash32, value_hash: &Hash32) -> Hash32 {
    let mut body = [0u8; 64];
    body[..32].copy_from_slice(&key_hash.0);
    body[32..].copy_from_slice(&value_hash.0);
    Domain::STATE_ENTRY.hash(&body)
}

/// The hash of an internal node whose children hash to `hashes` (zero for an empty child).
fn node_hash(hashes: &[Hash32; RADIX]) -> Hash32 {
    let mut present = 0u16;
    let mut body = Vec::with_capacity(2 + RADIX * 32);
    body.extend_from_slice(&[0, 0]);
    for (i, h) in hashes.iter().enumerate() {
        if *h != Hash32::ZERO {
            present |= 1 << (15 - i);
            body.extend_from_slice(&h.0);
        }
    }
    body[..2].copy_from_slice(&present.to_be_bytes());
    Domain::STATE_NODE.hash(&body)
}

fn internal_hash(children: &Children) -> Hash32 {
    node_hash(&children.map(|c| c.map_or(Hash32::ZERO, |c| c.hash())))
}

fn nibble(h: &Hash32, depth: usize) -> usize {
    let b = h.0[depth / 2];
    usize::from(if depth.is_multiple_of(2) {
        b >> 4
    } else {
        b & 0x0f
    })
}

/// Store key of the node at `depth` (in nibbles) on the path of `h`: `t ‖ depth (u8) ‖ path`.
fn position(depth: usize, h: &Hash32) -> Vec<u8> {
    let nbytes = depth.div_ceil(2);
    let mut out = Vec::with_capacity(2 + nbytes);
    out.push(NODE_PREFIX);
    out.push(u8::try_from(depth).expect("depth is at most 64"));
    out.extend_from_slice(&h.0[..nbytes]);
    if !depth.is_multiple_of(2) {
        let last = out.len() - 1;
        out[last] &= 0xf0;
    }
    out
}

fn read<S: Store>(store: &S, depth: usize, h: &Hash32) -> Result<Option<Stored>, ExecError> {
    let pos = position(depth, h);
    match store.get(&pos)? {
        Some(bytes) => decode(&pos, depth, &bytes).map(Some),
        None => Ok(None),
    }
}

/// The internal node a parent names at `depth` on the path of `h`.
fn read_internal<S: Store>(store: &S, depth: usize, h: &Hash32) -> Result<Children, ExecError> {
    match read(store, depth, h)? {
        Some(Stored::Internal(children)) => Ok(children),
        other => Err(ExecError::CorruptState {
            key: printable_key(&position(depth, h)),
            reason: if other.is_none() {
                "a tree node named by its parent is missing".into()
            } else {
                "a tree node named by its parent is a leaf".into()
            },
        }),
    }
}

/// The root of the tree held in `store` (zero for an empty state).
pub fn root<S: Store>(store: &S) -> Result<Hash32, ExecError> {
    Ok(match read(store, 0, &Hash32::ZERO)? {
        None => Hash32::ZERO,
        Some(Stored::RootLeaf { leaf, .. }) => leaf,
        Some(Stored::Internal(children)) => internal_hash(&children),
    })
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
    let top = position(0, &Hash32::ZERO);
    let result = match read(store, 0, &Hash32::ZERO)? {
        None => build(store, 0, &entries_of(changes, None))?,
        Some(Stored::RootLeaf { key_hash, leaf }) => {
            build(store, 0, &entries_of(changes, Some((key_hash, leaf))))?
        }
        Some(Stored::Internal(children)) => update_node(store, 0, children, changes)?,
    };
    match result {
        None => store.delete(&top)?,
        Some(Child::Leaf { key_hash, leaf }) => {
            store.put(&top, &encode_root_leaf(&key_hash, &leaf))?
        }
        // Written by `finish` or `build`.
        Some(Child::Node(_)) => {}
    }
    Ok(())
}

type Changes = [(Hash32, Option<Hash32>)];

/// The subtree at `depth` on the path of `changes[0]`, which was `current`, after `changes`.
fn apply<S: Store>(
    store: &mut S,
    depth: usize,
    current: Option<Child>,
    changes: &Changes,
) -> Result<Option<Child>, ExecError> {
    match current {
        None => build(store, depth, &entries_of(changes, None)),
        Some(Child::Leaf { key_hash, leaf }) => {
            build(store, depth, &entries_of(changes, Some((key_hash, leaf))))
        }
        Some(Child::Node(_)) => {
            let children = read_internal(store, depth, &changes[0].0)?;
            update_node(store, depth, children, changes)
        }
    }
}

/// Applies `changes` to the internal node at `depth` whose children were `children`.
fn update_node<S: Store>(
    store: &mut S,
    depth: usize,
    mut children: Children,
    changes: &Changes,
) -> Result<Option<Child>, ExecError> {
    let path = changes[0].0;
    let mut rest = changes;
    while let Some((first, _)) = rest.first() {
        let n = nibble(first, depth);
        let split = rest.partition_point(|(k, _)| nibble(k, depth) == n);
        children[n] = apply(store, depth + 1, children[n], &rest[..split])?;
        rest = &rest[split..];
    }
    finish(store, depth, &path, &children)
}

/// Stores the node at `depth` with `children`, or removes it when its subtree is empty or a
/// single entry (which rises into the parent as a leaf child).
fn finish<S: Store>(
    store: &mut S,
    depth: usize,
    path: &Hash32,
    children: &Children,
) -> Result<Option<Child>, ExecError> {
    let mut present = children.iter().flatten();
    let only = match (present.next(), present.next()) {
        (None, _) => None,
        (Some(leaf @ Child::Leaf { .. }), None) => Some(*leaf),
        _ => {
            store.put(&position(depth, path), &encode_internal(children))?;
            return Ok(Some(Child::Node(internal_hash(children))));
        }
    };
    store.delete(&position(depth, path))?;
    Ok(only)
}

/// The entries of a subtree that held at most `existing`, after `changes`, as
/// `(key hash, leaf hash)`: each changed entry is hashed here, once.
fn entries_of(changes: &Changes, existing: Option<(Hash32, Hash32)>) -> Vec<(Hash32, Hash32)> {
    let mut out: Vec<(Hash32, Hash32)> = changes
        .iter()
        .filter_map(|(k, v)| v.map(|v| (*k, leaf_hash(k, &v))))
        .collect();
    if let Some((k, v)) = existing
        && changes.binary_search_by(|(c, _)| c.cmp(&k)).is_err()
    {
        let i = out.partition_point(|(c, _)| *c < k);
        out.insert(i, (k, v));
    }
    out
}

/// Writes the canonical subtree of `entries` (`(key hash, leaf hash)`, sorted, distinct) at
/// `depth`, where nothing is stored, and returns it as a child.
fn build<S: Store>(
    store: &mut S,
    depth: usize,
    entries: &[(Hash32, Hash32)],
) -> Result<Option<Child>, ExecError> {
    match entries {
        [] => Ok(None),
        [(k, leaf)] => Ok(Some(Child::Leaf {
            key_hash: *k,
            leaf: *leaf,
        })),
        _ => {
            assert!(
                depth < DEPTH_MAX,
                "distinct key hashes part before 64 nibbles"
            );
            let mut children: Children = [None; RADIX];
            let mut rest = entries;
            while let Some((first, _)) = rest.first() {
                let n = nibble(first, depth);
                let split = rest.partition_point(|(k, _)| nibble(k, depth) == n);
                children[n] = build(store, depth + 1, &rest[..split])?;
                rest = &rest[split..];
            }
            finish(store, depth, &entries[0].0, &children)
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
                let mut hashes = [Hash32::ZERO; RADIX];
                for (n, h) in hashes.iter_mut().enumerate() {
                    let lo = entries.partition_point(|(k, _)| nibble(k, depth) < n);
                    let hi = entries.partition_point(|(k, _)| nibble(k, depth) <= n);
                    *h = go(&entries[lo..hi], depth + 1);
                }
                node_hash(&hashes)
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

    fn hash_with_last(last: u8) -> Hash32 {
        let mut h = Hash32([0xab; 32]);
        h.0[31] = last;
        h
    }

    #[test]
    fn key_hashes_that_part_only_at_the_last_nibble_nest_64_levels() {
        let mut s = MemStore::new();
        let (a, b) = (hash_with_last(0xa1), hash_with_last(0xa2));
        let v = sha256(b"v");
        update_batch(&mut s, &[(a, Some(v)), (b, Some(v))]).expect("mem store");
        assert_eq!(
            root(&s).expect("mem store"),
            root_of_entries(&[(a, v), (b, v)])
        );
        // One internal node per nibble of the shared path, and the one where they part.
        assert_eq!(s.len(), 64);
        update_batch(&mut s, &[(a, None)]).expect("mem store");
        assert_eq!(root(&s).expect("mem store"), leaf_hash(&b, &v));
        assert_eq!(s.len(), 1, "only the root leaf is left");
    }

    #[test]
    fn a_non_canonical_node_is_refused() {
        let mut children: Children = [None; RADIX];
        children[3] = Some(Child::Leaf {
            key_hash: Hash32([1; 32]),
            leaf: Hash32([2; 32]),
        });
        let pos = position(1, &Hash32([0x30; 32]));
        let err = decode(&pos, 1, &encode_internal(&children)).expect_err("one leaf");
        assert!(err.to_string().contains("fewer than two entries"), "{err}");
        let leaf = encode_root_leaf(&Hash32([1; 32]), &Hash32([2; 32]));
        assert!(
            decode(&pos, 1, &leaf).is_err(),
            "a root leaf below the root"
        );
        assert!(decode(&pos, 0, &leaf[..64]).is_err(), "truncated");
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
