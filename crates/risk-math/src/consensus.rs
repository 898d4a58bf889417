//! Multi-source consensus: median of the valid sources, outliers beyond the
//! spread limit dropped (never averaged in), quorum required.

use crate::price::{exceeds_bps, median};

/// Most sources a feed can have; bit masks below are over source indices.
pub const MAX_SOURCES: usize = 8;

/// A source that passed its own checks, already in the feed's exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    pub source_index: u8,
    pub price: u64,
    pub conf: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsensusParams {
    pub min_quorum: u8,
    pub max_spread_bps: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Consensus {
    /// Median of the agreeing sources.
    pub price: u64,
    /// max(median confidence of agreeing sources, widest distance of an agreeing
    /// source from the price): disagreement widens the reported uncertainty.
    pub conf: u64,
    pub agreeing_mask: u8,
    pub outlier_mask: u8,
    pub valid_count: u8,
    pub agreeing_count: u8,
}

impl Consensus {
    /// Strictly more than half of the valid sources agree.
    pub fn majority_agrees(&self) -> bool {
        self.agreeing_count as u32 * 2 > self.valid_count as u32
    }

    pub fn all_agree(&self) -> bool {
        self.outlier_mask == 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsensusError {
    /// Fewer valid sources than the quorum.
    QuorumLost { valid: u8, required: u8 },
    /// Enough valid sources, but too few agree within the spread limit.
    SpreadExceeded {
        valid: u8,
        agreeing: u8,
        required: u8,
    },
}

/// Compute consensus over `quotes` (at most [`MAX_SOURCES`]).
pub fn consensus(quotes: &[Quote], params: ConsensusParams) -> Result<Consensus, ConsensusError> {
    let valid = quotes.len().min(MAX_SOURCES) as u8;
    let quotes = &quotes[..valid as usize];
    if valid < params.min_quorum || valid == 0 {
        return Err(ConsensusError::QuorumLost {
            valid,
            required: params.min_quorum,
        });
    }
    let mut prices = [0u64; MAX_SOURCES];
    for (slot, q) in prices.iter_mut().zip(quotes) {
        *slot = q.price;
    }
    // Non-empty (valid > 0), so the median exists.
    let first_median = median(&mut prices[..valid as usize]).unwrap_or(0);

    let mut agreeing = [0u64; MAX_SOURCES];
    let mut confs = [0u64; MAX_SOURCES];
    let mut agreeing_count = 0usize;
    let (mut agreeing_mask, mut outlier_mask) = (0u8, 0u8);
    for q in quotes {
        let bit = 1u8 << q.source_index;
        if exceeds_bps(
            q.price.abs_diff(first_median),
            first_median,
            params.max_spread_bps,
        ) {
            outlier_mask |= bit;
        } else {
            agreeing[agreeing_count] = q.price;
            confs[agreeing_count] = q.conf;
            agreeing_count += 1;
            agreeing_mask |= bit;
        }
    }
    let agreeing_n = agreeing_count as u8;
    if agreeing_n < params.min_quorum || agreeing_n == 0 {
        return Err(ConsensusError::SpreadExceeded {
            valid,
            agreeing: agreeing_n,
            required: params.min_quorum,
        });
    }
    let price = median(&mut agreeing[..agreeing_count]).unwrap_or(first_median);
    let median_conf = median(&mut confs[..agreeing_count]).unwrap_or(0);
    let dispersion = agreeing[..agreeing_count]
        .iter()
        .map(|p| p.abs_diff(price))
        .max()
        .unwrap_or(0);
    Ok(Consensus {
        price,
        conf: median_conf.max(dispersion),
        agreeing_mask,
        outlier_mask,
        valid_count: valid,
        agreeing_count: agreeing_n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn q(i: u8, price: u64) -> Quote {
        Quote {
            source_index: i,
            price,
            conf: price / 1000,
        }
    }
    const P: ConsensusParams = ConsensusParams {
        min_quorum: 2,
        max_spread_bps: 200,
    };

    #[test]
    fn one_spike_of_three_is_dropped() {
        let c = consensus(&[q(0, 100_000), q(1, 150_000), q(2, 100_050)], P).unwrap();
        assert_eq!(c.price, 100_025);
        assert_eq!(c.outlier_mask, 0b010);
        assert_eq!(c.agreeing_mask, 0b101);
        assert!(c.majority_agrees() && !c.all_agree());
    }

    #[test]
    fn quorum_and_spread_failures() {
        assert_eq!(
            consensus(&[q(0, 100)], P),
            Err(ConsensusError::QuorumLost {
                valid: 1,
                required: 2
            })
        );
        assert_eq!(
            consensus(&[q(0, 100_000), q(1, 200_000)], P),
            Err(ConsensusError::SpreadExceeded {
                valid: 2,
                agreeing: 0,
                required: 2
            })
        );
    }

    proptest! {
        /// A minority of arbitrarily wrong sources cannot move the price
        /// outside the range of the honest ones.
        #[test]
        fn honest_majority_bounds_price(
            honest in proptest::collection::vec(99_000u64..101_000, 3..6),
            liars in proptest::collection::vec(1u64..10_000_000, 0..3),
        ) {
            prop_assume!(liars.len() < honest.len());
            let mut quotes = vec![];
            for (i, p) in honest.iter().chain(liars.iter()).enumerate() {
                quotes.push(q(i as u8, *p));
            }
            if let Ok(c) = consensus(&quotes, P) {
                let lo = *honest.iter().min().unwrap();
                let hi = *honest.iter().max().unwrap();
                prop_assert!(c.price >= lo * 98 / 100 && c.price <= hi * 102 / 100);
            }
        }
    }
}
