//! ed25519 signing and verification, single and batched.

use crate::{Domain, PublicKey, Signature};
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The public key is not a valid point, or is of small order (a weak key anyone can forge for).
    #[error("public key {key} is invalid or weak")]
    BadKey {
        /// The offending key.
        key: PublicKey,
    },
    /// The signature does not verify for this key and message.
    #[error("signature by {signer} does not verify")]
    Invalid {
        /// The claimed signer.
        signer: PublicKey,
    },
}

/// A private signing key. Its bytes never leave through `Debug`.
#[derive(Clone)]
pub struct SecretKey(SigningKey);

impl core::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SecretKey(public={})", self.public())
    }
}

impl SecretKey {
    /// The key derived from a 32-byte seed (RFC 8032). The caller supplies the randomness: this
    /// crate does no I/O.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        SecretKey(SigningKey::from_bytes(&seed))
    }

    /// The 32-byte seed, for writing key files.
    pub fn seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }

    /// Signs `domain ‖ 0x00 ‖ body`.
    pub fn sign(&self, domain: Domain, body: &[u8]) -> Signature {
        Signature(self.0.sign(&domain.prefix(body)).to_bytes())
    }
}

/// Parses a public key, rejecting invalid points and small-order (weak) keys.
pub fn verifying_key(key: &PublicKey) -> Result<VerifyingKey, SignatureError> {
    let vk = VerifyingKey::from_bytes(&key.0).map_err(|_| SignatureError::BadKey { key: *key })?;
    if vk.is_weak() {
        return Err(SignatureError::BadKey { key: *key });
    }
    Ok(vk)
}

/// Verifies one signature over `domain ‖ 0x00 ‖ body`.
///
/// The rule is the *cofactored* ed25519 equation `[8][s]B = [8]R + [8][k]A` (as in ZIP 215),
/// checked as a batch of one, plus a rejection of small-order keys. Batch verification uses the
/// same equation, so a signature is accepted singly exactly when it is accepted in any batch:
/// no two nodes can disagree about an event because one verified it in a batch and the other
/// alone (the cofactorless single check of `verify_strict` does not have that property).
pub fn verify(
    key: &PublicKey,
    domain: Domain,
    body: &[u8],
    sig: &Signature,
) -> Result<(), SignatureError> {
    let vk = verifying_key(key)?;
    verify_prefixed(vk, key, &domain.prefix(body), sig)
}

fn verify_prefixed(
    vk: VerifyingKey,
    key: &PublicKey,
    msg: &[u8],
    sig: &Signature,
) -> Result<(), SignatureError> {
    let s = ed25519_dalek::Signature::from_bytes(&sig.0);
    ed25519_dalek::verify_batch(&[msg], &[s], &[vk])
        .map_err(|_| SignatureError::Invalid { signer: *key })
}

/// One item of a batch: a key, the full signed message (already domain-prefixed) and a signature.
#[derive(Debug, Clone, Copy)]
pub struct BatchItem<'a> {
    /// The claimed signer.
    pub key: &'a PublicKey,
    /// The exact signed bytes, `domain ‖ 0x00 ‖ body` (see [`Domain::prefix`]).
    pub message: &'a [u8],
    /// The signature.
    pub signature: &'a Signature,
}

