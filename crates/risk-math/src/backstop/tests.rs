use super::*;
use proptest::prelude::*;

const SUB: u128 = 1_000_000_000_000_000_000;

/// The definition of pro rata, one LP at a time: every fill takes the same
/// fraction of each LP's quote (the band's quote, dust included, is the
/// denominator) and gives it the same fraction of the collateral. Balances
/// in 1e-18 token units, so its own rounding is far below one token.
#[derive(Debug, Default, Clone)]
struct BruteForce {
    quote: Vec<u128>,
    collateral: Vec<u128>,
    /// Settlements of each LP's stake since its owner's last touch.
    settles: Vec<u128>,
}

impl BruteForce {
    fn new(lps: usize) -> Self {
        BruteForce {
            quote: vec![0; lps],
            collateral: vec![0; lps],
            settles: vec![0; lps],
        }
    }

    fn fill(&mut self, band_quote: u64, quote: u64, collateral: u64) {
        for (q, c) in self.quote.iter_mut().zip(self.collateral.iter_mut()) {
            *c += mul_div(*q, collateral as u128, band_quote as u128, Rounding::Down).unwrap();
            *q -= mul_div(*q, quote as u128, band_quote as u128, Rounding::Up).unwrap();
        }
    }

    /// After a touch the LP holds exactly what the band re-snapshotted.
    fn resync(&mut self, lp: usize, stake: &Stake, band: &Band) {
        self.quote[lp] = if stake.epoch == band.epoch {
            stake.deposit as u128 * SUB
        } else {
            0
        };
        self.collateral[lp] = 0;
        self.settles[lp] = 0;
    }
}

/// Within `units` token units below the brute force, and never above it
/// (each settlement of a stake, and each scale a stake spans, may round
/// one more unit down).
fn assert_within(model: u64, brute: u128, units: u128, what: &str, lp: usize) {
    let exact_floor = brute / SUB;
    assert!(
        model as u128 <= exact_floor + 1 && model as u128 * SUB <= brute + SUB / 1_000_000,
        "LP {lp} {what}: model {model} above brute force {brute}e-18"
    );
    assert!(
        exact_floor <= model as u128 + units,
        "LP {lp} {what}: model {model} more than {units} units below brute force {brute}e-18"
    );
}

/// Fill up to `wanted` of the band (as much as it allows), with collateral
/// drawn from `r`, in the band and the brute force alike.
fn fill_both(band: &mut Band, brute: &mut BruteForce, wanted: u64, r: u64) {
    let quote = band.fill_limit(wanted).unwrap();
    if quote == 0 {
        return;
    }
    // At most 10,000 collateral units per quote unit: an absorb pays
    // quote / unit price, and sums stay in u128.
    let collateral = 1 + (r >> 20) % quote.saturating_mul(10_000);
    let before = band.quote;
    band.fill(quote, collateral).unwrap();
    brute.fill(before, quote, collateral);
    if band.quote == 0 {
        brute.quote.iter_mut().for_each(|q| *q = 0);
    }
}

fn check_all(band: &Band, stakes: &[Stake], brute: &BruteForce) {
    let mut quote = 0u128;
    let mut collateral = 0u128;
    for (lp, stake) in stakes.iter().enumerate() {
        let claim = band.claim(stake).unwrap();
        // A stake one scale behind rounds its two scales' parts separately.
        let behind = stake.deposit > 0 && band.is_stale(stake);
        let units = 1 + brute.settles[lp] + behind as u128;
        assert_within(claim.quote, brute.quote[lp], units, "quote", lp);
        assert_within(
            claim.collateral,
            brute.collateral[lp],
            units,
            "collateral",
            lp,
        );
        quote += claim.quote as u128;
        collateral += claim.collateral as u128;
    }
    assert!(
        quote <= band.quote as u128,
        "claims exceed the band's quote"
    );
    assert!(
        collateral <= band.collateral as u128,
        "claims exceed the band's collateral"
    );
}

