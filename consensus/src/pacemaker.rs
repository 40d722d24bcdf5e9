//! Round timeouts: grow by `round_timeout_growth_pct` per consecutive failed round, capped at
//! `round_timeout_max_ms`, and reset after a round that ends with a QC.

use tradeledger_types::ConsensusParams;

/// Timeout of a round entered after `consecutive_failures` rounds that ended in a timeout
/// certificate: `min(base · (growth/100)^failures, max)`, in integer arithmetic.
pub fn round_timeout_ms(params: &ConsensusParams, consecutive_failures: u32) -> u64 {
    let max = params
        .round_timeout_max_ms
        .max(params.round_timeout_base_ms);
    let mut duration = params.round_timeout_base_ms;
    for _ in 0..consecutive_failures.min(crate::limits::CONSECUTIVE_FAILURES_MAX) {
        if duration >= max {
            break;
        }
        let grown = u128::from(duration) * u128::from(params.round_timeout_growth_pct) / 100;
        duration = u64::try_from(grown).unwrap_or(u64::MAX);
    }
    duration.min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_geometrically_and_caps() {
        let p = ConsensusParams::default(); // 1000 ms, ×1.5, cap 10000 ms
        let table = [
            (0, 1_000),
            (1, 1_500),
            (2, 2_250),
            (3, 3_375),
            (4, 5_062),
            (5, 7_593),
            (6, 10_000),
            (40, 10_000),
        ];
        for (failures, expected) in table {
            assert_eq!(
                round_timeout_ms(&p, failures),
                expected,
                "after {failures} failed rounds"
            );
        }
    }

    #[test]
    fn growth_of_one_hundred_percent_keeps_the_base() {
        let p = ConsensusParams {
            round_timeout_growth_pct: 100,
            ..ConsensusParams::default()
        };
        assert_eq!(round_timeout_ms(&p, 1_000_000), 1_000);
    }

    #[test]
    fn huge_growth_does_not_overflow() {
        let p = ConsensusParams {
            round_timeout_growth_pct: u32::MAX,
            round_timeout_max_ms: u64::MAX,
            ..ConsensusParams::default()
        };
        assert_eq!(round_timeout_ms(&p, u32::MAX), u64::MAX);
    }
}
