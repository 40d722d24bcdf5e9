//! Intellectual property at the border: trademark recordations and licence chains.

use crate::validate::{self as v, Checked};
use crate::{HsCode, OrgId, TimeMs, wire_struct};
use serde::{Deserialize, Serialize};

wire_struct! {
    /// A rights holder's recordation of a registered trademark. Effective once customs accepts it.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct IprRecordation {
        /// Recordation id, unique on the chain.
        pub recordation_id: String,
        /// The mark as it appears on goods (compared case-insensitively with goods' brands).
        pub mark: String,
        /// Registration number on the principal register.
        pub registration_no: String,
        /// Owner (the rights holder's organisation).
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub owner: OrgId,
        /// HS subheading prefixes of the goods the mark is recorded for (empty: all goods).
        #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
        pub hs_prefixes: Vec<HsCode>,
        /// Manufacturers authorised directly by the owner.
        pub authorised_manufacturers: Vec<String>,
        /// Importers authorised directly by the owner.
        pub authorised_importers: Vec<String>,
        /// Validity of the registration and so of the recordation.
        #[cfg_attr(feature = "openapi", schema(value_type = u64))]
        pub valid_from_ms: TimeMs,
        /// End of validity.
        #[cfg_attr(feature = "openapi", schema(value_type = u64))]
        pub valid_until_ms: TimeMs,
        /// Whether gray-market (Lever-rule) protection applies.
        pub gray_market_restricted: bool,
    }
}

impl IprRecordation {
    /// Checks every field.
    pub fn validate(&self) -> Checked {
        v::id("recordation_id", &self.recordation_id)?;
        v::required_text("mark", &self.mark)?;
        v::required_text("registration_no", &self.registration_no)?;
        v::org_id("owner", &self.owner)?;
        v::list("hs_prefixes", &self.hs_prefixes)?;
        for (i, p) in self.hs_prefixes.iter().enumerate() {
            crate::rules::hs_prefix(&format!("hs_prefixes[{i}]"), p)?;
        }
        v::list("authorised_manufacturers", &self.authorised_manufacturers)?;
        v::list("authorised_importers", &self.authorised_importers)?;
        v::window("valid_until_ms", self.valid_from_ms, self.valid_until_ms)
    }
}

wire_struct! {
    /// Customs' acceptance of a recordation.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct IprAcceptance {
        /// The recordation accepted.
        pub recordation_id: String,
    }
}

/// What a licence allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LicenceScope {
    /// Manufacture goods bearing the mark.
    Manufacture,
    /// Import goods bearing the mark.
    Import,
}

wire_struct! {
    /// A licence: from the owner (no parent) or sub-licensed from a parent licence.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct IprLicence {
        /// Licence id, unique on the chain.
        pub licence_id: String,
        /// The recordation licensed.
        pub recordation_id: String,
        /// The parent licence, for a sub-licence.
        pub parent_licence_id: Option<String>,
        /// The licensee's name as it appears as manufacturer or importer.
        pub licensee: String,
        /// What is allowed.
        pub scope: LicenceScope,
        /// Start of validity.
        #[cfg_attr(feature = "openapi", schema(value_type = u64))]
        pub valid_from_ms: TimeMs,
        /// End of validity.
        #[cfg_attr(feature = "openapi", schema(value_type = u64))]
        pub valid_until_ms: TimeMs,
    }
}

impl IprLicence {
    /// Checks every field.
    pub fn validate(&self) -> Checked {
        v::id("licence_id", &self.licence_id)?;
        v::id("recordation_id", &self.recordation_id)?;
        if let Some(p) = &self.parent_licence_id {
            v::id("parent_licence_id", p)?;
        }
        v::required_text("licensee", &self.licensee)?;
        v::window("valid_until_ms", self.valid_from_ms, self.valid_until_ms)
    }
}

wire_struct! {
    /// Revocation of a licence from a time on (and of every sub-licence under it).
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct IprRevocation {
        /// The licence revoked.
        pub licence_id: String,
        /// From when.
        #[cfg_attr(feature = "openapi", schema(value_type = u64))]
        pub effective_ms: TimeMs,
        /// Why.
        pub reason: String,
    }
}
