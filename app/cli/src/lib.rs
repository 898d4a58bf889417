//! The `rampart` command line's library half: each command's action (what
//! it sends and what it prints, as text and JSON), the demo, and IDL
//! generation. The binary (`main.rs`) is clap and dispatch.

pub mod actions;
pub mod demo;
pub mod idl;
pub mod naming;
