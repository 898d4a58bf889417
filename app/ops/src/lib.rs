//! Rampart operations, over any `Transport`: the keeper (risk updates,
//! liquidations, epoch rolls, stake settlement, fee sweeps), the
//! liquidator's planning, the monitor, and `init` (deploying a
//! configuration).

pub mod deploy;
pub mod keeper;
pub mod liquidator;
pub mod monitor;