#[test]
fn three_to_one_through_a_partial_and_a_full_fill() {
    let mut band = Band::new(100);
    let (mut a, mut b) = (Stake::default(), Stake::default());
    band.touch(&mut a, 3_000_000, 0).unwrap();
    band.touch(&mut b, 1_000_000, 0).unwrap();
    band.fill(2_000_000, 40).unwrap();
    assert_eq!(
        band.claim(&a).unwrap(),
        Claim {
            quote: 1_500_000,
            collateral: 30
        }
    );
    assert_eq!(
        band.claim(&b).unwrap(),
        Claim {
            quote: 500_000,
            collateral: 10
        }
    );
    band.fill(2_000_000, 44).unwrap();
    assert_eq!(band.epoch, 1, "an emptied band starts a new epoch");
    assert_eq!(
        band.claim(&a).unwrap(),
        Claim {
            quote: 0,
            collateral: 63
        }
    );
    assert_eq!(
        band.claim(&b).unwrap(),
        Claim {
            quote: 0,
            collateral: 21
        }
    );
    assert_eq!(band.touch(&mut a, 0, 0).unwrap(), 63);
    assert_eq!(band.touch(&mut b, 0, 0).unwrap(), 21);
    assert_eq!(band.collateral, 0);
    assert!(band.frozen.iter().all(|f| f.stakes == 0), "history freed");
}

#[test]
fn a_later_deposit_shares_only_later_fills() {
    let mut band = Band::new(50);
    let (mut early, mut late) = (Stake::default(), Stake::default());
    band.touch(&mut early, 1_000, 0).unwrap();
    band.fill(500, 10).unwrap();
    band.touch(&mut late, 500, 0).unwrap();
    band.fill(500, 10).unwrap();
    assert_eq!(
        band.claim(&early).unwrap(),
        Claim {
            quote: 250,
            collateral: 15
        }
    );
    assert_eq!(
        band.claim(&late).unwrap(),
        Claim {
            quote: 250,
            collateral: 5
        }
    );
}

#[test]
fn a_full_history_allows_only_partial_fills_until_stakes_claim() {
    let mut band = Band::new(100);
    let mut old = [Stake::default(); HISTORY];
    for stake in old.iter_mut() {
        band.touch(stake, 1_000, 0).unwrap();
        band.fill(1_000, 5).unwrap();
    }
    let mut fresh = Stake::default();
    band.touch(&mut fresh, 1_000_000, 0).unwrap();
    let partial = band.fill_limit(u64::MAX).unwrap();
    assert!(partial < 1_000_000 && partial > 999_000, "{partial}");
    assert_eq!(band.fill(1_000_000, 5), Err(MathError::OutOfDomain));
    band.touch(&mut old[0], 0, 0).unwrap();
    assert_eq!(band.fill_limit(u64::MAX).unwrap(), 1_000_000);
    band.fill(1_000_000, 7).unwrap();
    assert_eq!(
        band.claim(&fresh).unwrap(),
        Claim {
            quote: 0,
            collateral: 7
        }
    );
}

/// A fill that leaves 1,000 units of 4 billion USDC (6 decimals) would push the
/// product below its floor: the band moves to its next scale instead, the
/// stakes one scale behind keep their exact shares, and once they are
/// settled the band can rescale again, however often that happens.
#[test]
fn a_drain_to_dust_moves_the_band_to_its_next_scale() {
    let mut band = Band::new(100);
    let (mut a, mut b) = (Stake::default(), Stake::default());
    band.touch(&mut a, 3_000_000_000_000_000, 0).unwrap();
    band.touch(&mut b, 1_000_000_000_000_000, 0).unwrap();
    band.fill(4_000_000_000_000_000 - 1_000, 4_000_000).unwrap();
    assert_eq!((band.scale, band.stakes, band.stakes_behind), (1, 0, 2));
    assert!(band.product >= PRODUCT_MIN);
    assert_eq!(
        band.claim(&a).unwrap(),
        Claim {
            quote: 750,
            collateral: 3_000_000
        }
    );
    assert_eq!(band.claim(&b).unwrap().quote, 250);
    // A new LP joins at the new scale. While a and b are one scale
    // behind, a second rescale is not allowed: a fill leaving 1,000 units
    // of 4 billion is cut at the floor. Anyone settling a and b frees it.
    let mut c = Stake::default();
    band.touch(&mut c, 4_000_000_000_000_000, 0).unwrap();
    assert_eq!(band.claim(&a).unwrap().quote, 750);
    let wanted = band.quote - 1_000;
    assert!(band.fill_limit(wanted).unwrap() < wanted);
    for s in [&mut a, &mut b] {
        let before = band.claim(s).unwrap();
        assert!(band.is_stale(s));
        band.settle(s).unwrap();
        assert_eq!(
            band.claim(s).unwrap(),
            before,
            "settling changes nothing owned"
        );
        assert!(!band.is_stale(s));
    }
    assert_eq!(band.stakes_behind, 0);
    assert_eq!(band.fill_limit(wanted).unwrap(), wanted);
    band.fill(wanted, 4_000_000).unwrap();
    assert_eq!((band.scale, band.stakes_behind), (2, 3));
    let c_quote = band.claim(&c).unwrap().quote;
    assert!((998..=1_000).contains(&c_quote), "{c_quote}");
    assert!(
        band.touch(&mut a, 0, 0).unwrap() >= 3_000_000,
        "a's owed collateral kept"
    );
}

