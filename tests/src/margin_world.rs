//! The margin market scenario lives in the client library so benchmarks and
//! the simulator share it; tests use it from here.

pub use rampart_sim::market::*;