/// Verifies many signatures at once and says which ones fail.
///
/// The batch equation is checked first (about twice as fast per signature as one by one); if it
/// fails, each item is checked alone so the result names every bad one. `result[i]` is `Ok`
/// exactly when [`verify`] accepts item `i` (same equation; see there).
pub fn verify_batch(items: &[BatchItem<'_>]) -> Vec<Result<(), SignatureError>> {
    // A block's events come from a few hundred devices: decompress each key once per batch
    // (point decompression is about half the cost of checking a signature).
    let mut keys: BTreeMap<PublicKey, Result<VerifyingKey, SignatureError>> = BTreeMap::new();
    for item in items {
        keys.entry(*item.key)
            .or_insert_with(|| verifying_key(item.key));
    }
    verify_batch_keyed(items, &keys)
}

/// [`verify_batch`], with the keys decompressed once per process rather than once per batch:
/// keys found in `cache` are not decompressed again, and keys decompressed here are added to
/// it. The answers are exactly those of [`verify_batch`]; only the work differs.
///
/// The lock is taken twice (to look up, then to add) and never held while a key is
/// decompressed or a signature checked, so threads verifying at once share the cache without
/// waiting on each other's work.
pub fn verify_batch_cached(
    items: &[BatchItem<'_>],
    cache: &Mutex<KeyCache>,
) -> Vec<Result<(), SignatureError>> {
    let mut keys: BTreeMap<PublicKey, Result<VerifyingKey, SignatureError>> = BTreeMap::new();
    {
        let cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
        for item in items {
            if let Some(vk) = cache.get(item.key) {
                keys.insert(*item.key, Ok(vk));
            }
        }
    }
    let mut fresh = Vec::new();
    for item in items {
        keys.entry(*item.key).or_insert_with(|| {
            let parsed = verifying_key(item.key);
            if let Ok(vk) = parsed {
                fresh.push((*item.key, vk));
            }
            parsed
        });
    }
    if !fresh.is_empty() {
        let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
        for (key, vk) in fresh {
            cache.insert(key, vk);
        }
    }
    verify_batch_keyed(items, &keys)
}

/// Valid public keys already decompressed, bounded: two generations of at most half the
/// capacity each; a hit in the old one moves the key to the young one, and when the young one
/// is full the old one is dropped. Invalid keys are never cached (each use reports them again).
#[derive(Debug)]
pub struct KeyCache {
    young: BTreeMap<PublicKey, VerifyingKey>,
    old: BTreeMap<PublicKey, VerifyingKey>,
    generation_max: usize,
}

impl KeyCache {
    /// A cache of at most `capacity` keys (at least 2).
    pub fn new(capacity: usize) -> KeyCache {
        KeyCache {
            young: BTreeMap::new(),
            old: BTreeMap::new(),
            generation_max: (capacity / 2).max(1),
        }
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }

    /// True when no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The decompressed `key`, if held.
    pub fn get(&self, key: &PublicKey) -> Option<VerifyingKey> {
        self.young.get(key).or_else(|| self.old.get(key)).copied()
    }

    /// Holds `vk` as the decompression of `key`.
    ///
    /// # Panics
    /// If `vk` is not the decompression of `key` (a caller bug: the cache would then accept
    /// signatures for the wrong key).
    pub fn insert(&mut self, key: PublicKey, vk: VerifyingKey) {
        assert_eq!(
            vk.to_bytes(),
            key.0,
            "a cached key must be the key it is filed under"
        );
        self.old.remove(&key);
        if self.young.len() >= self.generation_max && !self.young.contains_key(&key) {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(key, vk);
    }
}

/// Checks `items` in one batch with their keys already parsed (`keys` holds every item's key).
fn verify_batch_keyed(
    items: &[BatchItem<'_>],
    keys: &BTreeMap<PublicKey, Result<VerifyingKey, SignatureError>>,
) -> Vec<Result<(), SignatureError>> {
    let mut results: Vec<Result<(), SignatureError>> = Vec::with_capacity(items.len());
    let mut good = Vec::with_capacity(items.len());
    let mut vks = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match keys
            .get(item.key)
            .cloned()
            .unwrap_or_else(|| verifying_key(item.key))
        {
            Ok(vk) => {
                good.push(i);
                vks.push(vk);
                results.push(Ok(()));
            }
            Err(e) => results.push(Err(e)),
        }
    }
    if good.is_empty() {
        return results;
    }
    let messages: Vec<&[u8]> = good.iter().map(|&i| items[i].message).collect();
    let sigs: Vec<ed25519_dalek::Signature> = good
        .iter()
        .map(|&i| ed25519_dalek::Signature::from_bytes(&items[i].signature.0))
        .collect();
    if ed25519_dalek::verify_batch(&messages, &sigs, &vks).is_err() {
        for (&i, vk) in good.iter().zip(vks) {
            results[i] = verify_prefixed(vk, items[i].key, items[i].message, items[i].signature);
        }
    }
    results
}