/// The attack of issue 13, finding 5: four 1-unit stakes from fresh keys,
/// each placed before one of four full drains and never touched, hold the
/// whole frozen history. The band still fills (partially, and rescales
/// rather than sinking to a floor), and anyone settling the four stakes
/// frees the history for full fills again; the attacker's bought
/// collateral stays theirs.
#[test]
fn four_untouched_stakes_cannot_disable_a_band() {
    let mut band = Band::new(50);
    let mut dust = [Stake::default(); HISTORY];
    let mut honest = Stake::default();
    for d in dust.iter_mut() {
        band.touch(d, 1, 0).unwrap();
        band.touch(&mut honest, 1_000_000_000, 0).unwrap();
        band.fill(band.fill_limit(u64::MAX).unwrap(), 50_000)
            .unwrap();
        band.touch(&mut honest, 0, 0).unwrap();
    }
    assert!(band.frozen.iter().all(|f| f.stakes == 1), "history full");
    // Many large absorbs: each takes nearly all that is there.
    for _ in 0..20 {
        band.touch(&mut honest, 1_000_000_000_000, 0).unwrap();
        let limit = band.fill_limit(u64::MAX).unwrap();
        assert!(limit as u128 * 1_000_000_000 >= band.quote as u128 * 999_999_999);
        band.fill(limit, 10_000_000).unwrap();
    }
    let owed: Vec<u64> = dust
        .iter()
        .map(|d| band.claim(d).unwrap().collateral)
        .collect();
    for d in dust.iter_mut() {
        band.settle(d).unwrap();
    }
    assert!(band.frozen.iter().all(|f| f.stakes == 0), "history freed");
    band.touch(&mut honest, 1_000_000, 0).unwrap();
    assert_eq!(
        band.fill_limit(u64::MAX).unwrap(),
        band.quote,
        "full fills again"
    );
    for (d, owed) in dust.iter_mut().zip(owed) {
        assert_eq!(band.touch(d, 0, 0).unwrap(), owed);
    }
}

#[test]
fn withdrawing_more_than_owned_is_refused_and_changes_nothing() {
    let mut band = Band::new(100);
    let mut stake = Stake::default();
    band.touch(&mut stake, 1_000, 0).unwrap();
    band.fill(300, 3).unwrap();
    let (before_band, before_stake) = (band, stake);
    assert_eq!(band.touch(&mut stake, 0, 701), Err(MathError::OutOfDomain));
    assert_eq!((band, stake), (before_band, before_stake));
    assert_eq!(band.touch(&mut stake, 0, 700).unwrap(), 3);
    assert_eq!(band.quote, 0);
}

#[test]
fn absorb_fills_the_lowest_discount_first_across_bands() {
    let mut bands = [Band::new(50), Band::new(100), Band::new(200)];
    let mut stakes = [Stake::default(); 3];
    for (band, stake) in bands.iter_mut().zip(stakes.iter_mut()) {
        band.touch(stake, 10_000_000_000, 0).unwrap();
    }
    // 1 BTC (8 decimals) at 20,000 USDC (6 decimals): 200 USDC units per sat.
    let price = unit_price(20_000 * WAD, 8, 6).unwrap();
    assert_eq!(price, 200 * WAD);
    let fills = absorb(
        &mut bands,
        price,
        AbsorbLimits {
            max_collateral: 100_000_000,
            max_quote: u64::MAX,
            max_discount_bps: 150,
        },
    )
    .unwrap();
    // Band 0 pays 19,900 per BTC and empties: 10,000 USDC buys 0.50251257 BTC
    // (rounded up for the band); band 1 pays 19,800 for what is left.
    assert_eq!(
        fills[0],
        BandFill {
            quote: 10_000_000_000,
            collateral: 50_251_257
        }
    );
    let rest = 100_000_000 - 50_251_257;
    assert_eq!(fills[1].collateral, rest);
    assert_eq!(fills[1].quote, rest * 198);
    assert_eq!(fills[2], BandFill::default(), "deeper than the limit");
    assert_eq!(bands[0].quote, 0);
}

