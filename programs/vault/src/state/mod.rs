pub mod params;
pub mod receipt;
pub mod round;
pub mod series;
pub mod vault;

pub use params::*;
pub use receipt::*;
pub use round::*;
pub use series::*;
pub use vault::*;
