//! Empty: this package is the local cloud's integration tests (`it/`), compiled apart from the optimised
//! `local-cloud` library (Cargo.toml says why); cargo wants a library or a binary in every package.