#[test]
fn band_price_rounds_down() {
    assert_eq!(band_price(3, 5_000).unwrap(), 1);
    assert_eq!(band_price(WAD, 10_001), Err(MathError::OutOfDomain));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Thousands of random deposits, withdrawals, partial and full fills
    /// by a handful of LPs: every LP's quote and collateral stays within one
    /// token unit of the brute-force pro-rata computation and never above
    /// it, and all claims together never exceed the band.
    #[test]
    fn every_lp_matches_brute_force_pro_rata(
        ops in prop::collection::vec((0u8..11, 0usize..6, any::<u64>()), 500..2_000)
    ) {
        let mut band = Band::new(100);
        let mut stakes = [Stake::default(); 6];
        let mut brute = BruteForce::new(6);
        for (kind, lp, r) in ops {
            match kind {
                0 | 1 => {
                    let add = 1 + r % 10_000_000_000_000;
                    let units = 2 + brute.settles[lp];
                    let paid = band.touch(&mut stakes[lp], add, 0).unwrap();
                    assert_within(paid, brute.collateral[lp], units, "collateral paid", lp);
                    brute.resync(lp, &stakes[lp], &band);
                }
                2 => {
                    let owned = band.claim(&stakes[lp]).unwrap().quote;
                    let take = if r % 3 == 0 { owned } else { r % (owned + 1) };
                    let units = 2 + brute.settles[lp];
                    let paid = band.touch(&mut stakes[lp], 0, take).unwrap();
                    assert_within(paid, brute.collateral[lp], units, "collateral paid", lp);
                    brute.resync(lp, &stakes[lp], &band);
                }
                8 => {
                    // Anyone settles a stake the band has moved past.
                    if band.is_stale(&stakes[lp]) {
                        let before = band.claim(&stakes[lp]).unwrap();
                        band.settle(&mut stakes[lp]).unwrap();
                        prop_assert_eq!(band.claim(&stakes[lp]).unwrap(), before);
                        // Like a touch, settling keeps the stake's quote
                        // rounded down to a unit (the rest is the band's
                        // dust); its collateral moves to `owed` whole.
                        brute.quote[lp] = stakes[lp].deposit as u128 * SUB;
                        brute.settles[lp] += 1;
                    }
                }
                9 | 10 => {
                    // A fill of nearly everything: the product falls by up
                    // to 1e13 and the band moves to its next scale.
                    let wanted = band.quote.saturating_sub(1 + r % 3);
                    fill_both(&mut band, &mut brute, wanted.max(1), r);
                }
                _ => {
                    let wanted = if kind == 7 { u64::MAX } else { 1 + r % band.quote.max(1) };
                    fill_both(&mut band, &mut brute, wanted, r);
                }
            }
            check_all(&band, &stakes, &brute);
        }
    }

    /// An absorb over several bands conserves value exactly: what the bands
    /// lose in quote is what the seller receives, what they gain in
    /// collateral is what it gives; no band pays more than its discounted
    /// price, and no limit is exceeded.
    #[test]
    fn absorb_conserves_and_respects_limits(
        deposits in prop::collection::vec(0u64..50_000_000_000, 6),
        price_usd in 1_000u128..100_000,
        max_collateral in 1u64..1_000_000_000,
        max_quote in 1u64..u64::MAX,
        max_discount_bps in 0u16..1_000,
    ) {
        let discounts = [50u16, 100, 200, 300, 500, 800];
        let mut bands: Vec<Band> = discounts.iter().map(|d| Band::new(*d)).collect();
        for (band, amount) in bands.iter_mut().zip(deposits) {
            if amount > 0 {
                band.touch(&mut Stake::default(), amount, 0).unwrap();
            }
        }
        let before = bands.clone();
        let price = unit_price(price_usd * WAD, 8, 6).unwrap();
        let limits = AbsorbLimits { max_collateral, max_quote, max_discount_bps };
        let fills = absorb(&mut bands, price, limits).unwrap();
        let (mut quote, mut collateral) = (0u64, 0u64);
        for ((fill, b0), b1) in fills.iter().zip(&before).zip(&bands) {
            prop_assert_eq!(b0.quote - b1.quote, fill.quote);
            prop_assert_eq!(b1.collateral - b0.collateral, fill.collateral);
            if fill.quote > 0 {
                prop_assert!(b0.discount_bps <= max_discount_bps);
                let price = band_price(price, b0.discount_bps).unwrap();
                let worth = mul_div(fill.collateral as u128, price, WAD, Rounding::Down).unwrap();
                prop_assert!(fill.quote as u128 <= worth, "a band paid above its price");
            }
            quote += fill.quote;
            collateral += fill.collateral;
        }
        prop_assert!(quote <= max_quote && collateral <= max_collateral);
    }
}
