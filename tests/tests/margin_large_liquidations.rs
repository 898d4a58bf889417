//! Large liquidations need M of N registered validators: proposal with the
//! evidence, distinct approvals, expiry, and a price that must still justify
//! it at execution. Small ones run at once.

use margin::errors::MarginError;
use margin::events::{Liquidated, LiquidationApproved, LiquidationProposed};
use margin::state::{ValidatorSet, MAX_VALIDATORS};
use rampart_sdk::margin_ix;
use rampart_tests::margin_world::*;
use rampart_tests::*;

const W: u128 = 1_000_000_000_000_000_000;

struct Scene {
    w: MarginMarket,
    borrower: User,
    liquidator: User,
    validators: Vec<Keypair>,
}

/// 2-of-3 validators, "large" from $1,000; the borrower's account is under
/// water after BTC falls to 24,000 and needs ~3,485 USDC repaid.
async fn scene(large_usd: u128) -> Scene {
    let mut w = MarginMarket::new().await.unwrap();
    let validators: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    let set = validator_set(&validators.iter().collect::<Vec<_>>(), 2, large_usd);
    let g = w.ops.governance.insecure_clone();
    w.chain
        .send(&[margin_ix::set_validators(g.pubkey(), set)], &[&g])
        .await
        .unwrap();
    w.lender(1_000_000 * USDC, 500_000 * USDC).await.unwrap();
    let borrower = w.leveraged_borrower(BTC, 21_000 * USDC).await.unwrap();
    let liquidator = w.liquidator(100_000 * USDC).await.unwrap();
    w.tick(24_000.0).await.unwrap();
    Scene {
        w,
        borrower,
        liquidator,
        validators,
    }
}

impl Scene {
    fn accounts(&self, with_proposal: bool) -> margin_ix::LiquidationAccounts {
        let mut l = self.w.liquidation(&self.liquidator, &self.borrower);
        if with_proposal {
            l.proposal = Some(l.proposal_address());
        }
        l
    }

    async fn propose(&mut self) -> TxResult {
        let ix = margin_ix::propose_liquidation(&self.accounts(false));
        let k = self.liquidator.key.insecure_clone();
        self.w.chain.send(&[ix], &[&k]).await
    }

    async fn approve(&mut self, validator: usize) -> TxResult {
        let v = self.validators[validator].insecure_clone();
        self.approve_as(&v).await
    }

    async fn approve_as(&mut self, signer: &Keypair) -> TxResult {
        let ix =
            margin_ix::approve_liquidation(signer.pubkey(), self.accounts(true).proposal_address());
        self.w.chain.send(&[ix], &[signer]).await
    }

    async fn execute(&mut self, with_proposal: bool) -> TxResult {
        let ix = margin_ix::liquidate(&self.accounts(with_proposal));
        let k = self.liquidator.key.insecure_clone();
        self.w.chain.send(&[ix], &[&k]).await
    }

    async fn state(&mut self) -> (u64, String) {
        let positions = format!("{:?}", self.w.account(&self.borrower).await.positions);
        (self.w.tokens(self.liquidator.usdc).await, positions)
    }
}

#[tokio::test]
async fn large_liquidation_waits_for_m_of_n_and_is_not_reusable() {
    let mut s = scene(1_000).await;
    let before = s.state().await;
    assert_margin_error(
        s.execute(false).await,
        MarginError::LargeLiquidationNeedsApproval,
    );

    let ok = s.propose().await.unwrap();
    let proposed = &events::decode::<LiquidationProposed>(&ok.logs)[0];
    assert!(
        proposed.maint_margin < 0 && proposed.repay_value > 1_000 * W,
        "evidence recorded"
    );
    s.approve(0).await.unwrap();
    assert_margin_error(s.execute(true).await, MarginError::NotEnoughApprovals);
    assert_margin_error(s.approve(0).await, MarginError::DuplicateApproval);
    let outsider = s.w.chain.funded_keypair(1_000_000_000).await;
    assert_margin_error(s.approve_as(&outsider).await, MarginError::NotAValidator);
    assert_eq!(s.state().await, before, "nothing moved before quorum");

    let ok = s.approve(2).await.unwrap();
    assert_eq!(
        events::decode::<LiquidationApproved>(&ok.logs)[0].approvals,
        2
    );
    let ok = s.execute(true).await.unwrap();
    let ev = &events::decode::<Liquidated>(&ok.logs)[0];
    assert_eq!(ev.repaid, proposed.max_repay);
    // The proposal is closed: it cannot be approved or executed again.
    let proposal = s.accounts(true).proposal_address();
    assert!(s.w.chain.account(proposal).await.is_none());
    s.w.tick(20_000.0).await.unwrap();
    let f = s
        .execute(true)
        .await
        .expect_err("a closed proposal cannot be reused");
    assert_eq!(
        f.custom_code(),
        Some(anchor_lang::error::ErrorCode::AccountNotInitialized as u32),
        "{:#?}",
        f.logs
    );
}

