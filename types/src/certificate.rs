//! Votes, quorum certificates, timeouts and timeout certificates.

use crate::codec;
use crate::crypto::{self, BatchItem, SecretKey};
use crate::{Bytes, Domain, Hash32, PublicKey, Signature, ValidatorSet, wire_struct};

wire_struct! {
    /// What a vote signs: one block at one round of one chain.
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct VoteData {
        /// The chain (genesis `chain_id`).
        pub chain_id: String,
        /// The block voted for.
        pub block_hash: Hash32,
        /// Its height.
        pub height: u64,
        /// Its round.
        pub round: u64,
    }
}

impl VoteData {
    /// The bytes signed: `"tradeledger/v1/vote" ‖ 0x00 ‖ canonical(self)`.
    pub fn signing_bytes(&self) -> Vec<u8> {
        Domain::VOTE.prefix(&codec::to_canonical(self))
    }
}

wire_struct! {
    /// One validator's vote.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct Vote {
        /// What is voted for.
        pub data: VoteData,
        /// The voter's consensus key.
        pub voter: PublicKey,
        /// Signature over [`VoteData::signing_bytes`].
        pub signature: Signature,
    }
}

impl Vote {
    /// Signs a vote.
    pub fn sign(data: VoteData, key: &SecretKey) -> Vote {
        let signature = key.sign(Domain::VOTE, &codec::to_canonical(&data));
        Vote {
            data,
            voter: key.public(),
            signature,
        }
    }

    /// Verifies the signature (not membership: see [`ValidatorSet::index_of`]).
    pub fn verify(&self) -> Result<(), crypto::SignatureError> {
        crypto::verify(
            &self.voter,
            Domain::VOTE,
            &codec::to_canonical(&self.data),
            &self.signature,
        )
    }
}

/// Why a certificate does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// The signer bitmap does not fit the validator set.
    #[error(
        "signer bitmap has {bytes} bytes for {validators} validators, or marks a validator that does not exist"
    )]
    BadBitmap {
        /// Bitmap length in bytes.
        bytes: usize,
        /// Validators in the set.
        validators: usize,
    },
    /// The number of signatures (or high-QC rounds) differs from the signers marked.
    #[error("{signers} signers marked but {signatures} signatures given")]
    CountMismatch {
        /// Signers marked in the bitmap.
        signers: usize,
        /// Signatures carried.
        signatures: usize,
    },
    /// The signers' power is below quorum.
    #[error("signers hold {power} voting power, quorum is {quorum}")]
    BelowQuorum {
        /// Power of the signers.
        power: u64,
        /// Quorum power.
        quorum: u64,
    },
    /// A signature does not verify.
    #[error("signature of validator {index} does not verify")]
    BadSignature {
        /// Index of the validator.
        index: usize,
    },
    /// Certificate for another chain.
    #[error("certificate is for chain {found:?}, expected {expected:?}")]
    WrongChain {
        /// Chain in the certificate.
        found: String,
        /// Chain expected.
        expected: String,
    },
}

/// Indices marked in a little-endian bitmap (bit `i % 8` of byte `i / 8` is validator `i`).
pub fn bitmap_indices(bitmap: &[u8], validators: usize) -> Result<Vec<usize>, CertificateError> {
    let bad = || CertificateError::BadBitmap {
        bytes: bitmap.len(),
        validators,
    };
    if bitmap.len() != validators.div_ceil(8) {
        return Err(bad());
    }
    let mut out = Vec::new();
    for (byte_index, byte) in bitmap.iter().enumerate() {
        for bit in 0..8 {
            if byte & (1 << bit) != 0 {
                let i = byte_index * 8 + bit;
                if i >= validators {
                    return Err(bad());
                }
                out.push(i);
            }
        }
    }
    Ok(out)
}

/// A bitmap with the given indices set.
pub fn bitmap_of(indices: impl IntoIterator<Item = usize>, validators: usize) -> Bytes {
    let mut b = vec![0u8; validators.div_ceil(8)];
    for i in indices {
        assert!(i < validators, "signer index out of range");
        b[i / 8] |= 1 << (i % 8);
    }
    Bytes(b)
}

fn check_power(set: &ValidatorSet, signers: &[usize]) -> Result<(), CertificateError> {
    let power: u64 = signers
        .iter()
        .filter_map(|&i| set.get(i))
        .map(|v| v.voting_power)
        .sum();
    if power < set.quorum_power() {
        return Err(CertificateError::BelowQuorum {
            power,
            quorum: set.quorum_power(),
        });
    }
    Ok(())
}

