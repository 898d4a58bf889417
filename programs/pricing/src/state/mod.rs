pub mod feed;
pub mod manual;
pub mod params;
pub mod protocol;

pub use feed::*;
pub use manual::*;
pub use params::*;
pub use protocol::*;
