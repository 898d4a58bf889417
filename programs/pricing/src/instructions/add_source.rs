use anchor_lang::prelude::*;

use super::governance::*;
use crate::errors::PricingError;
use crate::events::FeedConfigChanged;
use crate::sources::{self, accepted_owner, error_code, is_identity_error};
use crate::state::{PriceFeed, SourceConfig, SourceKind, MAX_SOURCES};

#[derive(Accounts)]
pub struct AddSource<'info> {
    pub gov: GovernanceAuth<'info>,
    #[account(mut)]
    pub feed: AccountLoader<'info, PriceFeed>,
    /// CHECK: owner checked against the kind's oracle programs and the data
    /// parsed as that kind in the handler.
    pub source: UncheckedAccount<'info>,
}

/// Pin an oracle account (and, for Pyth pull updates, its feed id) as a source.
pub fn handle_add_source(
    ctx: Context<AddSource>,
    kind: SourceKind,
    feed_id: [u8; 32],
) -> Result<()> {
    let feed_key = ctx.accounts.feed.key();
    let source = &ctx.accounts.source;
    let mut feed = ctx.accounts.feed.load_mut()?;
    let n = feed.num_sources as usize;
    require!(n < MAX_SOURCES, PricingError::TooManySources);
    require!(
        feed.active_sources()
            .iter()
            .all(|s| s.account != source.key()),
        PricingError::SourceAlreadyPinned
    );
    require!(
        accepted_owner(kind, source.owner),
        PricingError::SourceWrongOwner
    );
    let pinned = SourceConfig {
        account: source.key(),
        owner: *source.owner,
        feed_id: if kind == SourceKind::PythReceiver {
            feed_id
        } else {
            [0; 32]
        },
        kind: kind as u8,
        ..SourceConfig::default()
    };
    if kind == SourceKind::PythReceiver {
        require!(feed_id != [0; 32], PricingError::SourceFeedIdMismatch);
    }
    // The account must have its kind's layout and identity now; a stale or
    // unverified price is fine to pin, it is judged at every refresh.
    if let Err(e) = sources::parse(kind, &source.try_borrow_data()?, &pinned, &feed_key) {
        let code = error_code(&e);
        if is_identity_error(code) || code == u32::from(PricingError::SourceMalformed) {
            return Err(e);
        }
    }
    feed.sources[n] = pinned;
    feed.num_sources += 1;
    emit!(FeedConfigChanged {
        feed: feed_key,
        what: format!("source {} added: {:?} {}", n, kind, source.key()),
        authority: ctx.accounts.gov.governance.key(),
    });
    Ok(())
}