fn check_signatures(
    set: &ValidatorSet,
    signers: &[usize],
    messages: &[Vec<u8>],
    sigs: &[Signature],
) -> Result<(), CertificateError> {
    let keys: Vec<PublicKey> = signers
        .iter()
        .map(|&i| set.validators()[i].consensus_key)
        .collect();
    let items: Vec<BatchItem<'_>> = (0..signers.len())
        .map(|j| BatchItem {
            key: &keys[j],
            message: &messages[j],
            signature: &sigs[j],
        })
        .collect();
    for (j, r) in crypto::verify_batch(&items).into_iter().enumerate() {
        if r.is_err() {
            return Err(CertificateError::BadSignature { index: signers[j] });
        }
    }
    Ok(())
}

wire_struct! {
    /// A quorum certificate: signatures of more than two thirds of the voting power on one
    /// [`VoteData`]. Signatures are in increasing validator index order.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct QuorumCertificate {
        /// What was voted for.
        pub data: VoteData,
        /// Signer bitmap over the validator set in force.
        pub signers: Bytes,
        /// One signature per marked signer.
        pub signatures: Vec<Signature>,
    }
}

impl QuorumCertificate {
    /// The certificate of the genesis block (height 0, round 0): carries no signatures and is
    /// trusted by construction, as genesis itself is.
    pub fn genesis(chain_id: &str, genesis_hash: Hash32) -> Self {
        QuorumCertificate {
            data: VoteData {
                chain_id: chain_id.to_owned(),
                block_hash: genesis_hash,
                height: 0,
                round: 0,
            },
            signers: Bytes::default(),
            signatures: Vec::new(),
        }
    }

    /// True for the genesis certificate.
    pub fn is_genesis(&self) -> bool {
        self.data.height == 0 && self.data.round == 0 && self.signatures.is_empty()
    }

    /// Assembles a certificate from votes on the same data by members of `set`.
    ///
    /// # Panics
    /// If a vote is for other data or from a non-member (callers aggregate only checked votes).
    pub fn from_votes(set: &ValidatorSet, votes: &[Vote]) -> Self {
        let data = votes
            .first()
            .map(|v| v.data.clone())
            .expect("a certificate needs votes");
        let mut indexed: Vec<(usize, Signature)> = votes
            .iter()
            .map(|v| {
                assert_eq!(v.data, data, "votes on different data");
                (
                    set.index_of(&v.voter).expect("vote by a non-member"),
                    v.signature,
                )
            })
            .collect();
        indexed.sort_by_key(|(i, _)| *i);
        indexed.dedup_by_key(|(i, _)| *i);
        let signers = bitmap_of(indexed.iter().map(|(i, _)| *i), set.len());
        QuorumCertificate {
            data,
            signers,
            signatures: indexed.into_iter().map(|(_, s)| s).collect(),
        }
    }

    /// The indices of the signers.
    pub fn signer_indices(&self, set: &ValidatorSet) -> Result<Vec<usize>, CertificateError> {
        bitmap_indices(&self.signers.0, set.len())
    }

    /// Verifies chain, bitmap, quorum power and every signature against `set`.
    pub fn verify(&self, chain_id: &str, set: &ValidatorSet) -> Result<(), CertificateError> {
        if self.data.chain_id != chain_id {
            return Err(CertificateError::WrongChain {
                found: self.data.chain_id.clone(),
                expected: chain_id.to_owned(),
            });
        }
        let signers = self.signer_indices(set)?;
        if signers.len() != self.signatures.len() {
            return Err(CertificateError::CountMismatch {
                signers: signers.len(),
                signatures: self.signatures.len(),
            });
        }
        check_power(set, &signers)?;
        let msg = self.data.signing_bytes();
        let messages = vec![msg; signers.len()];
        check_signatures(set, &signers, &messages, &self.signatures)
    }
}

wire_struct! {
    /// What a timeout signs: the round given up on and the signer's highest QC round.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct TimeoutData {
        /// The chain.
        pub chain_id: String,
        /// The round that timed out.
        pub round: u64,
        /// Round of the highest QC the signer holds.
        pub high_qc_round: u64,
    }
}

impl TimeoutData {
    /// The bytes signed: `"tradeledger/v1/timeout" ‖ 0x00 ‖ canonical(self)`.
    pub fn signing_bytes(&self) -> Vec<u8> {
        Domain::TIMEOUT.prefix(&codec::to_canonical(self))
    }
}

