//! Random sequences of real vault instructions over several epochs
//! (deposits, cancellations, share redemptions, withdrawal requests and
//! completions, option sales, price moves, expiries and keeper steps),
//! checking after every step that every asset unit is in exactly one of
//! the vault's buckets and that no token is created or destroyed.
//! Rejected actions (caps, timing, balances) are expected and must change
//! nothing.

use rampart_sdk::vault_ix::VaultRef;
use rampart_sim::vault_market::*;
use rampart_tests::margin_world::BTC;
use rampart_tests::{Rng, Signer};
use vault::state::{DepositReceipt, Phase};

/// The round whose record a user's receipt needs, if its deposit was processed.
async fn record_for(vm: &mut VaultMarket, v: &VaultRef, u: &VaultUser) -> Option<u32> {
    let round = vm.vault(v).await.round;
    let r: DepositReceipt =
        vm.m.chain
            .anchor_account(rampart_sdk::pda::vault::receipt(&v.vault, &u.holder.owner))
            .await?;
    r.processed_deposit(round).then_some(r.deposit_round)
}

async fn run(seed: u64, steps: usize) -> (usize, u32) {
    let mut rng = Rng(seed);
    let mut vm = VaultMarket::new().await.unwrap();
    let v = vm.call;
    let keeper = vm.keeper.pubkey();
    let mut users = vec![];
    for _ in 0..4 {
        users.push(vm.user(&v, 20 * BTC, 0).await.unwrap());
    }
    let buyer = vm.user(&v, 20 * BTC, 0).await.unwrap();
    let total = 5 * 20 * BTC;
    let mut price = 30_000.0;
    let mut ok = 0;
    for _ in 0..steps {
        let u = &users[rng.below(users.len() as u64) as usize];
        let phase = vm.vault(&v).await.phase;
        let round = vm.vault(&v).await.round;
        let succeeded = match rng.below(10) {
            0 | 1 => {
                let record = record_for(&mut vm, &v, u).await;
                vm.send_as(u, v.deposit(&u.holder, 1 + rng.below(3 * BTC), record))
                    .await
                    .is_ok()
            }
            2 => vm
                .send_as(u, v.cancel_deposit(&u.holder, 1 + rng.below(BTC)))
                .await
                .is_ok(),
            3 => {
                let record = record_for(&mut vm, &v, u).await;
                vm.send_as(u, v.redeem_shares(&u.holder, record))
                    .await
                    .is_ok()
            }
            4 => {
                let record = record_for(&mut vm, &v, u).await;
                let shares = 1 + rng.below(2 * BTC);
                vm.send_as(u, v.request_withdrawal(&u.holder, shares, record))
                    .await
                    .is_ok()
            }
            5 => {
                let r: DepositReceipt =
                    vm.m.chain
                        .anchor_account(rampart_sdk::pda::vault::receipt(&v.vault, &u.holder.owner))
                        .await
                        .unwrap();
                vm.send_as(u, v.complete_withdrawal(&u.holder, r.withdraw_round))
                    .await
                    .is_ok()
            }
            6 if phase == Phase::Trading => {
                let options = vm
                    .option_account(&v, round, &buyer.holder.owner)
                    .await
                    .unwrap();
                let buy = v.buy_options(
                    round,
                    buyer.holder.owner,
                    buyer.user.btc,
                    options,
                    1 + rng.below(BTC),
                    BTC,
                );
                vm.send_as(&buyer, buy).await.is_ok()
            }
            7 => {
                price *= 0.97 + rng.below(600) as f64 / 10_000.0;
                vm.m.tick(price).await.unwrap();
                true
            }
            _ => match phase {
                Phase::Trading => {
                    price *= 0.9 + rng.below(2_000) as f64 / 10_000.0;
                    vm.expire_and_settle(&v, round, price)
                        .await
                        .unwrap()
                        .is_ok()
                }
                Phase::Settled => vm.keeper_send(v.process_epoch(keeper, round)).await.is_ok(),
                Phase::Processed => vm.keeper_send(v.start_epoch(keeper, round)).await.is_ok(),
            },
        };
        ok += usize::from(succeeded);
        vm.assert_books(&v).await;
        let mut held = vm.m.tokens(v.assets()).await;
        for w in users.iter().chain(std::iter::once(&buyer)) {
            held += vm.m.tokens(w.user.btc).await;
        }
        assert_eq!(held, total, "BTC created or destroyed");
    }
    (ok, vm.vault(&v).await.round)
}

#[tokio::test]
async fn random_vault_sequences_keep_every_unit_accounted_for() {
    for seed in [0x9E37_79B9_7F4A_7C15, 0xD1B5_4A32_D192_ED03] {
        let (ok, round) = run(seed, 250).await;
        println!("seed {seed:#x}: {ok}/250 actions succeeded, reached round {round}, books exact after every step");
        assert!(
            ok > 80,
            "the sequence must mostly exercise real state changes"
        );
        assert!(round >= 4, "the sequence must run several epochs");
    }
}
