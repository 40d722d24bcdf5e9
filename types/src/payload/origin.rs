//! Certificate of origin with the nine USMCA minimum data elements (Annex 5-A).

use super::Party;
use crate::validate::{self as v, Checked, FieldError};
use crate::{HsCode, ShipmentId, TimeMs, wire_struct};
use serde::{Deserialize, Serialize};

/// Element 1: who certifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CertifierRole {
    /// The importer certifies.
    Importer,
    /// The exporter certifies.
    Exporter,
    /// The producer certifies.
    Producer,
}

/// Element 7: the origin criterion claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OriginCriterion {
    /// Wholly obtained or produced entirely in the territory.
    A,
    /// Meets the product-specific rule (tariff shift and/or RVC).
    B,
    /// Produced exclusively from originating materials.
    C,
    /// The Article 4.2(d) case (unassembled goods / residual headings, with RVC).
    D,
}

wire_struct! {
    /// Element 6: a good covered by the certificate.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct CertifiedGood {
        /// Matching line number in the shipment declaration.
        pub line: u32,
        /// Description, sufficient to relate it to the invoice.
        pub description: String,
        /// Six-digit HS classification.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub hs_code: HsCode,
        /// Element 7: origin criterion.
        pub criterion: OriginCriterion,
    }
}

wire_struct! {
    /// Element 8: a blanket period of up to 12 months covering several shipments.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct BlanketPeriod {
        /// Start (inclusive).
        #[cfg_attr(feature = "openapi", schema(value_type = u64))]
        pub from_ms: TimeMs,
        /// End (inclusive).
        #[cfg_attr(feature = "openapi", schema(value_type = u64))]
        pub until_ms: TimeMs,
    }
}

wire_struct! {
    /// A certificate of origin. Its envelope signature is element 9's authorised signature; the
    /// signer must belong to the certifier's organisation.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct CertificateOfOrigin {
        /// The certificate's id, unique on the chain.
        pub certificate_id: String,
        /// The shipment it covers.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub shipment_id: ShipmentId,
        /// Element 1.
        pub certifier_role: CertifierRole,
        /// Element 2.
        pub certifier: Party,
        /// Element 3.
        pub exporter: Party,
        /// Element 4 (`None` when "various" or "available upon request" is stated).
        pub producer: Option<Party>,
        /// Element 5.
        pub importer: Party,
        /// Elements 6 and 7.
        pub goods: Vec<CertifiedGood>,
        /// Element 8, when the certificate is a blanket one.
        pub blanket_period: Option<BlanketPeriod>,
        /// Element 9: name of the authorised signatory.
        pub signatory_name: String,
        /// Element 9: date of the signature.
        #[cfg_attr(feature = "openapi", schema(value_type = u64))]
        pub signed_ms: TimeMs,
    }
}

/// Longest blanket period allowed: 12 months (366 days, to cover leap years).
pub const BLANKET_PERIOD_MS_MAX: u64 = 366 * 24 * 3600 * 1000;

impl CertificateOfOrigin {
    /// Checks that all nine elements are present and well formed.
    pub fn validate(&self) -> Checked {
        v::id("certificate_id", &self.certificate_id)?;
        v::id("shipment_id", &self.shipment_id)?;
        self.certifier.validate("certifier")?;
        self.exporter.validate("exporter")?;
        if let Some(p) = &self.producer {
            p.validate("producer")?;
        }
        self.importer.validate("importer")?;
        v::non_empty_list("goods", &self.goods)?;
        for (i, g) in self.goods.iter().enumerate() {
            if g.line == 0 {
                return Err(FieldError::new(
                    format!("goods[{i}].line"),
                    "line numbers start at 1",
                ));
            }
            if self.goods[..i].iter().any(|o| o.line == g.line) {
                return Err(FieldError::new(
                    format!("goods[{i}].line"),
                    format!("line {} is certified twice", g.line),
                ));
            }
            v::required_text(&format!("goods[{i}].description"), &g.description)?;
            v::hs_code(&format!("goods[{i}].hs_code"), &g.hs_code)?;
        }
        if let Some(b) = &self.blanket_period {
            v::window("blanket_period", b.from_ms, b.until_ms)?;
            if b.until_ms - b.from_ms > BLANKET_PERIOD_MS_MAX {
                return Err(FieldError::new(
                    "blanket_period",
                    "is longer than 12 months",
                ));
            }
        }
        v::required_text("signatory_name", &self.signatory_name)
    }
}
