//! The AWS plumbing every command shares: the SDK configuration for the local cloud or AWS ([`sdk`]), and the
//! few direct calls to the local cloud's AWS JSON APIs ([`json`]) and its other protocols ([`raw`]).

pub mod json;
pub mod raw;
pub mod sdk;
