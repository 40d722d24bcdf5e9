//! SHA-256 Merkle trees as in RFC 6962 / RFC 9162: leaves hashed as `H(0x00 ‖ leaf)`, interior
//! nodes as `H(0x01 ‖ left ‖ right)`, so a leaf can never pass for a node; the empty tree's root
//! is `H("")`. A tree of `n` leaves splits at the largest power of two below `n`.

use crate::{Hash32, wire_struct};
use sha2::{Digest, Sha256};

/// `H(0x00 ‖ data)`.
pub fn leaf_hash(data: &[u8]) -> Hash32 {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    Hash32(h.finalize().into())
}

/// `H(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash32, right: &Hash32) -> Hash32 {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left.0);
    h.update(right.0);
    Hash32(h.finalize().into())
}

/// The root over already-hashed leaves (`leaf_hash` of each item).
fn root_of_hashes(hashes: &[Hash32]) -> Hash32 {
    match hashes.len() {
        0 => Hash32(Sha256::digest([]).into()),
        1 => hashes[0],
        n => {
            let k = split(n);
            node_hash(&root_of_hashes(&hashes[..k]), &root_of_hashes(&hashes[k..]))
        }
    }
}

/// Largest power of two strictly below `n` (n ≥ 2).
fn split(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// The Merkle root over `leaves` (each a byte string; for events, the 32-byte event id).
pub fn root<L: AsRef<[u8]>>(leaves: &[L]) -> Hash32 {
    let hashes: Vec<Hash32> = leaves.iter().map(|l| leaf_hash(l.as_ref())).collect();
    root_of_hashes(&hashes)
}

wire_struct! {
    /// Proof that a leaf is at `index` in a tree of `leaf_count` leaves with a given root
    /// (the RFC 9162 audit path, nearest sibling first).
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct InclusionProof {
        /// Position of the leaf.
        pub index: u64,
        /// Number of leaves in the tree.
        pub leaf_count: u64,
        /// Sibling hashes from the leaf up.
        pub path: Vec<Hash32>,
    }
}

/// The inclusion proof for `leaves[index]`, or `None` if out of range.
pub fn prove<L: AsRef<[u8]>>(leaves: &[L], index: usize) -> Option<InclusionProof> {
    if index >= leaves.len() {
        return None;
    }
    let hashes: Vec<Hash32> = leaves.iter().map(|l| leaf_hash(l.as_ref())).collect();
    let mut path = Vec::new();
    audit_path(index, &hashes, &mut path);
    Some(InclusionProof {
        index: index as u64,
        leaf_count: leaves.len() as u64,
        path,
    })
}

fn audit_path(m: usize, hashes: &[Hash32], out: &mut Vec<Hash32>) {
    let n = hashes.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    if m < k {
        audit_path(m, &hashes[..k], out);
        out.push(root_of_hashes(&hashes[k..]));
    } else {
        audit_path(m - k, &hashes[k..], out);
        out.push(root_of_hashes(&hashes[..k]));
    }
}

impl InclusionProof {
    /// True when `leaf` is at `self.index` in a tree of `self.leaf_count` leaves with `root`
    /// (RFC 9162 §2.1.3.2).
    pub fn verify(&self, leaf: &[u8], root: &Hash32) -> bool {
        if self.index >= self.leaf_count || self.path.len() > 64 {
            return false;
        }
        let (mut fn_, mut sn) = (self.index, self.leaf_count - 1);
        let mut r = leaf_hash(leaf);
        for p in &self.path {
            if sn == 0 {
                return false;
            }
            if fn_ & 1 == 1 || fn_ == sn {
                r = node_hash(p, &r);
                if fn_ & 1 == 0 {
                    while fn_ & 1 == 0 && fn_ != 0 {
                        fn_ >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                r = node_hash(&r, p);
            }
            fn_ >>= 1;
            sn >>= 1;
        }
        sn == 0 && r == *root
    }
}
