//! Rampart operations, over any `Transport`: the risk agent, the keeper (risk updates,
//! liquidations, epoch rolls, stake settlement, fee sweeps, the wind-down
//! of debts: shutdown settlement and bad-debt write-off), the liquidator's planning, the monitor, and `init` (deploying a
//! configuration).

pub mod agent;
pub mod deploy;
pub mod keeper;
pub mod liquidator;
pub mod monitor;
pub mod wind_down;
