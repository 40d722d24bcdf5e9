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
    Leaf { key_hash: Hash32, value_hash: Hash32 },
    Internal { left: Hash32, right: Hash32 },
}

impl Node {
    fn hash(&self) -> Hash32 {
        match self {
            Node::Leaf { key_hash, value_hash } => leaf_hash(key_hash, value_hash),
            Node::Internal { left, right } => merkle::node_hash(left, right),
        }
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(65);
        let (tag, a, b) = match self {
            Node::Leaf { key_hash, value_hash } => (0u8, key_hash, value_hash),
            Node::Internal { left, right } => (1u8, left, right),
        };
        out.push(tag);
        out.extend_from_slice(&a.0);
        out.extend_from_slice(&b.0);
        out
    }

    fn decode(pos: &[u8], bytes: &[u8]) -> Result<Node, ExecError> {
        let corrupt = || ExecError::CorruptState { key: printable_key(pos), reason: "not a tree node".into() };
        if bytes.len() != 65 {
            return Err(corrupt());
        }
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        a.copy_from_slice(&bytes[1..33]);
        b.copy_from_slice(&bytes[33..65]);
        match bytes[0] {
            0 => Ok(Node::Leaf { key_hash: Hash32(a), value_hash: Hash32(b) }),
            1 => Ok(Node::Internal { left: Hash32(a), right: Hash32(b) }),
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
    out.extend_from_slice(&u16::try_from(depth).expect("depth is at most 256").to_be_bytes());
    out.extend_from_slice(&h.0[..nbytes]);
    if !depth.is_multiple_of(8) {
        let last = out.len() - 1;
        out[last] &= 0xffu8 << (8 - depth % 8);
    }
    out
}

fn first_diff_bit(a: &Hash32, b: &Hash32) -> usize {
    for i in 0..32 {
        let x = a.0[i] ^ b.0[i];
        if x != 0 {
            return i * 8 + x.leading_zeros() as usize;
        }
    }
    256
}

fn read<S: Store>(store: &S, depth: usize, h: &Hash32) -> Result<Option<Node>, ExecError> {
    let pos = position(depth, h);
    match store.get(&pos)? {
        Some(bytes) => Node::decode(&pos, &bytes).map(Some),
        None => Ok(None),
    }
}

fn write<S: Store>(store: &mut S, depth: usize, h: &Hash32, node: &Node) -> Result<Hash32, ExecError> {
    store.put(&position(depth, h), &node.encode())?;
    Ok(node.hash())
}

fn with_child(node: &Node, right: bool, child: Hash32) -> Node {
    match *node {
        Node::Internal { left, right: r } => {
            if right {
                Node::Internal { left, right: child }
            } else {
                Node::Internal { left: child, right: r }
            }
        }
        Node::Leaf { .. } => unreachable!("only internal nodes are on the path stack"),
    }
}

/// The root of the tree held in `store` (zero for an empty state).
pub fn root<S: Store>(store: &S) -> Result<Hash32, ExecError> {
    Ok(read(store, 0, &Hash32::ZERO)?.map_or(Hash32::ZERO, |n| n.hash()))
}

/// Sets the entry for `key` to `value` (`None` removes it) and updates the nodes on its path.
pub fn update<S: Store>(store: &mut S, key: &[u8], value: Option<&[u8]>) -> Result<(), ExecError> {
    let kh = sha256(key);
    match value {
        Some(v) => insert(store, kh, sha256(v)),
        None => remove(store, kh),
    }
}

fn insert<S: Store>(store: &mut S, kh: Hash32, vh: Hash32) -> Result<(), ExecError> {
    let leaf = Node::Leaf { key_hash: kh, value_hash: vh };
    let mut stack: Vec<Node> = Vec::new();
    let mut depth = 0usize;
    let mut below: Hash32;
    loop {
        let existing = if depth == 0 || stack.last().is_some_and(|p| child_of(p, bit(&kh, depth - 1)) != Hash32::ZERO) {
            read(store, depth, &kh)?
        } else {
            None
        };
        match existing {
            None => {
                below = write(store, depth, &kh, &leaf)?;
                break;
            }
            Some(Node::Leaf { key_hash, .. }) if key_hash == kh => {
                below = write(store, depth, &kh, &leaf)?;
                break;
            }
            Some(other @ Node::Leaf { key_hash: k2, .. }) => {
                let p = first_diff_bit(&kh, &k2);
                assert!(p >= depth && p < 256, "two leaves on one path share its prefix");
                let ours = write(store, p + 1, &kh, &leaf)?;
                let theirs = write(store, p + 1, &k2, &other)?;
                let split = if bit(&kh, p) {
                    Node::Internal { left: theirs, right: ours }
                } else {
                    Node::Internal { left: ours, right: theirs }
                };
                below = write(store, p, &kh, &split)?;
                for q in (depth..p).rev() {
                    let n = if bit(&kh, q) {
                        Node::Internal { left: Hash32::ZERO, right: below }
                    } else {
                        Node::Internal { left: below, right: Hash32::ZERO }
                    };
                    below = write(store, q, &kh, &n)?;
                }
                break;
            }
            Some(internal @ Node::Internal { .. }) => {
                stack.push(internal);
                depth += 1;
            }
        }
    }
    for (d, node) in stack.iter().enumerate().rev() {
        below = write(store, d, &kh, &with_child(node, bit(&kh, d), below))?;
    }
    Ok(())
}

fn child_of(node: &Node, right: bool) -> Hash32 {
    match node {
        Node::Internal { left, right: r } => {
            if right {
                *r
            } else {
                *left
            }
        }
        Node::Leaf { .. } => Hash32::ZERO,
    }
}

enum Up {
    Empty,
    Lift(Node),
    Fixed(Hash32),
}

fn remove<S: Store>(store: &mut S, kh: Hash32) -> Result<(), ExecError> {
    let mut stack: Vec<Node> = Vec::new();
    let mut depth = 0usize;
    loop {
        if depth > 0 && stack.last().is_some_and(|p| child_of(p, bit(&kh, depth - 1)) == Hash32::ZERO) {
            return Ok(()); // absent
        }
        match read(store, depth, &kh)? {
            None => return Ok(()),
            Some(Node::Leaf { key_hash, .. }) if key_hash == kh => break,
            Some(Node::Leaf { .. }) => return Ok(()),
            Some(internal) => {
                stack.push(internal);
                depth += 1;
            }
        }
    }
    store.delete(&position(depth, &kh))?;
    let mut up = Up::Empty;
    for (d, node) in stack.iter().enumerate().rev() {
        let side = bit(&kh, d);
        let sibling = child_of(node, !side);
        up = match up {
            Up::Empty if sibling == Hash32::ZERO => {
                store.delete(&position(d, &kh))?;
                Up::Empty
            }
            Up::Empty => {
                let mut sib_path = kh;
                sib_path.0[d / 8] ^= 1 << (7 - d % 8);
                match read(store, d + 1, &sib_path)? {
                    Some(leaf @ Node::Leaf { .. }) => {
                        store.delete(&position(d + 1, &sib_path))?;
                        store.delete(&position(d, &kh))?;
                        Up::Lift(leaf)
                    }
                    Some(Node::Internal { .. }) => Up::Fixed(write(store, d, &kh, &with_child(node, side, Hash32::ZERO))?),
                    None => {
                        return Err(ExecError::CorruptState {
                            key: printable_key(&position(d + 1, &sib_path)),
                            reason: "a tree node named by its parent is missing".into(),
                        });
                    }
                }
            }
            Up::Lift(leaf) if sibling == Hash32::ZERO => {
                store.delete(&position(d, &kh))?;
                Up::Lift(leaf)
            }
            Up::Lift(leaf) => {
                let h = write(store, d + 1, &kh, &leaf)?;
                Up::Fixed(write(store, d, &kh, &with_child(node, side, h))?)
            }
            Up::Fixed(h) => Up::Fixed(write(store, d, &kh, &with_child(node, side, h))?),
        };
    }
    if let Up::Lift(leaf) = up {
        write(store, 0, &kh, &leaf)?;
    }
    Ok(())
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
                merkle::node_hash(&go(&entries[..split], depth + 1), &go(&entries[split..], depth + 1))
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
        let mut entries: Vec<(Hash32, Hash32)> = model.iter().map(|(k, v)| (sha256(k), sha256(v))).collect();
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
        assert_eq!(root(&s).expect("mem store"), leaf_hash(&sha256(b"k"), &sha256(b"v")));
        update(&mut s, b"k", None).expect("mem store");
        assert_eq!(root(&s).expect("mem store"), Hash32::ZERO);
        assert!(s.is_empty(), "removing the last entry leaves no nodes behind");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// The incremental tree always equals the from-scratch definition, and the nodes it keeps
        /// depend only on the entries (history independence), not on the order of writes.
        #[test]
        fn incremental_root_matches_definition(ops in prop::collection::vec((0u8..40, prop::option::of(0u8..4)), 1..120)) {
            let mut s = MemStore::new();
            let mut model = BTreeMap::new();
            for (k, v) in &ops {
                let key = vec![b'k', *k];
                match v {
                    Some(v) => { update(&mut s, &key, Some(&[*v])).expect("mem store"); model.insert(key, vec![*v]); }
                    None => { update(&mut s, &key, None).expect("mem store"); model.remove(&key); }
                }
                prop_assert_eq!(root(&s).expect("mem store"), expected(&model));
            }
            let mut fresh = MemStore::new();
            for (k, v) in model.iter().rev() {
                update(&mut fresh, k, Some(v)).expect("mem store");
            }
            prop_assert_eq!(fresh, s);
        }
    }
}