wire_struct! {
    /// One validator's timeout for a round, with the highest QC it holds.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct Timeout {
        /// What is signed.
        pub data: TimeoutData,
        /// The QC whose round is `data.high_qc_round`.
        pub high_qc: QuorumCertificate,
        /// The signer's consensus key.
        pub signer: PublicKey,
        /// Signature over [`TimeoutData::signing_bytes`].
        pub signature: Signature,
    }
}

impl Timeout {
    /// Signs a timeout.
    pub fn sign(data: TimeoutData, high_qc: QuorumCertificate, key: &SecretKey) -> Timeout {
        let signature = key.sign(Domain::TIMEOUT, &codec::to_canonical(&data));
        Timeout {
            data,
            high_qc,
            signer: key.public(),
            signature,
        }
    }

    /// Verifies the signature and that `high_qc` matches `data.high_qc_round` (the QC itself is
    /// verified separately against the validator set).
    pub fn verify_signature(&self) -> Result<(), crypto::SignatureError> {
        crypto::verify(
            &self.signer,
            Domain::TIMEOUT,
            &codec::to_canonical(&self.data),
            &self.signature,
        )
    }
}

wire_struct! {
    /// A timeout certificate: more than two thirds of the power gave up on `round`. Each signer
    /// signed its own high-QC round; they are listed in signer order.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct TimeoutCertificate {
        /// The chain.
        pub chain_id: String,
        /// The round that timed out.
        pub round: u64,
        /// Signer bitmap.
        pub signers: Bytes,
        /// Each signer's high-QC round.
        pub high_qc_rounds: Vec<u64>,
        /// Each signer's signature over its [`TimeoutData`].
        pub signatures: Vec<Signature>,
    }
}

impl TimeoutCertificate {
    /// Assembles a certificate from timeouts for one round by members of `set`.
    ///
    /// # Panics
    /// If timeouts are for different rounds or from non-members.
    pub fn from_timeouts(set: &ValidatorSet, timeouts: &[Timeout]) -> Self {
        let first = timeouts.first().expect("a certificate needs timeouts");
        let mut indexed: Vec<(usize, u64, Signature)> = timeouts
            .iter()
            .map(|t| {
                assert_eq!(
                    t.data.round, first.data.round,
                    "timeouts for different rounds"
                );
                (
                    set.index_of(&t.signer).expect("timeout by a non-member"),
                    t.data.high_qc_round,
                    t.signature,
                )
            })
            .collect();
        indexed.sort_by_key(|(i, _, _)| *i);
        indexed.dedup_by_key(|(i, _, _)| *i);
        TimeoutCertificate {
            chain_id: first.data.chain_id.clone(),
            round: first.data.round,
            signers: bitmap_of(indexed.iter().map(|(i, _, _)| *i), set.len()),
            high_qc_rounds: indexed.iter().map(|(_, r, _)| *r).collect(),
            signatures: indexed.into_iter().map(|(_, _, s)| s).collect(),
        }
    }

    /// Highest of the signers' high-QC rounds: a proposal after this TC must extend a QC at
    /// least this high.
    pub fn max_high_qc_round(&self) -> u64 {
        self.high_qc_rounds.iter().copied().max().unwrap_or(0)
    }

    /// Verifies chain, bitmap, quorum power and every signature against `set`.
    pub fn verify(&self, chain_id: &str, set: &ValidatorSet) -> Result<(), CertificateError> {
        if self.chain_id != chain_id {
            return Err(CertificateError::WrongChain {
                found: self.chain_id.clone(),
                expected: chain_id.to_owned(),
            });
        }
        let signers = bitmap_indices(&self.signers.0, set.len())?;
        if signers.len() != self.signatures.len() || signers.len() != self.high_qc_rounds.len() {
            return Err(CertificateError::CountMismatch {
                signers: signers.len(),
                signatures: self.signatures.len(),
            });
        }
        check_power(set, &signers)?;
        let messages: Vec<Vec<u8>> = self
            .high_qc_rounds
            .iter()
            .map(|&r| {
                TimeoutData {
                    chain_id: self.chain_id.clone(),
                    round: self.round,
                    high_qc_round: r,
                }
                .signing_bytes()
            })
            .collect();
        check_signatures(set, &signers, &messages, &self.signatures)
    }
}