#[tokio::test]
async fn another_accounts_proposal_cannot_be_spent_on_a_small_liquidation() {
    let mut s = scene(1_000).await;
    s.propose().await.unwrap();
    let proposal = s.accounts(true).proposal_address();
    // A small account, liquidatable after BTC falls to 19,000.
    let small =
        s.w.leveraged_borrower(BTC / 10, 1_700 * USDC)
            .await
            .unwrap();
    s.w.tick(19_000.0).await.unwrap();
    let mut l = s.w.liquidation(&s.liquidator, &small);
    l.proposal = Some(proposal);
    let k = s.liquidator.key.insecure_clone();
    assert_margin_error(
        s.w.chain.send(&[margin_ix::liquidate(&l)], &[&k]).await,
        MarginError::ProposalMismatch,
    );
    assert!(
        s.w.chain.account(proposal).await.is_some(),
        "the other account's proposal survives"
    );
    l.proposal = None;
    s.w.chain
        .send(&[margin_ix::liquidate(&l)], &[&k])
        .await
        .unwrap();
}

#[tokio::test]
async fn expired_proposals_are_refused() {
    let mut s = scene(1_000).await;
    s.propose().await.unwrap();
    s.approve(0).await.unwrap();
    s.approve(1).await.unwrap();
    // 100-slot lifetime; 60 s is 150 slots.
    s.w.chain.advance(30);
    s.w.tick(24_000.0).await.unwrap();
    s.w.chain.advance(30);
    s.w.tick(24_000.0).await.unwrap();
    let before = s.state().await;
    assert_margin_error(s.execute(true).await, MarginError::ProposalExpired);
    assert_margin_error(s.approve(2).await, MarginError::ProposalExpired);
    assert_eq!(s.state().await, before);
}

/// An expired proposal blocks a new one for the same liquidation (its
/// address is taken) until anyone closes it; closing refunds the proposer
/// and is refused before expiry. Then the liquidation can be proposed again.
#[tokio::test]
async fn an_expired_proposal_is_closed_and_the_liquidation_proposed_again() {
    let mut s = scene(1_000).await;
    s.propose().await.unwrap();
    s.approve(0).await.unwrap();
    let proposal = s.accounts(true).proposal_address();
    let proposer = s.liquidator.key.pubkey();
    let close = margin_ix::close_expired_proposal(proposal, proposer);
    assert_margin_error(
        s.w.chain.send(std::slice::from_ref(&close), &[]).await,
        MarginError::ProposalNotExpired,
    );
    s.w.chain.advance(30);
    s.w.tick(24_000.0).await.unwrap();
    s.w.chain.advance(30);
    s.w.tick(24_000.0).await.unwrap();
    assert!(
        s.propose().await.is_err(),
        "the expired proposal holds the address"
    );
    // Rent goes only to the proposer.
    let mut stolen = close.clone();
    stolen.accounts[1].pubkey = s.validators[0].pubkey();
    assert_anchor_error(
        s.w.chain.send(&[stolen], &[]).await,
        anchor_lang::error::ErrorCode::ConstraintAddress,
    );
    let rent = s.w.chain.balance(proposal).await;
    let before = s.w.chain.balance(proposer).await;
    let ok = s.w.chain.send(&[close], &[]).await.unwrap();
    let ev = &events::decode::<margin::events::ProposalClosed>(&ok.logs)[0];
    assert_eq!((ev.proposal, ev.approvals), (proposal, 1));
    assert!(s.w.chain.account(proposal).await.is_none());
    assert_eq!(s.w.chain.balance(proposer).await, before + rent);
    s.propose().await.unwrap();
    s.approve(0).await.unwrap();
    s.approve(2).await.unwrap();
    s.execute(true).await.unwrap();
}

#[tokio::test]
async fn price_must_still_justify_it_at_execution() {
    let mut s = scene(1_000).await;
    s.propose().await.unwrap();
    s.approve(0).await.unwrap();
    s.approve(1).await.unwrap();
    s.w.tick(30_000.0).await.unwrap(); // BTC recovers before execution
    let before = s.state().await;
    assert_margin_error(s.execute(true).await, MarginError::AccountHealthy);
    assert_eq!(s.state().await, before);
}

#[tokio::test]
async fn small_liquidations_run_at_once() {
    let mut s = scene(100_000).await;
    assert_margin_error(s.propose().await, MarginError::LiquidationNotLarge);
    s.execute(false).await.unwrap();
}

#[tokio::test]
async fn validator_set_is_governed_and_bounded() {
    let mut w = MarginMarket::new().await.unwrap();
    let keys: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    let refs: Vec<&Keypair> = keys.iter().collect();
    let intruder = w.chain.funded_keypair(1_000_000_000).await;
    let ix = margin_ix::set_validators(intruder.pubkey(), validator_set(&refs, 2, 1_000));
    assert_margin_error(
        w.chain.send(&[ix], &[&intruder]).await,
        MarginError::Unauthorized,
    );
    let g = w.ops.governance.insecure_clone();
    let bad = [
        validator_set(&refs, 1, 1_000),      // 1 of 3 is not a majority
        validator_set(&refs[..1], 1, 1_000), // a single validator
        validator_set(&[refs[0], refs[0]], 2, 1_000), // the same key twice
        ValidatorSet {
            proposal_ttl_slots: 5,
            ..validator_set(&refs, 2, 1_000)
        },
    ];
    for set in bad {
        assert_margin_error(
            w.chain
                .send(&[margin_ix::set_validators(g.pubkey(), set)], &[&g])
                .await,
            MarginError::ParamOutOfBounds,
        );
    }
    assert_eq!(MAX_VALIDATORS, 8);
    w.chain
        .send(
            &[margin_ix::set_validators(
                g.pubkey(),
                validator_set(&refs, 2, 1_000),
            )],
            &[&g],
        )
        .await
        .unwrap();
}
